"""A DICOMDIR explained as the Basic Directory IOD: its record tree, offsets checked on the bytes, its files.

Checked against pydicom's DICOMDIR test files (written by DCMTK's dcmmkdir and variants), a DICOMDIR that
pydicom's FileSet writes from ../shared/data at test time, pydicom's own reading of the file-set (FileSet),
the bytes of the Directory Record Sequence walked here item by item, and dciodvfy.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pydicom
import pytest
from oracles.dciodvfy import normalized_name, run_dciodvfy
from pydicom.fileset import FileSet

from DICOMTeachLib.cli import main
from DICOMTeachLib.explain import explain, render_text

VARIANTS = ("DICOMDIR", "DICOMDIR-bigEnd", "DICOMDIR-implicit", "DICOMDIR-reordered", "DICOMDIR-nopatient",
            "DICOMDIR-nooffset", "DICOMDIR-empty.dcm")


def _dicomdir(name: str = "DICOMDIR") -> Path:
    from DICOMTeachLib.testdata import pydicom_test_directory

    return pydicom_test_directory() / "dicomdirtests" / name


def _item_offsets(path: Path) -> list[int]:
    """Where each Directory Record Sequence item starts, walked from the bytes (defined lengths)."""
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    implicit, little = ds.original_encoding
    order = "little" if little else "big"
    data = path.read_bytes()
    raw = pydicom.dcmread(path, defer_size=0).get_item(0x00041220, keep_deferred=True)
    position, end = raw.value_tell, raw.value_tell + raw.length
    offsets = []
    while position < end:
        group, element = int.from_bytes(data[position:position + 2], order), \
            int.from_bytes(data[position + 2:position + 4], order)
        assert (group, element) == (0xFFFE, 0xE000)
        offsets.append(position)
        position += 8 + int.from_bytes(data[position + 4:position + 8], order)
    return offsets


def _preorder(records) -> list[tuple[int, str, str]]:
    out = []

    def visit(record, depth):
        out.append((depth, record.record_type, record.sop_instance_uid or record.keys_text))
        for child in record.children:
            visit(child, depth + 1)

    for root in records:
        visit(root, 0)
    return out


def _pydicom_preorder(fs: FileSet) -> list[tuple[int, str, str]]:
    out = []

    def visit(node, depth):
        uid = node.instance.SOPInstanceUID if node.has_instance else None
        out.append((depth, node.record_type, uid))
        for child in node.children:
            visit(child, depth + 1)

    for node in fs._tree.children:
        visit(node, 0)
    return out


def test_dicomdir_is_the_basic_directory_iod_with_its_records():
    explanation = explain(_dicomdir())
    assert explanation.sop_class_uid == "1.2.840.10008.1.3.10"
    assert explanation.iod == ("basic-directory", "Basic Directory")
    assert [m.id for m in explanation.modules] == ["file-set-identification", "directory-information"]
    assert "unknown-sop-class" not in explanation.problem_codes()
    directory = explanation.directory
    ds = pydicom.dcmread(_dicomdir())
    assert directory.file_set_id == ds.FileSetID == "PYDICOM_TEST"
    assert directory.counts() == dict(Counter(r.DirectoryRecordType for r in ds.DirectoryRecordSequence))
    assert directory.counts() == {"PATIENT": 2, "STUDY": 6, "SERIES": 13, "IMAGE": 31}
    assert not [p for p in explanation.problems if p.code.startswith("directory")]


@pytest.mark.parametrize("name", ["DICOMDIR", "DICOMDIR-bigEnd", "DICOMDIR-implicit", "DICOMDIR-reordered"])
def test_record_offsets_are_the_items_positions_in_the_bytes(name):
    path = _dicomdir(name)
    directory = explain(path).directory
    assert [record.offset for record in directory.records] == _item_offsets(path)
    ds = pydicom.dcmread(path)
    assert directory.roots[0].offset == ds.OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity
    assert directory.roots[-1].offset == ds.OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity
    for record in directory.records:  # the links are the offsets the records state
        if record.children:
            assert record.children[0].offset == record.lower_offset
            for before, after in zip(record.children, record.children[1:], strict=False):
                assert after.offset == before.next_offset
            assert record.children[-1].next_offset == 0
    assert directory.offsets_checked == sum(
        bool(r.next_offset) + bool(r.lower_offset) for r in directory.records) + 2


@pytest.mark.filterwarnings("ignore:The DICOMDIR dataset uses an invalid transfer syntax")
@pytest.mark.parametrize("name", ["DICOMDIR", "DICOMDIR-bigEnd", "DICOMDIR-implicit", "DICOMDIR-reordered"])
def test_record_tree_is_the_tree_pydicom_reads(name):
    path = _dicomdir(name)
    ours = _preorder(explain(path).directory.roots)
    theirs = _pydicom_preorder(FileSet(pydicom.dcmread(path)))
    assert [(depth, kind) for depth, kind, _ in ours] == [(depth, kind) for depth, kind, _ in theirs]
    assert [uid for _, kind, uid in ours if kind == "IMAGE"] == [uid for _, kind, uid in theirs if kind == "IMAGE"]


def test_referenced_files_are_found_and_are_the_instances_named():
    directory = explain(_dicomdir()).directory
    files = directory.referenced_files
    assert len(files) == 31 and all(record.file_exists for record in files)
    for record in files:
        ds = pydicom.dcmread(record.file_path, stop_before_pixels=True)
        assert ds.SOPInstanceUID == record.sop_instance_uid
        assert ds.SOPClassUID == record.sop_class_uid
        assert Path(record.file_path).relative_to(_dicomdir().parent).as_posix() == record.file_id


def test_corrupt_next_record_offset_is_flagged(tmp_path):
    source = _dicomdir()
    data = bytearray(source.read_bytes())
    directory = explain(source).directory
    study = directory.records[1]
    assert study.record_type == "STUDY" and study.next_offset == 1814
    value = study.offset + 8 + 8  # item header, then (0004,1400) UL's 8-byte header: its value
    assert int.from_bytes(data[value:value + 4], "little") == study.next_offset
    data[value:value + 4] = (study.next_offset + 2).to_bytes(4, "little")
    damaged = tmp_path / "DICOMDIR"  # alone: its referenced files are not copied
    damaged.write_bytes(bytes(data))
    explanation = explain(damaged)
    offsets = [p.message for p in explanation.problems if p.code == "directory-offset"]
    assert len(offsets) == 1
    assert "record 2 (STUDY at byte 510)" in offsets[0] and "is 1816" in offsets[0]
    assert "no directory record starts at byte 1816" in offsets[0]
    unreached = [p.message for p in explanation.problems if p.code == "directory-record-unreached"]
    # the second study of the first patient, its series and images (1 + 1 + 4) can no longer be reached
    assert unreached and unreached[0].startswith("6 record(s)")
    missing = [p for p in explanation.problems if p.code == "directory-file-missing"]
    assert missing and all(r.file_exists is False for r in explanation.directory.referenced_files)


def test_unknown_record_types_and_unlinked_records_are_flagged_as_dciodvfy_does():
    explanation = explain(_dicomdir("DICOMDIR-nopatient"))
    types = [p.message for p in explanation.problems if p.code == "directory-record-type"]
    theirs = [line for line in run_dciodvfy(_dicomdir("DICOMDIR-nopatient")).other_errors
              if "Directory Record Type" in line]
    assert len(types) == len(theirs) == 2 and all("'UNKNOWN'" in m for m in types)
    incomplete = [p for p in explain(_dicomdir("DICOMDIR-nooffset")).problems
                  if p.code == "type1-missing" and p.module == "directory-information"]
    their_missing = {f.keyword for f in run_dciodvfy(_dicomdir("DICOMDIR-nooffset")).errors}
    assert their_missing == {"OffsetOfTheNextDirectoryRecord", "OffsetOfReferencedLowerLevelDirectoryEntity"}
    assert {p.keyword for p in incomplete} == their_missing
    assert all("record 52 (IMAGE" in p.message for p in incomplete)


@pytest.mark.parametrize("name", VARIANTS)
def test_dciodvfy_recognises_the_same_iod(name):
    result = run_dciodvfy(_dicomdir(name))
    explanation = explain(_dicomdir(name))
    assert result.iod == "BasicDirectory"
    assert normalized_name(result.iod) == normalized_name(explanation.iod[0])


@pytest.fixture
def written_file_set(shared_data, tmp_path):
    """A DICOMDIR written by pydicom's FileSet from real files (CT slices, two SEGs, an SR)."""
    case = shared_data / "liver-ct-seg-sr"
    sources = sorted((case / "ct").glob("*.dcm")) + sorted((case / "seg").glob("*.dcm")) + \
        [case / "sr" / "liver-measurements-sr.dcm"]
    file_set = FileSet()
    for source in sources:
        file_set.add(source)
    file_set.write(tmp_path / "cd")
    return tmp_path / "cd" / "DICOMDIR", sources


