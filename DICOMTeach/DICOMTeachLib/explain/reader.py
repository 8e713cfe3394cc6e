"""Read one file for explaining: headers with their byte positions, never a traceback.

pydicom does the parsing; this module decides what counts as DICOM (the
"DICM" prefix, or failing that a data set that plausibly starts with a DICOM
element), keeps large values unread (``defer_size``) so explaining stays fast,
and turns every failure and every irregularity (no preamble, no file meta,
truncation) into a clear reason.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
from pydicom import Dataset
from pydicom.datadict import dictionary_has_tag

from ..errors import DICOMTeachError, InvalidDicomError, NotDicomError
from ..safe_read import BoundedFile, check_structure
from ..tag_format import tag_text

#: Values longer than this are not read (pixel data, big private blobs): their position and length are enough.
DEFER_SIZE = 2048

UNDEFINED_LENGTH = 0xFFFFFFFF

#: Explicit VRs whose element header has a 4-byte length (12 header bytes instead of 8).
LONG_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"})


@dataclass
class ReadInstance:
    """A data set as read from a file, with what the reading noticed."""

    dataset: Dataset
    path: str
    file_size: int | None
    has_preamble: bool
    has_file_meta: bool
    deflated: bool  # data set stored deflated: its byte positions are inside the inflated stream
    notes: list[tuple[str, str, str]] = field(default_factory=list)  # (severity, code, message)

    @property
    def offsets_known(self) -> bool:
        return self.file_size is not None and not self.deflated


def is_deflated(transfer_syntax: str) -> bool:
    """A deflated transfer syntax (a damaged or unknown UID is not)."""
    uid = pydicom.uid.UID(transfer_syntax)
    return bool(transfer_syntax) and uid.is_transfer_syntax and uid.is_deflated


def _plausible_start(ds: Dataset) -> bool:
    """A data set read without "DICM": does it start like DICOM rather than like random bytes?"""
    tags = list(ds.keys())
    if not tags:
        return False
    first = tags[0]
    # A group length element (gggg,0000) may come first: ACR-NEMA style files start with (0008,0000).
    return (first >> 16) in (0x0000, 0x0002, 0x0008) and (dictionary_has_tag(first) or first & 0xFFFF == 0)


def read_instance(path: str | os.PathLike[str]) -> ReadInstance:
    """Read ``path`` up to (not including) large values; DICOMTeachError when it cannot be explained."""
    path = str(path)
    try:
        size = Path(path).stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(132)
    except OSError as error:
        raise DICOMTeachError(f"cannot open the file ({error.strerror or error})", path) from error
    if size == 0:
        raise NotDicomError("not a DICOM file: the file is empty", path)
    if os.path.isdir(path):
        raise DICOMTeachError("a folder, not a file", path)
    # Lengths, depth and inflation checked before pydicom allocates or recurses; a value the end of the
    # file cuts is a truncation to explain (large values are deferred, never allocated).
    structure = check_structure(path)
    has_preamble = len(head) == 132 and head[128:132] == b"DICM"
    notes: list[tuple[str, str, str]] = []
    if not has_preamble:
        notes.append(("warning", "no-preamble",
                      "no 128-byte preamble and \"DICM\" prefix (PS3.10 7.1): read as a bare data set"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            # deferred values are read later by reopening the file as this type: bounded too
            with BoundedFile(path) as handle:
                ds = pydicom.dcmread(handle, defer_size=DEFER_SIZE, force=not has_preamble)
            ds.fileobj_type = BoundedFile
        except DICOMTeachError:
            raise
        except Exception as error:  # pydicom raises many kinds on damaged bytes; all mean "cannot read"
            if not has_preamble:
                raise NotDicomError("not a DICOM file: no \"DICM\" prefix and no readable data set", path) from error
            raise InvalidDicomError(f"cannot read the data set: {type(error).__name__}: {error}", path) from error
    if not has_preamble and not _plausible_start(ds):
        raise NotDicomError("not a DICOM file: no \"DICM\" prefix and the bytes do not start with a DICOM element",
                            path)
    for warning in caught:
        text = str(warning.message)
        if "End of file" in text or "EOF" in text or "truncat" in text.lower():
            notes.append(("error", "truncated", f"the file ends early: {text.split(' in file ')[0]}"))
    if structure.truncated and not any(code == "truncated" for _, code, _ in notes):
        notes.append(("error", "truncated", f"the file ends early: {structure.truncated}"))
    meta = getattr(ds, "file_meta", None)
    has_meta = bool(meta is not None and len(meta))
    if not has_meta:
        notes.append(("warning", "no-file-meta",
                      "no file meta information (group 0002): the transfer syntax was guessed from the bytes"))
    transfer_syntax = str(meta.get("TransferSyntaxUID", "")) if has_meta else ""
    deflated = is_deflated(transfer_syntax)
    instance = ReadInstance(ds, path, size, has_preamble, has_meta, deflated, notes)
    _note_truncation(instance)
    return instance


def instance_from_dataset(ds: Dataset) -> ReadInstance:
    """An in-memory data set: explained without file positions unless it was read from a file."""
    filename = ds.filename if isinstance(getattr(ds, "filename", None), str) else None
    size = None
    if filename and os.path.isfile(filename):
        size = os.path.getsize(filename)
    meta = getattr(ds, "file_meta", None)
    has_meta = bool(meta is not None and len(meta))
    transfer_syntax = str(meta.get("TransferSyntaxUID", "")) if has_meta else ""
    deflated = is_deflated(transfer_syntax)
    preamble = getattr(ds, "preamble", None)
    return ReadInstance(ds, filename or "<dataset>", size, preamble is not None, has_meta, deflated, [])


def element_header_length(vr: str | None, implicit: bool) -> int:
    """Bytes before an element's value: tag (4) + length (4), + VR (2) + reserved (2) for long explicit VRs."""
    if implicit or vr is None:
        return 8
    return 12 if vr in LONG_VRS else 8


def _note_truncation(instance: ReadInstance) -> None:
    """pydicom reads a short value silently: compare the last element's end with the file size."""
    if not instance.offsets_known or any(code == "truncated" for _, code, _ in instance.notes):
        return
    ds = instance.dataset
    tags = list(ds.keys())
    if not tags:
        return
    raw = ds.get_item(tags[-1], keep_deferred=True)
    tell = getattr(raw, "value_tell", None)
    if tell is None:
        tell = getattr(raw, "file_tell", None)
    length = getattr(raw, "length", None)
    if tell is None or length is None or length == 0xFFFFFFFF:
        return
    if tell + length > instance.file_size:
        keyword = pydicom.datadict.keyword_for_tag(tags[-1]) or tag_text(tags[-1])
        instance.notes.append((
            "error", "truncated",
            f"the file ends early: {keyword} needs {length} bytes from offset {tell}, "
            f"the file has {instance.file_size - tell}",
        ))


def length_in_file(handle, offset: int, file_vr: str | None, implicit: bool, little: bool) -> int | None:
    """An element's value length field, read from the file (pydicom drops it once it converts a value)."""
    header = element_header_length(file_vr, implicit)
    size = 2 if (not implicit and header == 8) else 4
    try:
        handle.seek(offset + header - size)
        data = handle.read(size)
    except (OSError, ValueError):
        return None
    return int.from_bytes(data, "little" if little else "big") if len(data) == size else None
