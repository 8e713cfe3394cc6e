"""De-identify files under the PS3.15 Basic Application Level Confidentiality Profile.

New files are written; the inputs are opened read-only and never written. UIDs
the profile replaces (U) are mapped through one table per run, each new UID
derived from the old one and a random salt kept for the run only, so that the
same input UID becomes the same new UID in every file: a de-identified series is
still one series, and references between instances (a SEG's referenced series,
an SR's evidence) still point at the de-identified instances.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset, FileDataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence
from pydicom.uid import generate_uid

from ..errors import DICOMTeachError
from ..safe_read import file_caused_errors
from .actions import phi_action, resolve_code
from .mask import mask_value

#: The method recorded in DeidentificationMethod.
METHOD = "DICOMTeach: PS3.15 Basic Profile"
#: CID 7050 De-identification Method: the Basic Profile.
BASIC_PROFILE_CODE = ("113100", "DCM", "Basic Application Confidentiality Profile")

_TYPE_ORDER = {"1": 0, "1C": 1, "2": 2, "2C": 3, "3": 4}

#: Dummy values by VR: clearly artificial, valid for the VR.
_DUMMY_TEXT = {
    "PN": "ANONYMOUS", "LO": "ANONYMIZED", "SH": "ANONYMIZED", "CS": "ANONYMIZED", "AE": "ANONYMIZED",
    "LT": "ANONYMIZED", "ST": "ANONYMIZED", "UT": "ANONYMIZED", "UC": "ANONYMIZED", "UR": "",
    "DA": "19000101", "TM": "000000", "DT": "19000101000000", "AS": "000Y", "IS": "0", "DS": "0",
}
_DUMMY_NUMBER_VRS = {"US", "SS", "UL", "SL", "FL", "FD", "UV", "SV"}


@dataclass(frozen=True)
class Change:
    """One element the profile changed."""

    tag: str  # "(0010,0010)"
    keyword: str
    path: str  # where in the data set: "ReferencedSeriesSequence[0].SeriesInstanceUID"
    action: str  # the resolved action: "D", "Z", "X", "U"
    profile_code: str  # as the table gives it ("X/Z/D")
    old: str  # masked: the old value is PHI and is never shown
    new: str  # the new value ("" for Z and X)


@dataclass
class DeidentifiedFile:
    source: Path
    output: Path
    changes: list[Change] = field(default_factory=list)

    def action_counts(self) -> dict[str, int]:
        return dict(Counter(change.action for change in self.changes))


@dataclass(frozen=True)
class SkippedFile:
    path: Path
    reason: str


@dataclass
class DeidentifyReport:
    """What deidentify wrote, what it changed in each file, and what it skipped (and why)."""

    output_dir: Path
    files: list[DeidentifiedFile] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    uids_replaced: int = 0  # distinct input UIDs mapped to new ones
    #: (file, element path) of free text the profile kept (TextValue of SR TEXT items...); empty with strict_text
    kept_free_text: list[tuple[Path, str]] = field(default_factory=list)

    def action_counts(self) -> dict[str, int]:
        total: Counter[str] = Counter()
        for item in self.files:
            total.update(change.action for change in item.changes)
        return dict(total)


class UIDMap:
    """Old UID -> new UID, deterministic for one salt: the same UID maps the same way in every file."""

    def __init__(self, salt: str | None = None) -> None:
        self._salt = salt or secrets.token_hex(16)
        self._mapping: dict[str, str] = {}

    def __call__(self, uid: str) -> str:
        uid = str(uid).strip("\0 ")
        if not uid or uid.startswith("1.2.840.10008."):  # empty, or a UID the standard defines
            return uid
        if uid not in self._mapping:
            self._mapping[uid] = generate_uid(entropy_srcs=[self._salt, uid])
        return self._mapping[uid]

    def __len__(self) -> int:
        return len(self._mapping)


def _strictest_types(rules) -> dict[int, object]:
    """tag -> the rule with the strictest type among ``rules`` (a tag may appear in several modules)."""
    found: dict[int, object] = {}
    for rule in rules:
        known = found.get(rule.tag)
        if known is None or _TYPE_ORDER.get(rule.type, 9) < _TYPE_ORDER.get(known.type, 9):
            found[rule.tag] = rule
    return found


def _top_level_rules(sop_class_uid: str) -> dict[int, object]:
    """The IOD's top-level attribute rules for a SOP class; {} when the SOP class is unknown."""
    from ..errors import UnknownIODError
    from ..standard import standard

    tables = standard()
    try:
        iod = tables.iod(sop_class_uid)
    except UnknownIODError:
        return {}
    rules = []
    for reference in iod.modules:
        rules.extend(tables.module(reference.module_id).attributes)
    return _strictest_types(rules)


