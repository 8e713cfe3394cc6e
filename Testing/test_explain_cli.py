"""``dicomteach explain``: the JSON contract, exit codes, text, the HTML page, and the panel's text call."""

from __future__ import annotations

import json
import re

import pydicom
import pytest

from DICOMTeachLib.cli import main
from DICOMTeachLib.report import explain_as_text
from DICOMTeachLib.testdata import pydicom_test_file

FILE_KEYS = {"path", "sop_class_uid", "sop_class_name", "iod", "transfer_syntax", "modules", "problems",
             "other_elements", "service"}
MODULE_KEYS = {"id", "name", "ie", "usage", "condition", "condition_result", "required", "decided_by",
               "condition_words", "status", "attributes"}
ATTRIBUTE_KEYS = {"tag", "keyword", "name", "type", "vr", "vm", "status", "value", "length", "offset", "phi_action",
                  "condition", "required", "decided_by", "items"}
PROBLEM_KEYS = {"severity", "code", "tag", "keyword", "module", "message"}


def _json_lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def _all_attributes(attributes):
    for attribute in attributes:
        yield attribute
        for item in attribute["items"]:
            yield from _all_attributes(item)


def test_json_has_exactly_the_contract_keys(capsys):
    paths = [str(pydicom_test_file("CT_small.dcm")), str(pydicom_test_file("MR_small.dcm"))]
    assert main(["explain", "--json", *paths]) == 0
    objects = _json_lines(capsys)
    assert [o["path"] for o in objects] == paths
    for obj in objects:
        assert set(obj) == FILE_KEYS
        assert set(obj["iod"]) == {"id", "name"} and set(obj["transfer_syntax"]) == {"uid", "name"}
        assert obj["modules"]
        for module in obj["modules"]:
            assert set(module) == MODULE_KEYS
            assert module["condition_result"] in (True, False, None)
            assert module["status"] in ("present", "partial", "absent")
            for attribute in _all_attributes(module["attributes"]):
                assert set(attribute) == ATTRIBUTE_KEYS
                assert re.fullmatch(r"\([0-9A-F]{4},[0-9A-F]{4}\)", attribute["tag"])
                assert attribute["status"] in ("present", "empty", "missing")
        for problem in obj["problems"]:
            assert set(problem) == PROBLEM_KEYS and problem["severity"] in ("error", "warning", "info")
        for attribute in _all_attributes(obj["other_elements"]):
            assert set(attribute) == ATTRIBUTE_KEYS


def test_json_values_come_from_the_file(capsys):
    path = pydicom_test_file("MR_small.dcm")
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    assert main(["explain", "--json", str(path)]) == 0
    obj = _json_lines(capsys)[0]
    assert obj["sop_class_uid"] == ds.SOPClassUID
    assert obj["transfer_syntax"]["uid"] == ds.file_meta.TransferSyntaxUID
    attributes = {a["keyword"]: a for m in obj["modules"] for a in m["attributes"]}
    assert attributes["Rows"]["value"] == str(ds.Rows)
    assert attributes["PatientID"]["value"] == ds.PatientID
    assert attributes["PatientID"]["phi_action"]  # the Basic Profile acts on Patient ID
    data = path.read_bytes()
    offset = attributes["PatientID"]["offset"]
    assert data[offset:offset + 4] == bytes.fromhex("10002000")


def test_unreadable_file_gives_exit_2_and_one_line_naming_it(tmp_path, capsys):
    text = tmp_path / "notes.txt"
    text.write_text("this is not DICOM\n" * 20)
    good = str(pydicom_test_file("CT_small.dcm"))
    assert main(["explain", "--problems-only", good, str(text), str(tmp_path / "absent.dcm")]) == 2
    captured = capsys.readouterr()
    errors = captured.err.strip().splitlines()
    assert len(errors) == 2
    assert errors[0].startswith(f"{text}: ") and "not a DICOM file" in errors[0]
    assert errors[1].startswith(f"{tmp_path / 'absent.dcm'}: ")
    assert "Traceback" not in captured.err
    assert good in captured.out  # the readable file was still explained


def test_files_with_problems_still_exit_0(tmp_path, capsys):
    ds = pydicom.dcmread(pydicom_test_file("CT_small.dcm"))
    del ds.StudyInstanceUID
    path = tmp_path / "no_study_uid.dcm"
    ds.save_as(path)
    assert main(["explain", "--json", "--problems-only", str(path)]) == 0
    obj = _json_lines(capsys)[0]
    assert obj["modules"] == [] and obj["other_elements"] == []
    assert any(p["code"] == "type1-missing" and p["keyword"] == "StudyInstanceUID" for p in obj["problems"])


