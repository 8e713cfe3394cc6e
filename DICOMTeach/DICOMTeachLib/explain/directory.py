"""A DICOMDIR explained: the Basic Directory IOD's record tree, its offsets checked, its referenced files.

A DICOMDIR (PS3.10 8.6, PS3.3 Annex F) lists a file-set's patients, studies,
series and instances as *directory records*: the items of the Directory Record
Sequence. The records are linked by byte offsets, not by nesting: each record
names the offset of the next record at its level and of the first record one
level down, and the File-set's first and last root records are named by offset
too. Offsets count from the first byte of the file (the preamble belongs to the
File Meta Information). This module follows those links, checks each one
against where the items really are in the file, and looks for every referenced
file beside the DICOMDIR.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from pydicom import Dataset
from pydicom.datadict import tag_for_keyword

from ..tag_format import tag_text
from .model import Problem

#: Media Storage Directory Storage: the SOP class of a DICOMDIR (PS3.4 Annex B; only in the file meta).
DIRECTORY_SOP_CLASS = "1.2.840.10008.1.3.10"
DIRECTORY_RECORD_SEQUENCE = 0x00041220
MODULE_ID = "directory-information"

#: PS3.3 F.4: the four levels of the basic directory model; a record of the key's type sits below one of the value's.
EXPECTED_PARENT = {"STUDY": "PATIENT", "SERIES": "STUDY", "IMAGE": "SERIES"}

#: The type 1 attributes that link a record into the tree (PS3.3 Table F.3-3).
LINK_KEYWORDS = ("OffsetOfTheNextDirectoryRecord", "RecordInUseFlag", "OffsetOfReferencedLowerLevelDirectoryEntity",
                 "DirectoryRecordType")

#: What a person recognises a record by, per record type (the record's keys, PS3.3 F.5).
RECORD_KEYS = {
    "PATIENT": ("PatientName", "PatientID"),
    "STUDY": ("StudyDate", "StudyDescription", "StudyID"),
    "SERIES": ("Modality", "SeriesNumber", "SeriesDescription"),
    "IMAGE": ("InstanceNumber",),
}
GENERIC_KEYS = ("ContentDate", "InstanceNumber", "ContentLabel", "DocumentTitle")

#: Referenced files whose file meta is read and compared with their record, at most (a CD may hold thousands).
MAX_FILES_OPENED = 500

#: PS3.10 8.2: a File ID has at most 8 components of at most 8 characters from A-Z, 0-9 and "_".
MAX_FILE_ID_COMPONENTS = 8
MAX_COMPONENT_LENGTH = 8
FILE_ID_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def record_types() -> frozenset[str]:
    """The Directory Record Type values of the current standard (PS3.3 F.5): pydicom's recorders, and PRIVATE."""
    from pydicom.fileset import DIRECTORY_RECORDERS

    return frozenset(DIRECTORY_RECORDERS) | {"PRIVATE"}


@dataclass
class RecordKey:
    """One value a record carries about its entity (its tag lets the PHI masking hide it like any attribute)."""

    tag_value: int
    keyword: str
    value: str


@dataclass
class DirectoryRecord:
    """One directory record (an item of the Directory Record Sequence) and where it points."""

    number: int  # position in the Directory Record Sequence, from 1
    offset: int | None  # byte offset of the item's tag in the file
    record_type: str
    in_use: bool
    next_offset: int | None  # Offset of the Next Directory Record (0: last at its level)
    lower_offset: int | None  # Offset of Referenced Lower-Level Directory Entity (0: none)
    keys: list[RecordKey]  # the values a person recognises the record by
    file_id: str | None = None  # Referenced File ID, components joined by "/"
    file_path: str | None = None  # where the referenced file is (or would be)
    file_exists: bool | None = None
    sop_class_uid: str | None = None
    transfer_syntax_uid: str | None = None
    references: list[RecordKey] = field(default_factory=list)  # Referenced SOP Instance UID in File
    children: list[DirectoryRecord] = field(default_factory=list)

    @property
    def keys_text(self) -> str:
        return ", ".join(f"{key.keyword} {key.value}" for key in self.keys)

    @property
    def sop_instance_uid(self) -> str | None:
        return self.references[0].value if self.references else None

    @property
    def label(self) -> str:
        where = f" at byte {self.offset}" if self.offset is not None else ""
        return f"record {self.number} ({self.record_type or 'no type'}{where})"

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "number": self.number, "offset": self.offset, "record_type": self.record_type, "in_use": self.in_use,
            "next_offset": self.next_offset, "lower_offset": self.lower_offset,
            "keys": {key.keyword: key.value for key in self.keys},
            "file_id": self.file_id, "file_path": self.file_path, "file_exists": self.file_exists,
            "sop_class_uid": self.sop_class_uid, "sop_instance_uid": self.sop_instance_uid,
            "transfer_syntax_uid": self.transfer_syntax_uid,
            "children": [child.number for child in self.children],
        }