def _dummy(element: pydicom.DataElement):
    vr = element.VR
    if vr in _DUMMY_TEXT:
        return _DUMMY_TEXT[vr]
    if vr in _DUMMY_NUMBER_VRS:
        return 0
    if vr in ("OB", "OW", "OF", "OD", "OL", "OV", "UN"):
        return b"\0\0"
    if vr == "AT":
        return 0
    return "ANONYMIZED"


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple, MultiValue)):
        return "\\".join(str(item) for item in value)
    return str(value)


#: Free text: values a person types, which may name anyone or anything (VRs of PS3.5 6.2).
FREE_TEXT_VRS = frozenset({"LT", "ST", "UT", "UC"})
TEXT_VALUE_TAG = 0x0040A160


def _free_text(element: pydicom.DataElement) -> bool:
    return int(element.tag) == TEXT_VALUE_TAG or element.VR in FREE_TEXT_VRS or element.VR == "PN"


class _Deidentifier:
    """Applies the profile to a data set and its items, recursively (nested sequences included).

    The Basic Profile lists Content Sequence (0040,A730) with D and Text Value (0040,A160) not at
    all: descending into an SR's content tree, names (Person Name D), dates (Date, DateTime D) and
    UIDs (U) are replaced, but the free text of TEXT items is kept. ``strict_text`` replaces every
    free-text value the profile would keep (TEXT items' Text Value, LT/ST/UT/UC, person names) by a
    dummy; without it, the kept free-text values are counted in ``kept_free_text``.
    """

    def __init__(self, uids: UIDMap, strict_text: bool = False) -> None:
        self.uids = uids
        self.strict_text = strict_text
        self.kept_free_text: list[str] = []

    def dataset(self, ds: Dataset, rules: dict[int, object], prefix: str, changes: list[Change]) -> None:
        for element in list(ds):
            tag = element.tag
            action = phi_action(tag)
            path = f"{prefix}{element.keyword or action.tag_text}"
            rule = rules.get(int(tag))
            code = resolve_code(action.code, getattr(rule, "type", None))
            if code == "K" and element.VR != "SQ" and _free_text(element) and element.value not in (None, ""):
                if self.strict_text:  # recorded as action D against the profile's K
                    code = "D"
                else:
                    self.kept_free_text.append(path)
            old = "" if element.VR == "SQ" else mask_value(_text(element.value), action.code)
            if code == "X":
                del ds[tag]
                changes.append(Change(action.tag_text, element.keyword, path, "X", action.code, old, ""))
                continue
            if element.VR == "SQ":
                item_rules = _strictest_types(getattr(rule, "items", ()) or ())
                if code == "Z":
                    element.value = Sequence()
                    changes.append(Change(action.tag_text, element.keyword, path, "Z", action.code, old, ""))
                    continue
                for index, item in enumerate(element.value or []):
                    self.dataset(item, item_rules, f"{path}[{index}].", changes)
                continue
            if code == "K":
                continue
            if code == "Z":
                element.value = None
                new = ""
            elif code == "U":
                if element.value is None or element.value == "":
                    continue
                values = element.value if isinstance(element.value, MultiValue) else [element.value]
                mapped = [self.uids(str(uid)) for uid in values]
                element.value = mapped if len(mapped) > 1 else mapped[0]
                new = _text(element.value)
            elif element.VR == "UI":  # a dummy UID must still be a UID: the consistent replacement is one
                values = element.value if isinstance(element.value, MultiValue) else [element.value]
                mapped = [self.uids(str(uid)) for uid in values if uid]
                element.value = (mapped if len(mapped) > 1 else mapped[0]) if mapped else None
                new = _text(element.value)
            else:  # D and C (cleaning needs judgement: a dummy value is the safe reading)
                element.value = _dummy(element)
                new = _text(element.value)
            changes.append(Change(action.tag_text, element.keyword, path, code, action.code, old, new))


def _mark_deidentified(ds: Dataset) -> None:
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = METHOD
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = BASIC_PROFILE_CODE
    ds.DeidentificationMethodCodeSequence = Sequence([code])