def test_dicomdir_written_by_pydicom_from_real_files(written_file_set):
    path, sources = written_file_set
    explanation = explain(path)
    directory = explanation.directory
    headers = [pydicom.dcmread(source, stop_before_pixels=True) for source in sources]
    assert directory.counts()["PATIENT"] == len({ds.PatientID for ds in headers})
    assert directory.counts()["STUDY"] == len({ds.StudyInstanceUID for ds in headers})
    assert directory.counts()["SERIES"] == len({ds.SeriesInstanceUID for ds in headers})
    referenced = directory.referenced_files
    assert sorted(r.sop_instance_uid for r in referenced) == sorted(ds.SOPInstanceUID for ds in headers)
    assert all(r.file_exists for r in referenced)
    assert [r.offset for r in directory.records] == _item_offsets(path)
    assert not [p for p in explanation.problems if p.severity == "error"]
    assert run_dciodvfy(path).iod == "BasicDirectory"


def test_dicomdir_written_by_dcmtk_from_real_files(shared_data, tmp_path):
    """DCMTK's dcmmkdir (General Purpose CD-R profile) over LIDC CT slices and their SEG."""
    dcmmkdir = shutil.which("dcmmkdir")
    if dcmmkdir is None:
        pytest.skip("dcmmkdir (Debian package dcmtk) is not installed")
    case = shared_data / "lidc-idri-0001-ct-seg"
    sources = sorted((case / "ct").glob("*.dcm"))[:4] + sorted((case / "seg").glob("*.dcm"))
    for number, source in enumerate(sources, start=1):
        folder = tmp_path / ("SEG" if "seg" in source.parts else "CT")
        folder.mkdir(exist_ok=True)
        shutil.copy(source, folder / f"IM{number}")
    # +I: invent the type 1 record keys the LIDC files leave empty (Study Time, Study ID)
    subprocess.run([dcmmkdir, "+I", "--recurse", "CT", "SEG"], cwd=tmp_path, check=True, capture_output=True)
    path = tmp_path / "DICOMDIR"
    explanation = explain(path)
    directory = explanation.directory
    headers = [pydicom.dcmread(source, stop_before_pixels=True) for source in sources]
    assert directory.counts() == {"PATIENT": 1, "STUDY": 1, "SERIES": len({ds.SeriesInstanceUID for ds in headers}),
                                  "IMAGE": len(sources)}
    assert sorted(r.sop_instance_uid for r in directory.referenced_files) == sorted(ds.SOPInstanceUID for ds in headers)
    assert all(r.file_exists for r in directory.referenced_files)
    assert [r.offset for r in directory.records] == _item_offsets(path)
    assert [(d, k) for d, k, _ in _preorder(directory.roots)] == \
        [(d, k) for d, k, _ in _pydicom_preorder(FileSet(pydicom.dcmread(path)))]
    assert not [p for p in explanation.problems if p.code.startswith("directory")]
    assert run_dciodvfy(path).iod == "BasicDirectory"


