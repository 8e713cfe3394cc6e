"""Index: files and folders -> Patient -> Study -> Series -> Instance records, from headers only.

Indexing a folder of thousands of slices must be quick, so each header is read
by a small parser that walks the data elements of the first kilobytes of the
file, keeps the few tags listed in :data:`INDEX_TAGS` and stops as soon as it
is past the last of them: pixel data is never read, nor the rest of a large
header. Files it cannot walk this way (big endian, deflated, no "DICM"
prefix) go through pydicom (``stop_before_pixels`` and ``specific_tags``).
Files that are not DICOM, or lack the UIDs that place them in the hierarchy,
are skipped and counted with the reason.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: (keyword, group, element, VR) of every tag the index keeps.
INDEX_TAGS: tuple[tuple[str, int, int, str], ...] = (
    ("SpecificCharacterSet", 0x0008, 0x0005, "CS"),
    ("SOPClassUID", 0x0008, 0x0016, "UI"),
    ("SOPInstanceUID", 0x0008, 0x0018, "UI"),
    ("StudyDate", 0x0008, 0x0020, "DA"),
    ("StudyTime", 0x0008, 0x0030, "TM"),
    ("Modality", 0x0008, 0x0060, "CS"),
    ("StudyDescription", 0x0008, 0x1030, "LO"),
    ("SeriesDescription", 0x0008, 0x103E, "LO"),
    ("PatientName", 0x0010, 0x0010, "PN"),
    ("PatientID", 0x0010, 0x0020, "LO"),
    ("PatientBirthDate", 0x0010, 0x0030, "DA"),
    ("PatientSex", 0x0010, 0x0040, "CS"),
    ("PatientComments", 0x0010, 0x4000, "LT"),
    ("StudyInstanceUID", 0x0020, 0x000D, "UI"),
    ("SeriesInstanceUID", 0x0020, 0x000E, "UI"),
    ("StudyID", 0x0020, 0x0010, "SH"),
    ("SeriesNumber", 0x0020, 0x0011, "IS"),
    ("InstanceNumber", 0x0020, 0x0013, "IS"),
    ("FrameOfReferenceUID", 0x0020, 0x0052, "UI"),
    ("NumberOfFrames", 0x0028, 0x0008, "IS"),
    ("Rows", 0x0028, 0x0010, "US"),
    ("Columns", 0x0028, 0x0011, "US"),
)
_WANTED = {(group << 16) | element: (keyword, vr) for keyword, group, element, vr in INDEX_TAGS}
_LAST_TAG = max(_WANTED)
_LONG_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"UC", b"UN", b"UR", b"UT", b"SV", b"UV"}
#: single-byte or UTF-8 character sets that need no code extensions
_SIMPLE_CHARSETS = {"ISO_IR 100": "latin_1", "ISO_IR 192": "utf_8", "ISO_IR 101": "iso8859_2",
                    "ISO_IR 144": "iso8859_5", "ISO_IR 148": "iso8859_9"}
_TEXT_VRS = {"PN", "LO", "SH", "LT", "ST", "UT", "UC"}
_UNDEFINED = 0xFFFFFFFF
_ITEM, _ITEM_END, _SEQUENCE_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
_IMPLICIT_LE = "1.2.840.10008.1.2"
_EXPLICIT_LE = "1.2.840.10008.1.2.1"
_DICOMDIR = "1.2.840.10008.1.3.10"
_PIXEL_DATA = 0x7FE00010


@dataclass
class InstanceRecord:
    path: str
    sop_instance_uid: str
    sop_class_uid: str
    instance_number: int | None = None
    number_of_frames: int = 1
    rows: int | None = None
    columns: int | None = None


@dataclass
class SeriesRecord:
    series_instance_uid: str
    series_number: str = ""
    series_description: str = ""
    modality: str = ""
    frame_of_reference_uid: str = ""
    instances: list[InstanceRecord] = field(default_factory=list)


@dataclass
class StudyRecord:
    study_instance_uid: str
    study_id: str = ""
    study_description: str = ""
    study_date: str = ""
    study_time: str = ""
    series: list[SeriesRecord] = field(default_factory=list)


@dataclass
class PatientRecord:
    patient_id: str
    patient_name: str = ""
    patient_sex: str = ""
    patient_birth_date: str = ""
    patient_comments: str = ""
    #: the key Slicer uses: PatientID, or "Patient-<StudyInstanceUID>" when it is empty
    key: str = ""
    studies: list[StudyRecord] = field(default_factory=list)


@dataclass
class Index:
    patients: list[PatientRecord] = field(default_factory=list)
    #: path -> why it is not in the tree
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        studies = [study for patient in self.patients for study in patient.studies]
        series = [item for study in studies for item in study.series]
        return {"patients": len(self.patients), "studies": len(studies), "series": len(series),
                "instances": sum(len(item.instances) for item in series), "skipped": len(self.skipped)}


class _NotParsable(Exception):
    """The quick parser cannot walk this file; pydicom will."""


class _HeaderReader:
    """Walks the data elements of a file's first bytes, reading more only when needed."""

    def __init__(self, fp, chunk: int = 8192) -> None:
        self.fp = fp
        self.size = os.fstat(fp.fileno()).st_size
        self.buffer = fp.read(chunk)

    def need(self, end: int) -> None:
        if end > self.size:  # a declared length past the end of the file: never read (nor allocate) it
            raise _NotParsable("file ends inside the header")
        while end > len(self.buffer):
            more = self.fp.read(max(end - len(self.buffer), len(self.buffer)))
            if not more:
                raise _NotParsable("file ends inside the header")
            self.buffer += more


