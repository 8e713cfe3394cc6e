"""Follow a DICOMDIR (the index of a patient CD or other DICOM media) to the files it references.

A DICOMDIR is a Media Storage Directory (PS3.10): a tree of directory records
(patient, study, series, image...) whose Referenced File ID names each file by
path components relative to the DICOMDIR's folder, upper-case on CDs
(``PT000000\\ST000000\\SE000000\\IM000000``). Copies of a CD often have
lower-case names, or ISO 9660 version suffixes (``IM000000;1``), so each
component is matched without regard to case when the exact name is absent.
Referenced files that cannot be found are named with the reason; the others are
read as if they had been given one by one.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import DICOMTeachError

DICOMDIR_SOP_CLASS = "1.2.840.10008.1.3.10"  # Media Storage Directory Storage


@dataclass
class DicomdirContents:
    """The files a DICOMDIR references: those present, and {referenced path: why not} for the others."""

    dicomdir: str
    files: list[str] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)


def is_dicomdir_name(path: str | Path) -> bool:
    """PS3.10 names the file DICOMDIR (any case on copied media)."""
    return Path(path).name.upper() == "DICOMDIR"


def _matching_entry(folder: Path, component: str) -> Path | None:
    """``folder/component``, or the entry whose name matches it without case or ISO 9660 ';1' suffix."""
    exact = folder / component
    if exact.exists():
        return exact
    wanted = component.upper()
    try:
        entries = os.listdir(folder)
    except OSError:
        return None
    for name in entries:
        if name.upper() == wanted or name.upper().split(";")[0] == wanted:
            return folder / name
    return None


def _resolve(root: Path, components: list[str]) -> tuple[Path | None, str]:
    """The file named by a Referenced File ID, or None and why."""
    if not components or any(not c or c in (".", "..") or "/" in c or os.sep in c for c in components):
        return None, "the Referenced File ID is not a plain relative path"
    current = root
    for component in components:
        found = _matching_entry(current, component)
        if found is None:
            return None, "referenced by the DICOMDIR but missing"
        current = found
    if not current.is_file():
        return None, "referenced by the DICOMDIR but not a file"
    return current, ""


def read_dicomdir(path: str | Path) -> DicomdirContents:
    """The files a DICOMDIR references (each once, in record order); DICOMTeachError when it cannot be read."""
    import pydicom

    path = Path(path)
    try:
        dataset = pydicom.dcmread(path)
    except pydicom.errors.InvalidDicomError as error:
        raise DICOMTeachError("named DICOMDIR but not a DICOM file", path) from error
    except (OSError, ValueError, EOFError, KeyError, TypeError, AttributeError) as error:
        raise DICOMTeachError(f"cannot read the DICOMDIR: {error}", path) from error
    meta = getattr(dataset, "file_meta", None)
    sop_class = str(meta.get("MediaStorageSOPClassUID", "")) if meta is not None else ""
    if sop_class != DICOMDIR_SOP_CLASS and "DirectoryRecordSequence" not in dataset:
        raise DICOMTeachError(f"named DICOMDIR but not a Media Storage Directory (SOP class {sop_class or 'absent'})",
                              path)
    contents = DicomdirContents(dicomdir=str(path))
    seen: set[str] = set()
    for record in dataset.get("DirectoryRecordSequence", []):
        file_id = record.get("ReferencedFileID")
        if not file_id:
            continue
        components = [file_id] if isinstance(file_id, str) else [str(c) for c in file_id]
        components = [c.strip() for c in components]
        found, reason = _resolve(path.parent, components)
        if found is None:
            contents.missing[str(path.parent.joinpath(*[c for c in components if c]))] = f"{reason} ({path})"
        elif str(found) not in seen:
            seen.add(str(found))
            contents.files.append(str(found))
    return contents


def expand_dicomdirs(paths: Iterable[str]) -> tuple[list[str], dict[str, str]]:
    """``paths`` with every DICOMDIR replaced by the files it references (each file once).

    Returns the files and {path: reason} for referenced files that are missing and DICOMDIRs that
    cannot be read. A file named DICOMDIR that is an ordinary instance passes through unchanged.
    """
    files: list[str] = []
    problems: dict[str, str] = {}
    expanded = False
    for path in paths:
        if not is_dicomdir_name(path) or not os.path.isfile(path):
            files.append(path)
            continue
        try:
            contents = read_dicomdir(path)
        except DICOMTeachError as error:
            if "not a Media Storage Directory" in error.reason:
                files.append(path)
            else:
                problems[path] = error.reason
            continue
        files += contents.files
        problems.update(contents.missing)
        expanded = True
    if expanded:  # a folder and its DICOMDIR name the same files
        unique: dict[str, str] = {}
        for path in files:
            unique.setdefault(os.path.realpath(path), path)
        files = list(unique.values())
    return files, problems