def test_default_text_shows_the_tree_to_the_series_and_full_every_record():
    explanation = explain(_dicomdir())
    text = render_text(explanation)
    assert "52 directory records (2 PATIENT, 6 STUDY, 13 SERIES, 31 IMAGE)" in text
    assert "31 referenced files, all present" in text
    assert "@396     PATIENT  PatientName Doe^Archibald, PatientID 77654033" in text
    assert "7 IMAGE record(s)" in text and "77654033/CR1/6154" not in text
    full = render_text(explanation, full=True)
    assert "-> 77654033/CR1/6154 (present)" in full and "[next @3126, lower @510]" in full


def test_json_carries_the_directory(capsys):
    assert main(["explain", "--json", str(_dicomdir())]) == 0
    obj = json.loads(capsys.readouterr().out.splitlines()[0])
    directory = obj["directory"]
    assert directory["record_count"] == 52 and directory["missing_files"] == 0
    assert directory["record_counts"] == {"PATIENT": 2, "STUDY": 6, "SERIES": 13, "IMAGE": 31}
    offsets = _item_offsets(_dicomdir())
    first = directory["records"][0]
    studies = [offsets.index(510) + 1, offsets.index(1814) + 1]  # the first patient's studies, linked by offset
    assert (first["offset"], first["record_type"], first["children"]) == (396, "PATIENT", studies)
    assert directory["roots"] == [1, 15]