def deidentify_dataset(ds: FileDataset | Dataset, uids: UIDMap, strict_text: bool = False,
                       kept_free_text: list[str] | None = None) -> list[Change]:
    """Apply the Basic Profile to ``ds`` in place (file meta kept consistent); returns the changes."""
    changes: list[Change] = []
    rules = _top_level_rules(str(ds.get("SOPClassUID", "")))
    deidentifier = _Deidentifier(uids, strict_text)
    deidentifier.dataset(ds, rules, "", changes)
    if kept_free_text is not None:
        kept_free_text.extend(deidentifier.kept_free_text)
    _mark_deidentified(ds)
    meta = getattr(ds, "file_meta", None)
    if meta is not None and "SOPInstanceUID" in ds:
        if not isinstance(ds.SOPInstanceUID, str):  # a damaged element (its VR changed): no UID to write
            raise ValueError(f"SOPInstanceUID is not text but {type(ds.SOPInstanceUID).__name__}")
        meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    return changes


def _collect_inputs(inputs: list[Path]) -> tuple[list[tuple[Path, Path]], list[SkippedFile]]:
    """(file, its path relative to the output folder) for every input file, folders walked recursively,
    and what could not be walked (unreadable folders, looping links) with the reason.

    A folder keeps its name and layout (``IN/a/b.dcm`` -> ``OUT/IN/a/b.dcm``), so that two input
    folders with the same file names do not collide; a file goes to ``OUT/<its name>``.
    """
    from ..paths import relative_to_given, walk

    found: list[tuple[Path, Path]] = []
    skipped: list[SkippedFile] = []
    for item in walk(inputs):
        if item.problem == "no such file or folder" and item.path == item.given:
            raise DICOMTeachError("no such file or folder", item.path)
        if item.problem:
            skipped.append(SkippedFile(Path(item.path), item.problem))
        else:
            found.append((Path(item.path), relative_to_given(item)))
    return found, skipped


def _check_output_dir(inputs: list[Path], output_dir: Path) -> None:
    """Refuse an output folder that is, contains or lies inside an input, or cannot be written: inputs are
    never touched, and a folder problem is one clear line before any file is read."""
    if output_dir.exists() and not output_dir.is_dir():
        raise DICOMTeachError("the output must be a folder, and this is an existing file", output_dir)
    out = output_dir.resolve()
    for given in inputs:
        resolved = Path(given).resolve()
        if resolved == out or out in resolved.parents or (resolved.is_dir() and resolved in out.parents):
            raise DICOMTeachError(
                f"the output folder {output_dir} overlaps the input {given}: choose a folder outside the inputs",
                output_dir)
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DICOMTeachError(f"cannot create the output folder ({error.strerror or error})", output_dir) from error
    if not os.access(output_dir, os.W_OK | os.X_OK):
        raise DICOMTeachError("cannot write into the output folder (permission denied)", output_dir)