def test_full_text_output_shows_modules_problems_and_anatomy(capsys):
    assert main(["explain", "--full", str(pydicom_test_file("CT_small.dcm"))]) == 0
    out = capsys.readouterr().out
    for expected in ("CT Image (ct-image)", "Patient IE", "[M] Patient (patient): present", "File anatomy",
                     "\"DICM\" prefix", "Explicit VR", "Pixel data (PixelData): 128 x 128 pixels", "Problems",
                     "Legend"):
        assert expected in out, expected


def test_html_is_one_self_contained_page(tmp_path, capsys):
    out = tmp_path / "explained.html"
    paths = [str(pydicom_test_file("CT_small.dcm")), str(pydicom_test_file("JPEG2000.dcm"))]
    assert main(["explain", "--html", str(out), *paths]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<style>" in page and "<ul class=tree>" in page
    # nothing is fetched: no external stylesheets, scripts, images or frames (the one script is inline)
    assert not re.search(r"<(link|img|iframe|object|embed)\b", page, re.I)
    assert not re.search(r"<script[^>]*\bsrc=", page, re.I) and page.count("<script>") == 1
    assert not re.search(r"url\(", page)
    assert all(path in page for path in paths)
    assert "https://dicom.innolitics.com/ciods/ct-image/" in page  # deep links are plain hyperlinks
    assert "sev-error" in page or "sev-warning" in page  # JPEG2000.dcm has problems, highlighted


def test_mask_phi_hides_patient_values(capsys):
    path = pydicom_test_file("CT_small.dcm")
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    pytest.importorskip("DICOMTeachLib.phi.mask")
    assert main(["explain", "--json", "--mask-phi", str(path)]) == 0
    obj = _json_lines(capsys)[0]
    attributes = {a["keyword"]: a for m in obj["modules"] for a in m["attributes"]}
    assert attributes["PatientID"]["value"] != ds.PatientID
    assert ds.PatientName.family_name not in json.dumps(obj)
    assert attributes["Rows"]["value"] == str(ds.Rows)


def test_panel_text_call_matches_the_command(capsys):
    path = str(pydicom_test_file("MR_small.dcm"))
    text = explain_as_text(path)
    assert main(["explain", path]) == 0
    assert capsys.readouterr().out.strip() == text.strip()
    full = explain_as_text(path, full=True)
    assert main(["explain", "--full", path]) == 0
    assert capsys.readouterr().out.strip() == full.strip()
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    if pytest.importorskip("DICOMTeachLib.phi.mask"):
        assert str(ds.PatientID) in full
        assert str(ds.PatientID) not in explain_as_text(path, mask_phi=True, full=True)


def test_lidc_series_explained_from_the_command(lidc_ct_files, capsys):
    paths = [str(p) for p in lidc_ct_files[:5]]
    assert main(["explain", "--json", "--problems-only", *paths]) == 0
    objects = _json_lines(capsys)
    assert [o["iod"]["id"] for o in objects] == ["ct-image"] * 5


def test_mask_phi_without_the_masking_module_fails_clearly(monkeypatch, capsys):
    from DICOMTeachLib.explain import masking

    monkeypatch.setattr(masking, "MASK_MODULE", "DICOMTeachLib.phi.not_there")
    assert main(["explain", "--mask-phi", str(pydicom_test_file("MR_small.dcm"))]) == 1
    err = capsys.readouterr().err
    assert "PHI masking is not available" in err and "Traceback" not in err


def test_html_tags_are_balanced(tmp_path):
    from html.parser import HTMLParser

    class Balance(HTMLParser):
        VOID = {"meta", "br", "input"}

        def __init__(self):
            super().__init__()
            self.stack: list[str] = []

        def handle_starttag(self, tag, attrs):
            if tag not in self.VOID:
                self.stack.append(tag)

        def handle_endtag(self, tag):
            assert self.stack and self.stack[-1] == tag, (tag, self.stack[-3:])
            self.stack.pop()

    out = tmp_path / "page.html"
    assert main(["explain", "--html", str(out), str(pydicom_test_file("reportsi.dcm")),
                 str(pydicom_test_file("emri_small.dcm")), str(pydicom_test_file("SC_rgb_rle_2frame.dcm")),
                 str(pydicom_test_file("DICOMDIR"))]) == 0
    parser = Balance()
    parser.feed(out.read_text(encoding="utf-8"))
    assert parser.stack == []


@pytest.mark.parametrize("full", [False, True])
def test_a_folder_is_explained_file_by_file_with_one_legend_at_the_end(pydicom_ct_files, capsys, full):
    """The legend (some 20 lines) followed every file: 133 times for a CT series."""
    folder = pydicom_ct_files[0].parent
    assert main(["explain", *(["--full"] if full else []), str(folder)]) == 0
    out = capsys.readouterr().out
    assert all(str(path) in out for path in pydicom_ct_files)
    assert out.count("\nLegend\n") == 1
    assert out.rstrip().split("\nLegend\n")[0].count("Problems ") >= len(pydicom_ct_files)
    assert out.index("\nLegend\n") > max(out.index(str(path)) for path in pydicom_ct_files)