def test_other_files_carry_no_directory(capsys):
    from DICOMTeachLib.testdata import pydicom_test_file

    assert main(["explain", "--json", str(pydicom_test_file("CT_small.dcm"))]) == 0
    assert "directory" not in json.loads(capsys.readouterr().out.splitlines()[0])


def test_copied_file_set_with_lower_case_names_is_found(tmp_path):
    """A CD copied by a tool that lowercases names: the files are still found (case-insensitive match)."""
    source = _dicomdir().parent
    shutil.copy(source / "DICOMDIR", tmp_path / "DICOMDIR")
    shutil.copytree(source / "77654033", tmp_path / "77654033")
    for path in sorted((tmp_path / "77654033").rglob("*"), key=lambda p: len(p.parts), reverse=True):
        path.rename(path.with_name(path.name.lower()))
    assert (tmp_path / "77654033" / "cr1" / "6154").is_file()
    directory = explain(tmp_path / "DICOMDIR").directory
    first_patient = [r for r in directory.referenced_files if r.file_id.startswith("77654033/")]
    expected = [r for r in pydicom.dcmread(source / "DICOMDIR").DirectoryRecordSequence
                if str(r.get("ReferencedFileID", [""])[0]) == "77654033"]
    assert len(first_patient) == len(expected) == 7 and all(r.file_exists for r in first_patient)
    assert all(Path(r.file_path).is_file() for r in first_patient)
    others = [r for r in directory.referenced_files if not r.file_id.startswith("77654033/")]
    assert others and not any(r.file_exists for r in others)


def test_damaged_dicomdirs_are_explained_or_refused_clearly(tmp_path):
    """Cut short or with bytes flipped: an explanation with problems, or a DICOMTeachError; never a traceback."""
    import random

    from DICOMTeachLib.errors import DICOMTeachError

    source = _dicomdir().read_bytes()
    rng = random.Random(8)
    outcomes = Counter()
    for number in range(60):
        data = bytearray(source)
        if number % 3 == 0:
            data = data[:rng.randrange(300, len(data))]
        else:
            for _ in range(rng.randrange(1, 6)):
                data[rng.randrange(330, len(data))] = rng.randrange(256)
        path = tmp_path / "DICOMDIR"
        path.write_bytes(bytes(data))
        try:
            explanation = explain(path)
        except DICOMTeachError as error:
            assert error.path == str(path) and error.reason
            outcomes["refused"] += 1
            continue
        outcomes["explained"] += 1
        outcomes.update({"flagged"} if any(p.code.startswith("directory-") and p.code != "directory-file-missing"
                                           for p in explanation.problems) else set())
    assert outcomes["explained"] + outcomes["refused"] == 60
    assert outcomes["flagged"] > 20  # damaged records are seen as such