_EXPLICIT_HEADER = struct.Struct("<HH2sH")
_IMPLICIT_HEADER = struct.Struct("<HHL")
_LENGTH = struct.Struct("<L")


def _walk(reader: _HeaderReader, offset: int, implicit: bool, stop_at: int,
          found: dict[int, tuple[str, bytes]] | None, end_tag: int | None = None, depth: int = 0) -> int:
    """Parse elements from ``offset``; keep wanted ones in ``found`` (top level only). Returns the next offset.

    The hot loop of indexing: one struct call per element, the buffer re-read
    only when an element crosses its end.
    """
    buffer, size = reader.buffer, len(reader.buffer)
    explicit_header, implicit_header, long_length = _EXPLICIT_HEADER.unpack_from, _IMPLICIT_HEADER.unpack_from, \
        _LENGTH.unpack_from
    wanted = _WANTED if found is not None else {}
    while True:
        if offset + 12 > size:
            try:
                reader.need(offset + 12)
            except _NotParsable:
                if offset >= len(reader.buffer) and found is not None and end_tag is None:
                    return offset  # the file ends cleanly before the tags we stop at (no pixel data)
                reader.need(offset + 8)
            buffer, size = reader.buffer, len(reader.buffer)
        if implicit:
            group, element, length = implicit_header(buffer, offset)
            tag = (group << 16) | element
            vr = b""
            offset += 8
        else:
            group, element, vr, length = explicit_header(buffer, offset)
            tag = (group << 16) | element
            if group == 0xFFFE:
                (length,) = long_length(buffer, offset + 4)
                vr = b""
                offset += 8
            elif vr in _LONG_VRS:
                (length,) = long_length(buffer, offset + 8)
                offset += 12
            elif 65 <= vr[0] <= 90 and 65 <= vr[1] <= 90:
                offset += 8
            else:
                raise _NotParsable("the data set is not explicit VR as its transfer syntax says")
        if end_tag is not None and tag == end_tag:
            return offset
        if found is not None and (tag > stop_at or tag == _PIXEL_DATA):
            return offset - (12 if vr in _LONG_VRS else 8)
        if length == _UNDEFINED:
            offset = _skip_sequence(reader, offset, implicit, depth + 1)
            buffer, size = reader.buffer, len(reader.buffer)
            continue
        if tag in wanted:
            if offset + length > size:
                reader.need(offset + length)
                buffer, size = reader.buffer, len(reader.buffer)
            found[tag] = (vr.decode("ascii", "replace") if vr else wanted[tag][1], bytes(buffer[offset:offset + length]))
        offset += length


def _skip_sequence(reader: _HeaderReader, offset: int, implicit: bool, depth: int) -> int:
    """Skip an undefined-length sequence (or encapsulated value) whose items follow ``offset``."""
    from .safe_read import MAX_SEQUENCE_DEPTH

    if depth > MAX_SEQUENCE_DEPTH:
        raise _NotParsable("sequences nested too deep")  # the structure check says so, with the file's name
    unpack = struct.unpack_from
    while True:
        reader.need(offset + 8)
        group, element, length = unpack("<HHL", reader.buffer, offset)
        tag = (group << 16) | element
        offset += 8
        if tag == _SEQUENCE_END:
            return offset
        if tag != _ITEM:
            raise _NotParsable(f"unexpected tag {tag:08X} in a sequence")
        if length == _UNDEFINED:
            offset = _walk(reader, offset, implicit, 0xFFFFFFFF, None, end_tag=_ITEM_END, depth=depth)
        else:
            offset += length