def _identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file ``path`` leads to (links followed), None when there is none."""
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_dev, status.st_ino


def _write_new_file(ds: Dataset, target: Path, output_root: Path, inputs: set[tuple[int, int]]) -> None:
    """Write ``ds`` as ``target``: into a new temporary file of its folder, then renamed over the name.

    Renaming replaces the directory entry, never the bytes of a file already there, so a hard link or
    symbolic link to an input placed in the output folder cannot carry the write into the input; such a
    target is refused all the same (DICOMTeachError), as is a folder that leads outside the output folder.
    """
    if _identity(target) in inputs:
        raise DICOMTeachError("the output file is the input itself (a hard or symbolic link to it): refused", target)
    root = output_root.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    folder = target.parent.resolve()
    if folder != root and root not in folder.parents:
        raise DICOMTeachError(f"the output folder {target.parent} leads outside {output_root} (a symbolic link): "
                              "refused", target)
    handle, temporary = tempfile.mkstemp(prefix=".dicomteach-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ds.save_as(stream, enforce_file_format=True)
            except (TypeError, AttributeError, KeyError) as error:  # pydicom's writer on a value of the wrong kind
                raise DICOMTeachError(f"a value of the file cannot be written again ({type(error).__name__}: "
                                      f"{error})", target) from error
        os.replace(temporary, folder / target.name)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _unique(path: Path, taken: set[Path]) -> Path:
    candidate, counter = path, 2
    while candidate in taken:
        candidate = path.with_name(f"{path.stem}-{counter}{path.suffix}")
        counter += 1
    taken.add(candidate)
    return candidate


def _read(source: Path) -> Dataset:
    """The whole data set of ``source``, read-only; also a bare data set without preamble and file meta.

    Its structure is checked first (lengths, depth), and a file whose end cuts a value is refused:
    a partial copy would look complete.
    """
    from ..safe_read import read_dataset

    ds = read_dataset(source, force=True)
    if not ("SOPClassUID" in ds and "SOPInstanceUID" in ds) and not getattr(ds, "preamble", None):
        raise DICOMTeachError("not a DICOM file: no 'DICM' prefix, and no data set with SOP Class "
                              "and SOP Instance UIDs", source)
    return ds


def _add_file_meta(ds: Dataset) -> None:
    """File meta for a data set read without one, so that the copy is a proper DICOM file."""
    implicit, little = ds.original_encoding
    if implicit:
        syntax = pydicom.uid.ImplicitVRLittleEndian
    else:
        syntax = pydicom.uid.ExplicitVRLittleEndian if little is not False else pydicom.uid.ExplicitVRBigEndian
    meta = pydicom.dataset.FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = syntax
    ds.file_meta = meta
    ds.preamble = b"\0" * 128


def _read_and_deidentify(source: Path, uids: UIDMap, strict_text: bool = False,
                         kept_free_text: list[str] | None = None) -> tuple[Dataset, list[Change]]:
    """Read ``source`` (read-only) and de-identify it in memory; DICOMTeachError says why it cannot be."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom's value warnings: the report says what matters
        ds = _read(source)
        if "SOPInstanceUID" not in ds:
            raise DICOMTeachError("no SOPInstanceUID: not a composite instance (a DICOMDIR?)", source)
        try:
            if not getattr(ds, "file_meta", None) or "TransferSyntaxUID" not in ds.file_meta:
                _add_file_meta(ds)
            syntax = pydicom.uid.UID(str(ds.file_meta.get("TransferSyntaxUID", "") or "").strip("\0 "))
            if not syntax.is_transfer_syntax:  # pydicom could not write the copy in it
                raise DICOMTeachError(f"its Transfer Syntax UID {str(syntax)[:64]!r} is not a transfer syntax",
                                      source)
            ds.file_meta.TransferSyntaxUID = syntax  # a UID again, whatever VR the file gave the element
            return ds, deidentify_dataset(ds, uids, strict_text, kept_free_text)
        except file_caused_errors() as error:  # values are converted lazily: damage shows up here
            raise DICOMTeachError(f"cannot de-identify its data set: {type(error).__name__}: {error}",
                                  source) from error


def deidentify(inputs: list[Path], output_dir: Path, salt: str | None = None,
               strict_text: bool = False) -> DeidentifyReport:
    """Write de-identified copies of ``inputs`` (files or folders) under ``output_dir``.

    ``strict_text`` also replaces the free text the Basic Profile keeps (see :class:`_Deidentifier`);
    without it, where such text was kept is listed in the report (``kept_free_text``).

    ``salt`` makes the UID mapping reproducible (tests); by default a random salt is used and
    forgotten after the run, so the new UIDs cannot be traced back to the old ones.
    """
    inputs = [Path(path) for path in inputs]
    output_dir = Path(output_dir)
    files, walk_problems = _collect_inputs(inputs)
    _check_output_dir(inputs, output_dir)
    uids = UIDMap(salt)
    report = DeidentifyReport(output_dir=output_dir, skipped=walk_problems)
    input_identities = {identity for path, _ in files if (identity := _identity(path)) is not None}
    taken: set[Path] = set()
    for source, relative in files:
        try:
            kept: list[str] = []
            ds, changes = _read_and_deidentify(source, uids, strict_text, kept)
        except DICOMTeachError as error:
            report.skipped.append(SkippedFile(source, error.reason))
            continue
        target = _unique(output_dir / relative, taken)
        try:
            _write_new_file(ds, target, output_dir, input_identities)
        except DICOMTeachError as error:
            report.skipped.append(SkippedFile(source, error.reason))
            continue
        except (OSError, *file_caused_errors()) as error:  # a folder we cannot write, a value pydicom cannot encode
            report.skipped.append(SkippedFile(source, f"cannot write the de-identified copy: {error}"))
            continue
        report.files.append(DeidentifiedFile(source, target, changes))
        report.kept_free_text.extend((source, where) for where in kept)
    report.uids_replaced = len(uids)
    return report