def test_masked_dicomdir_hides_every_records_patient_values(capsys):
    """Every record's names, IDs, dates and UIDs are hidden, beyond the items the breakdown lists too."""
    pytest.importorskip("DICOMTeachLib.phi.mask")
    from DICOMTeachLib.explain.html import render_html
    from DICOMTeachLib.explain.masking import apply_phi_mask

    path = _dicomdir()
    ds = pydicom.dcmread(path)
    secrets = set()
    for record in ds.DirectoryRecordSequence:
        for keyword in ("PatientName", "PatientID", "StudyDescription", "ReferencedSOPInstanceUIDInFile"):
            if record.get(keyword):
                secrets.add(str(record.get(keyword)))
    assert len(secrets) > 30
    masked = apply_phi_mask(explain(path))
    shown = render_text(masked, full=True) + render_html([masked]) + json.dumps(masked.to_json_dict())
    assert [secret for secret in secrets if secret in shown] == []
    assert len(masked.directory.records) == 52 and masked.directory.counts()["IMAGE"] == 31
    assert main(["explain", "--json", "--mask-phi", str(path)]) == 0
    out = capsys.readouterr().out
    assert [secret for secret in secrets if secret in out] == []


def test_referenced_file_holding_another_instance_is_flagged(tmp_path):
    """Copy the first patient's files, then overwrite one with another instance: the record no longer fits."""
    source = _dicomdir().parent
    shutil.copy(source / "DICOMDIR", tmp_path / "DICOMDIR")
    shutil.copytree(source / "77654033", tmp_path / "77654033")
    shutil.copy(tmp_path / "77654033" / "CR1" / "6154", tmp_path / "77654033" / "CR2" / "6247")
    explanation = explain(tmp_path / "DICOMDIR")
    record = next(r for r in explanation.directory.records if r.file_id == "77654033/CR2/6247")
    mismatches = [p.message for p in explanation.problems if p.code == "directory-file-mismatch"]
    copied = pydicom.dcmread(tmp_path / "77654033" / "CR1" / "6154", stop_before_pixels=True)
    assert mismatches == [
        f"{record.label} references 77654033/CR2/6247, but the record's ReferencedSOPInstanceUIDInFile "
        f"{record.sop_instance_uid} differs from the file's MediaStorageSOPInstanceUID "
        f"{copied.file_meta.MediaStorageSOPInstanceUID} (PS3.3 F.5: the Referenced ... in File attributes are "
        "those of the file)"]
    assert explanation.directory.files_opened == 7


def test_default_text_of_a_large_file_set_stays_short(tmp_path):
    """Sixty series (copies of CT_small.dcm, each its own series): the default tree is cut, --full has all."""
    from pydicom.uid import generate_uid

    from DICOMTeachLib.explain.text import MAX_DIRECTORY_LINES
    from DICOMTeachLib.testdata import pydicom_test_file

    file_set = FileSet()
    for number in range(60):
        ds = pydicom.dcmread(pydicom_test_file("CT_small.dcm"))
        ds.SeriesInstanceUID, ds.SOPInstanceUID = generate_uid(), generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.SeriesNumber = number + 1
        file_set.add(ds)
    file_set.write(tmp_path / "cd")
    explanation = explain(tmp_path / "cd" / "DICOMDIR")
    assert explanation.directory.counts() == {"PATIENT": 1, "STUDY": 1, "SERIES": 60, "IMAGE": 60}
    text = render_text(explanation)
    tree = text.split("checked against the items' positions\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert len(tree) == MAX_DIRECTORY_LINES + 1
    assert tree[-1].strip() == f"… {1 + 1 + 60 * 2 - MAX_DIRECTORY_LINES} more lines of the tree " \
        "(explain --full lists every record)"
    full = render_text(explanation, full=True)
    assert full.count(" IMAGE    ") == 60 and full.count(" SERIES   ") == 60
    assert not [p for p in explanation.problems if p.code.startswith("directory")]