@dataclass
class DirectoryReport:
    """A DICOMDIR's records as a tree, with the offsets that link them checked."""

    file_set_id: str
    first_offset: int | None  # Offset of the First Directory Record of the Root Directory Entity
    last_offset: int | None  # ... of the Last ...
    consistency_flag: int | None  # File-set Consistency Flag (0: no known inconsistencies)
    records: list[DirectoryRecord] = field(default_factory=list)  # every record, in sequence order
    roots: list[DirectoryRecord] = field(default_factory=list)  # the root records, in the order the offsets link them
    offsets_checked: int = 0  # offsets that were compared with the items' positions
    files_opened: int = 0  # referenced files whose file meta was compared with their record
    problems: list[Problem] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Records per type, in the order the types first appear."""
        counts: dict[str, int] = {}
        for record in self.records:
            counts[record.record_type] = counts.get(record.record_type, 0) + 1
        return counts

    @property
    def referenced_files(self) -> list[DirectoryRecord]:
        return [record for record in self.records if record.file_id]

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "file_set_id": self.file_set_id, "first_offset": self.first_offset, "last_offset": self.last_offset,
            "consistency_flag": self.consistency_flag, "record_count": len(self.records),
            "record_counts": self.counts(), "offsets_checked": self.offsets_checked,
            "referenced_files": len(self.referenced_files), "files_opened": self.files_opened,
            "missing_files": sum(1 for record in self.referenced_files if record.file_exists is False),
            "roots": [record.number for record in self.roots],
            "records": [record.to_json_dict() for record in self.records],
        }


def is_directory(ds: Dataset) -> bool:
    """A DICOMDIR: its file meta names Media Storage Directory Storage."""
    meta = getattr(ds, "file_meta", None)
    return meta is not None and str(meta.get("MediaStorageSOPClassUID", "")).strip("\x00 ") == DIRECTORY_SOP_CLASS


def explain_directory(ds: Dataset, path: str | None) -> DirectoryReport:
    """Follow a DICOMDIR's offsets from the root, check each against the items' positions, find the files."""
    report = DirectoryReport(
        file_set_id=_text(ds, "FileSetID"),
        first_offset=_integer(ds, "OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity"),
        last_offset=_integer(ds, "OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity"),
        consistency_flag=_integer(ds, "FileSetConsistencyFlag"),
    )
    try:
        items = list(ds[DIRECTORY_RECORD_SEQUENCE].value) if DIRECTORY_RECORD_SEQUENCE in ds else []
    except Exception as error:  # noqa: BLE001 - a damaged sequence is a problem, not a traceback
        report.problems.append(_problem("error", "directory-unreadable",
                                        f"the Directory Record Sequence cannot be read: {error}"))
        return report
    folder = os.path.dirname(os.path.abspath(path)) if path and os.path.isfile(path) else None
    known_types = record_types()
    for number, item in enumerate(items, start=1):
        record = _record(number, item, folder)
        report.records.append(record)
        for keyword in LINK_KEYWORDS:
            if keyword not in item:  # one type1-missing per attribute, as for any type 1 attribute
                problem = _problem("error", "type1-missing",
                                   f"{record.label} lacks {keyword} (type 1 in every record, PS3.3 F.3): readers "
                                   "cannot link it", tag=tag_for_keyword(keyword))
                problem.keyword = keyword
                report.problems.append(problem)
        if record.record_type not in known_types:
            report.problems.append(_problem(
                "error", "directory-record-type",
                f"{record.label}: Directory Record Type {record.record_type!r} is not one of the standard's "
                "record types (PS3.3 F.5)"))
    _link(report)
    _check_files(report)
    return report


def _record(number: int, item: Dataset, folder: str | None) -> DirectoryRecord:
    record_type = _text(item, "DirectoryRecordType")
    keywords = RECORD_KEYS.get(record_type, GENERIC_KEYS)
    keys = [RecordKey(tag_for_keyword(keyword), keyword, value) for keyword in keywords
            if (value := _text(item, keyword))]
    instance_uid = _text(item, "ReferencedSOPInstanceUIDInFile")
    in_use = _integer(item, "RecordInUseFlag")
    record = DirectoryRecord(
        number=number, offset=getattr(item, "seq_item_tell", None), record_type=record_type,
        in_use=in_use != 0, next_offset=_integer(item, "OffsetOfTheNextDirectoryRecord"),
        lower_offset=_integer(item, "OffsetOfReferencedLowerLevelDirectoryEntity"), keys=keys,
        sop_class_uid=_text(item, "ReferencedSOPClassUIDInFile") or None,
        transfer_syntax_uid=_text(item, "ReferencedTransferSyntaxUIDInFile") or None,
        references=[RecordKey(0x00041511, "ReferencedSOPInstanceUIDInFile", instance_uid)] if instance_uid else [],
    )
    components = _file_id(item)
    if components:
        record.file_id = "/".join(components)
        if folder is not None:
            record.file_path, record.file_exists = _find_file(folder, components)
    return record


def _link(report: DirectoryReport) -> None:
    """Follow first -> next -> lower offsets; every offset must be the position of a record's item tag."""
    at = {record.offset: record for record in report.records if record.offset is not None}
    if len(at) < len(report.records):  # records without positions (an in-memory data set): nothing to check
        report.problems.append(_problem("info", "directory-offsets-unknown",
                                        "the records' positions in a file are unknown: their offsets are not "
                                        "followed"))
        return
    reached: set[int] = set()

    def target(offset: int | None, what: str, owner: str) -> DirectoryRecord | None:
        if not offset:  # 0: none; absent: the breakdown reports the missing type 1 attribute
            return None
        report.offsets_checked += 1
        found = at.get(offset)
        if found is None:
            report.problems.append(_problem(
                "error", "directory-offset",
                f"{owner}: {what} is {offset}, but no directory record starts at byte {offset} "
                f"({_nearest(offset, at)})"))
        return found

    def chain(first: DirectoryRecord | None, parent: DirectoryRecord | None) -> list[DirectoryRecord]:
        members = []
        record = first
        while record is not None:
            if record.number in reached:
                report.problems.append(_problem(
                    "error", "directory-offset",
                    f"{record.label} is reached a second time (from {parent.label if parent else 'the root'}): "
                    "the offsets loop or two entities share a record"))
                break
            reached.add(record.number)
            members.append(record)
            _check_level(report, record, parent)
            record = target(record.next_offset, "Offset of the Next Directory Record", record.label)
        return members

    first = target(report.first_offset, "Offset of the First Directory Record of the Root Directory Entity",
                   "the file-set")
    report.roots = chain(first, None)
    last = target(report.last_offset, "Offset of the Last Directory Record of the Root Directory Entity",
                  "the file-set")
    if report.roots and last is not None and last is not report.roots[-1]:
        report.problems.append(_problem(
            "error", "directory-offset",
            f"the file-set's last root record offset is {report.last_offset} ({last.label}), but the root "
            f"chain ends at {report.roots[-1].label}"))
    pending = list(report.roots)
    while pending:
        record = pending.pop()
        lower = target(record.lower_offset, "Offset of Referenced Lower-Level Directory Entity", record.label)
        if lower is not None:
            record.children = chain(lower, record)
            pending.extend(record.children)
    unreached = [record for record in report.records if record.number not in reached]
    if unreached:
        listed = ", ".join(record.label for record in unreached[:5]) + (" …" if len(unreached) > 5 else "")
        report.problems.append(_problem(
            "warning", "directory-record-unreached",
            f"{len(unreached)} record(s) are not reached from the root by any offset: {listed}"))


