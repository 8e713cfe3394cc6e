"""De-identification that never writes into an input and leaves no planted PHI in the output bytes."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from DICOMTeachLib.cli import main
from DICOMTeachLib.phi.deidentify import deidentify
from DICOMTeachLib.testdata import pydicom_test_file

PLANTED = {
    "text": "Patient Jane Doe MRN-778899 seen at General Hospital Springfield",
    "name": "Doe^Jane^Quinn",
    "date": "19710304",
    "datetime": "19710304101112",
    "private": "MRN-445566 private note",
    "other_id": "OTHER-ID-992211",
}
#: The pieces none of which may remain anywhere in the output bytes.
NEEDLES = [b"Jane", b"Doe", b"778899", b"Springfield", b"General Hospital", b"19710304", b"445566", b"992211",
           b"Quinn"]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _item(value_type: str, meaning: str, **values) -> Dataset:
    item = Dataset()
    item.RelationshipType = "CONTAINS"
    item.ValueType = value_type
    concept = Dataset()
    concept.CodeValue, concept.CodingSchemeDesignator, concept.CodeMeaning = "121106", "DCM", meaning
    item.ConceptNameCodeSequence = Sequence([concept])
    for keyword, value in values.items():
        setattr(item, keyword, value)
    return item


def _sr_with_planted_phi(path: Path) -> None:
    """pydicom's Basic Text SR with PHI planted four containers deep: TEXT, PNAME, DATE, DATETIME items,
    a private element inside an item, and a nested sequence holding another patient identifier."""
    ds = pydicom.dcmread(pydicom_test_file("test-SR.dcm"))
    leaves = [
        _item("TEXT", "Comment", TextValue=PLANTED["text"]),
        _item("PNAME", "Person Observer Name", PersonName=PLANTED["name"]),
        _item("DATE", "Date", Date=PLANTED["date"]),
        _item("DATETIME", "Datetime", DateTime=PLANTED["datetime"]),
    ]
    leaves[0].add_new(0x00991010, "LO", "DICOMTEACH")  # private creator
    leaves[0].add_new(0x00991011, "LT", PLANTED["private"])
    content = leaves
    for _ in range(4):
        container = _item("CONTAINER", "Finding")
        container.ContinuityOfContent = "SEPARATE"
        container.ContentSequence = Sequence(content)
        content = [container]
    ds.ContentSequence = Sequence(list(ds.get("ContentSequence", [])) + content)
    other = Dataset()
    other.PatientID = PLANTED["other_id"]
    other.TypeOfPatientID = "TEXT"
    ds.OtherPatientIDsSequence = Sequence([other])
    ds.save_as(path)


def test_planted_phi_deep_in_an_sr_leaves_no_trace_with_strict_text(tmp_path):
    source = tmp_path / "in" / "report.dcm"
    source.parent.mkdir()
    _sr_with_planted_phi(source)
    data = source.read_bytes()
    assert all(needle in data for needle in NEEDLES)  # the planting worked
    before = _sha(source)

    report = deidentify([source], tmp_path / "strict", salt="t", strict_text=True)
    (written,) = report.files
    output = written.output.read_bytes()
    assert [needle for needle in NEEDLES if needle in output] == []
    assert report.kept_free_text == []
    assert _sha(source) == before
    # still a readable SR whose tree kept its shape
    ds = pydicom.dcmread(written.output)
    assert ds.ContentSequence[-1].ContentSequence[0].ContentSequence[0].ValueType == "CONTAINER"


def test_the_basic_profile_keeps_sr_free_text_and_the_report_says_where(tmp_path):
    source = tmp_path / "report.dcm"
    _sr_with_planted_phi(source)
    report = deidentify([source], tmp_path / "basic", salt="t")
    output = report.files[0].output.read_bytes()
    # names, dates, the private element and the nested identifier go; the free text is the profile's gap
    assert [needle for needle in NEEDLES if needle in output] == [b"Jane", b"Doe", b"778899", b"Springfield",
                                                                  b"General Hospital"]
    assert any(where.endswith("TextValue") for _, where in report.kept_free_text)


def test_links_to_inputs_placed_in_the_output_folder_are_never_written_through(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("a.dcm", "b.dcm", "c.dcm"):
        (inputs / name).write_bytes(pydicom_test_file("CT_small.dcm").read_bytes())
    before = {path.name: _sha(path) for path in inputs.iterdir()}
    out = tmp_path / "out"
    (out / "in").mkdir(parents=True)
    os.link(inputs / "a.dcm", out / "in" / "a.dcm")  # a hard link where a.dcm's copy would go
    (out / "in" / "b.dcm").symlink_to(inputs / "b.dcm")  # a symbolic link where b.dcm's copy would go

    report = deidentify([inputs], out, salt="t")
    assert {path.name: _sha(path) for path in inputs.iterdir()} == before
    reasons = {item.path.name: item.reason for item in report.skipped}
    assert "the input itself" in reasons["a.dcm"] and "the input itself" in reasons["b.dcm"]
    assert [item.source.name for item in report.files] == ["c.dcm"]
    assert not list(out.rglob(".dicomteach-*"))  # no temporary file left behind


def test_an_output_subfolder_linking_back_into_the_inputs_is_refused(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.dcm").write_bytes(pydicom_test_file("CT_small.dcm").read_bytes())
    before = _sha(inputs / "a.dcm")
    out = tmp_path / "out"
    out.mkdir()
    (out / "in").symlink_to(inputs, target_is_directory=True)
    report = deidentify([inputs], out, salt="t")
    assert report.files == [] and ("leads outside" in report.skipped[0].reason
                                   or "the input itself" in report.skipped[0].reason)
    assert sorted(p.name for p in inputs.iterdir()) == ["a.dcm"] and _sha(inputs / "a.dcm") == before


def test_a_file_that_cannot_be_parsed_is_refused_and_no_partial_copy_is_written(tmp_path):
    source = tmp_path / "cut.dcm"
    source.write_bytes(pydicom_test_file("CT_small.dcm").read_bytes()[:-3000])  # inside the pixel data
    report = deidentify([source], tmp_path / "out", salt="t")
    assert report.files == [] and "ends early" in report.skipped[0].reason
    assert list((tmp_path / "out").rglob("*")) == []


@pytest.mark.parametrize("output, reason", [("file", "an existing file"), ("/proc/dicomteach-out", "cannot create")])
def test_output_folder_problems_are_one_line_with_exit_2(tmp_path, capsys, output, reason):
    source = tmp_path / "a.dcm"
    source.write_bytes(pydicom_test_file("CT_small.dcm").read_bytes())
    if output == "file":
        output = tmp_path / "existing.txt"
        output.write_text("keep me")
    code = main(["deidentify", str(source), "-o", str(output)])
    err = capsys.readouterr().err
    assert code == 2 and reason in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    if isinstance(output, Path):
        assert output.read_text() == "keep me"


def test_slide_microscopy_annotations_get_new_annotation_group_uids(shared_data, tmp_path):
    source = shared_data / "highdicom-test-files" / "sm_annotations.dcm"
    report = deidentify([source], tmp_path / "out", salt="t")
    assert report.skipped == []
    old = [item.AnnotationGroupUID for item in pydicom.dcmread(source).AnnotationGroupSequence]
    new = [item.AnnotationGroupUID for item in pydicom.dcmread(report.files[0].output).AnnotationGroupSequence]
    assert len(new) == len(old) and all(a != b and b for a, b in zip(old, new, strict=True))
