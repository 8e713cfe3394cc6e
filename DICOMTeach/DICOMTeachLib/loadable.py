"""What examine offers and load takes: the library's side of Slicer's DICOMLoadable.

Slicer's DICOM browser shows each loadable as a row (name, tooltip, warning,
checkbox) and selects the highest confidence per series. The plugin copies
these fields onto a ``DICOMLib.DICOMLoadable``; the headless ``dicomteach
load`` prints them. The examiner that made a loadable keeps what it learnt
(the sorted slice order, the referenced series...) in ``plan`` so that loading
does not parse the headers again.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class LoadableKind(enum.StrEnum):
    SCALAR_VOLUME = "scalar volume"
    VOLUME_SEQUENCE = "volume sequence"
    SEGMENTATION = "segmentation"
    STRUCTURED_REPORT = "structured report"


@dataclass
class Loadable:
    """One thing the user can load from a set of files."""

    kind: LoadableKind
    name: str
    files: list[str]
    confidence: float
    confidence_reason: str
    #: The series the loadable's own files belong to: the DICOM browser's unit of selection.
    series_instance_uid: str = ""
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    referenced_instance_uids: list[str] = field(default_factory=list)
    selected: bool = True
    plan: Any = None

    @property
    def warning(self) -> str:
        """The warnings as one text, the way Slicer's loadable table shows them."""
        return " ".join(self.warnings)

    @property
    def tooltip(self) -> str:
        lines = [f"{self.kind.value}: {len(self.files)} file(s)", f"confidence {self.confidence:.2f}: "
                 f"{self.confidence_reason}"]
        lines += self.notes
        return "\n".join(lines)


@dataclass
class LoadResult:
    """What a load made, and what it had to leave out."""

    nodes: list[Any] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