def _decode(vr: str, raw: bytes, charsets: list[str] | None) -> str | int:
    if vr == "US":
        return struct.unpack("<H", raw[:2])[0] if len(raw) >= 2 else 0
    text = raw.rstrip(b"\x00 ")
    if vr in _TEXT_VRS and charsets:
        if len(charsets) == 1 and charsets[0] in _SIMPLE_CHARSETS:
            decoded = text.decode(_SIMPLE_CHARSETS[charsets[0]], "replace")
        else:
            from pydicom.charset import convert_encodings, decode_bytes

            decoded = decode_bytes(text, convert_encodings(charsets), {"\\", "^", "="} if vr == "PN" else {"\\"})
    else:
        decoded = text.decode("latin-1")
    # A person name's empty trailing groups ("Name=Ideographic=") are dropped, as pydicom shows it.
    return decoded.rstrip("=").strip() if vr == "PN" else decoded.strip()


def _quick_header(path: str) -> dict[str, str | int]:
    with open(path, "rb") as fp:
        reader = _HeaderReader(fp)
        if len(reader.buffer) < 132 or reader.buffer[128:132] != b"DICM":
            raise _NotParsable("no DICM prefix")
        meta: dict[int, tuple[str, bytes]] = {}
        offset = 132
        reader.need(offset + 12)
        group, element = struct.unpack_from("<HH", reader.buffer, offset)
        if group != 0x0002:
            raise _NotParsable("no file meta information")
        meta_end = None
        if element == 0x0000:  # group length tells where the data set starts
            (meta_length,) = struct.unpack_from("<L", reader.buffer, offset + 8)
            meta_end = offset + 12 + meta_length
        # The file meta group is always explicit VR little endian.
        syntax_tag = 0x00020010
        _WANTED_META = {syntax_tag, 0x00020002}
        while True:
            reader.need(offset + 8)
            group, element = struct.unpack_from("<HH", reader.buffer, offset)
            if group != 0x0002:
                break
            vr = bytes(reader.buffer[offset + 4:offset + 6])
            if vr in _LONG_VRS:
                reader.need(offset + 12)
                (length,) = struct.unpack_from("<L", reader.buffer, offset + 8)
                offset += 12
            else:
                (length,) = struct.unpack_from("<H", reader.buffer, offset + 6)
                offset += 8
            tag = (group << 16) | element
            if tag in _WANTED_META:
                reader.need(offset + length)
                meta[tag] = ("UI", bytes(reader.buffer[offset:offset + length]))
            offset += length
        if meta_end is not None and meta_end != offset:
            offset = meta_end
        syntax = meta.get(syntax_tag, ("", b""))[1].rstrip(b"\x00 ").decode("ascii", "replace")
        if syntax not in (_IMPLICIT_LE, _EXPLICIT_LE) and not syntax.startswith("1.2.840.10008.1.2.4") \
                and syntax != "1.2.840.10008.1.2.5":
            raise _NotParsable(f"transfer syntax {syntax or '(none)'}")
        found: dict[int, tuple[str, bytes]] = {}
        _walk(reader, offset, syntax == _IMPLICIT_LE, _LAST_TAG, found)
    media_class = meta.get(0x00020002, ("", b""))[1].rstrip(b"\x00 ").decode("ascii", "replace")
    charsets = None
    if 0x00080005 in found:
        charsets = [c.strip() for c in found[0x00080005][1].decode("ascii", "replace").split("\\")]
        if all(c in ("", "ISO_IR 6") for c in charsets):
            charsets = None
    values: dict[str, str | int] = {"_MediaStorageSOPClassUID": media_class}
    for tag, (vr, raw) in found.items():
        values[_WANTED[tag][0]] = _decode(vr, raw, charsets)
    return values


def _pydicom_header(path: str) -> dict[str, str | int]:
    import pydicom

    from .safe_read import BoundedFile

    with BoundedFile(path) as handle:  # pydicom allocates what a length declares: never more than the file
        dataset = pydicom.dcmread(handle, stop_before_pixels=True, specific_tags=[k for k, *_ in INDEX_TAGS])
    values: dict[str, str | int] = {}
    meta = getattr(dataset, "file_meta", None)
    values["_MediaStorageSOPClassUID"] = str(meta.get("MediaStorageSOPClassUID", "")) if meta is not None else ""
    for keyword, *_ in INDEX_TAGS:
        value = dataset.get(keyword)
        if value is None:
            continue
        values[keyword] = value if isinstance(value, int) and keyword in ("Rows", "Columns") else str(value).strip()
    return values