def _check_level(report: DirectoryReport, record: DirectoryRecord, parent: DirectoryRecord | None) -> None:
    expected = EXPECTED_PARENT.get(record.record_type)
    found = parent.record_type if parent else None
    if (record.record_type == "PATIENT" and parent is not None) or (expected and found != expected):
        where = f"below {parent.label}" if parent else "at the root"
        wanted = f"below a {expected} record" if expected else "at the root"
        report.problems.append(_problem(
            "warning", "directory-hierarchy",
            f"{record.label} is {where}; the basic directory model puts it {wanted} (PS3.3 F.4)"))


def _check_files(report: DirectoryReport) -> None:
    present = [record for record in report.referenced_files if record.file_exists]
    for record in present[:MAX_FILES_OPENED]:
        reason = _file_disagrees(record)
        if reason:
            report.problems.append(_problem(
                "error", "directory-file-mismatch",
                f"{record.label} references {record.file_id}, but {reason} (PS3.3 F.5: the Referenced ... in File "
                "attributes are those of the file)"))
    report.files_opened = min(len(present), MAX_FILES_OPENED)
    missing = [record for record in report.referenced_files if record.file_exists is False]
    for record in missing[:20]:
        report.problems.append(_problem(
            "warning", "directory-file-missing",
            f"{record.label} references file {record.file_id}, which is not in the file-set's folder"))
    if len(missing) > 20:
        report.problems.append(_problem("warning", "directory-file-missing",
                                        f"… and {len(missing) - 20} more referenced files are missing"))
    nonconformant = [record for record in report.referenced_files if not _conformant(record.file_id or "")]
    if nonconformant:
        example = nonconformant[0]
        report.problems.append(_problem(
            "warning", "directory-file-id",
            f"{len(nonconformant)} Referenced File ID(s) break PS3.10 8.2 (at most 8 components of at most 8 "
            f"characters A-Z, 0-9, _), e.g. {example.file_id!r} in {example.label}"))


