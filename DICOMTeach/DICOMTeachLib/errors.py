"""The library's error types.

Every failure caused by input (a file that is not DICOM, a truncated file, a
series that cannot be assembled) is raised as a :class:`DICOMTeachError`
naming the file and the reason, so that callers (the Slicer plugin, the
command line) can show one clear line instead of a traceback.
"""

from __future__ import annotations

from pathlib import Path


class DICOMTeachError(Exception):
    """Base class of every error the library raises on purpose."""

    def __init__(self, reason: str, path: str | Path | None = None) -> None:
        self.reason = reason
        self.path = str(path) if path is not None else None
        super().__init__(f"{self.path}: {reason}" if self.path else reason)


class NotDicomError(DICOMTeachError):
    """The file is not a DICOM file (no DICM prefix and no parsable data set)."""


class InvalidDicomError(DICOMTeachError):
    """The file starts as DICOM but its bytes cannot be read to the end."""


class UnknownIODError(DICOMTeachError):
    """A SOP class, IOD name or IOD id that the standard's tables do not know."""


class LoadError(DICOMTeachError):
    """A loadable could not be turned into MRML nodes."""


class MissingDependencyError(DICOMTeachError):
    """An optional package (slicer-core, a pixel decoder) is not installed."""