def read_index_header(path: str) -> dict[str, str | int]:
    """The :data:`INDEX_TAGS` values of one file (keyword -> value); DICOMTeachError when it is not DICOM."""
    from .errors import DICOMTeachError, NotDicomError

    try:
        return _quick_header(path)
    except (_NotParsable, struct.error, UnicodeDecodeError, LookupError):
        pass
    except FileNotFoundError as error:
        raise DICOMTeachError("no such file or folder", path) from error
    except OSError as error:
        raise DICOMTeachError(f"cannot read: {error.strerror or error}", path) from error
    import pydicom

    from .safe_read import check_structure, file_caused_errors, refuse_cut_header

    refuse_cut_header(check_structure(path, stop_at_pixels=True), path)
    try:
        return _pydicom_header(path)
    except pydicom.errors.InvalidDicomError as error:
        raise NotDicomError("not a DICOM file (no 'DICM' prefix and no file meta information)", path) from error
    except file_caused_errors() as error:
        raise DICOMTeachError(f"cannot read the header: {type(error).__name__}: {error}", path) from error


def iter_files(paths: Iterable[str | Path]) -> Iterator[str]:
    """Files named, and every file under folders named (recursive, sorted); see :mod:`.paths`."""
    from .paths import walk

    return (found.path for found in walk(paths) if not found.problem)


def _int(value: str | int | None) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def index_paths(paths: Sequence[str | Path]) -> Index:
    """Index files and folders: the Patient -> Study -> Series -> Instance tree and the skipped files."""
    from .errors import DICOMTeachError

    index = Index()
    patients: dict[str, PatientRecord] = {}
    studies: dict[str, StudyRecord] = {}
    series_map: dict[str, SeriesRecord] = {}
    from .dicomdir import expand_dicomdirs
    from .paths import files_and_problems

    walked, index.skipped = files_and_problems(paths)
    files, dicomdir_problems = expand_dicomdirs(walked)  # a DICOMDIR stands for the files it references
    index.skipped.update(dicomdir_problems)
    for path in files:
        try:
            values = read_index_header(path)
        except DICOMTeachError as error:
            index.skipped[path] = error.reason
            continue
        if values.get("_MediaStorageSOPClassUID") == _DICOMDIR:
            index.skipped[path] = "a DICOMDIR (a directory of other files, not an instance)"
            continue
        missing = [k for k in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID") if not values.get(k)]
        if missing:
            index.skipped[path] = f"DICOM, but without {', '.join(missing)}: cannot place it in the hierarchy"
            continue

        def text(keyword: str, values: dict = values) -> str:
            return str(values.get(keyword, "") or "")

        study_uid = text("StudyInstanceUID")
        key = text("PatientID") or f"Patient-{study_uid}"
        patient = patients.get(key)
        if patient is None:
            patient = patients[key] = PatientRecord(
                patient_id=text("PatientID"), patient_name=text("PatientName"), patient_sex=text("PatientSex"),
                patient_birth_date=text("PatientBirthDate"), patient_comments=text("PatientComments"), key=key)
            index.patients.append(patient)
        study = studies.get(study_uid)
        if study is None:
            study = studies[study_uid] = StudyRecord(
                study_instance_uid=study_uid, study_id=text("StudyID"), study_description=text("StudyDescription"),
                study_date=text("StudyDate"), study_time=text("StudyTime"))
            patient.studies.append(study)
        series_uid = text("SeriesInstanceUID")
        series = series_map.get(series_uid)
        if series is None:
            series = series_map[series_uid] = SeriesRecord(
                series_instance_uid=series_uid, series_number=text("SeriesNumber"),
                series_description=text("SeriesDescription"), modality=text("Modality"),
                frame_of_reference_uid=text("FrameOfReferenceUID"))
            study.series.append(series)
        series.instances.append(InstanceRecord(
            path=path, sop_instance_uid=text("SOPInstanceUID"), sop_class_uid=text("SOPClassUID"),
            instance_number=_int(values.get("InstanceNumber")), number_of_frames=_int(values.get("NumberOfFrames")) or 1,
            rows=_int(values.get("Rows")), columns=_int(values.get("Columns"))))
    for series in series_map.values():
        series.instances.sort(key=lambda i: (i.instance_number is None, i.instance_number or 0, i.path))
    return index