def _file_disagrees(record: DirectoryRecord) -> str | None:
    """Why the referenced file is not the instance the record names (its file meta), or None."""
    from pydicom.filereader import read_file_meta_info

    try:
        meta = read_file_meta_info(record.file_path)
    except Exception as error:  # noqa: BLE001 - any reason a file-set member cannot be read is worth saying
        return f"its file meta information cannot be read ({type(error).__name__})"
    stated = (("ReferencedSOPClassUIDInFile", record.sop_class_uid, "MediaStorageSOPClassUID"),
              ("ReferencedSOPInstanceUIDInFile", record.sop_instance_uid, "MediaStorageSOPInstanceUID"),
              ("ReferencedTransferSyntaxUIDInFile", record.transfer_syntax_uid, "TransferSyntaxUID"))
    for keyword, in_record, meta_keyword in stated:
        in_file = str(meta.get(meta_keyword, "") or "").strip("\x00 ")
        if in_record and in_file != in_record:
            return f"the record's {keyword} {in_record} differs from the file's {meta_keyword} {in_file or '(none)'}"
    return None


def _conformant(file_id: str) -> bool:
    components = file_id.split("/")
    return len(components) <= MAX_FILE_ID_COMPONENTS and all(
        0 < len(part) <= MAX_COMPONENT_LENGTH and set(part) <= FILE_ID_CHARACTERS for part in components)


def _find_file(folder: str, components: list[str]) -> tuple[str, bool]:
    """The referenced file beside the DICOMDIR; names are matched ignoring case (CDs made elsewhere)."""
    exact = os.path.join(folder, *components)
    if os.path.isfile(exact):
        return exact, True
    current = folder
    for part in components:
        try:
            names = {name.upper(): name for name in os.listdir(current)}
        except OSError:
            return exact, False
        name = names.get(part.upper())
        if name is None:
            return exact, False
        current = os.path.join(current, name)
    return (current, True) if os.path.isfile(current) else (exact, False)


def _file_id(item: Dataset) -> list[str]:
    try:
        value = item.get("ReferencedFileID")
    except Exception:  # noqa: BLE001 - a damaged value: no file to look for
        return []
    if value is None or value == "":
        return []
    parts = [value] if isinstance(value, str) else list(value)
    return [str(part).strip() for part in parts if str(part).strip()]


def _nearest(offset: int, at: dict[int, DirectoryRecord]) -> str:
    before = max((o for o in at if o < offset), default=None)
    after = min((o for o in at if o > offset), default=None)
    parts = []
    if before is not None:
        parts.append(f"the nearest records start at {before}")
    if after is not None:
        parts.append(f"{after}" if parts else f"the next record starts at {after}")
    return " and ".join(parts) if parts else "the sequence has no records"


def _problem(severity: str, code: str, message: str, tag: int | None = DIRECTORY_RECORD_SEQUENCE) -> Problem:
    return Problem(severity, code, tag_text(tag) if tag is not None else None,  # type: ignore[arg-type]
                   "DirectoryRecordSequence" if tag is not None else None, MODULE_ID, message)


def _text(ds: Dataset, keyword: str) -> str:
    try:
        value = ds.get(keyword)
    except Exception:  # noqa: BLE001 - a damaged value reads as absent here; the breakdown reports it
        return ""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        value = "\\".join(str(v) for v in value)
    return str(value).strip("\x00 ")


def _integer(ds: Dataset, keyword: str) -> int | None:
    try:
        value = ds.get(keyword)
        return None if value is None or value == "" else int(value)
    except (TypeError, ValueError):
        return None
    except Exception:  # noqa: BLE001 - damaged value
        return None
