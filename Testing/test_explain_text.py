"""The text a student reads: a screen or two by default, everything with --full, legends everywhere."""

from __future__ import annotations

import re

import pytest

from DICOMTeachLib.cli import main
from DICOMTeachLib.explain import explain, render_text
from DICOMTeachLib.explain.html import render_html
from DICOMTeachLib.explain.text import MAX_PROBLEMS_PER_CODE, attribute_required
from DICOMTeachLib.testdata import pydicom_test_file

#: Two screens of 50 lines, legend included.
TWO_SCREENS = 100
FILES = ("CT_small.dcm", "MR_small.dcm", "test-SR.dcm", "emri_small.dcm", "rtplan.dcm", "JPEG2000.dcm",
         "waveform_ecg.dcm", "DICOMDIR", "eCT_Supplemental.dcm")


@pytest.mark.parametrize("name", FILES)
def test_default_text_fits_two_screens_and_full_prints_every_attribute(name):
    explanation = explain(pydicom_test_file(name))
    text, full = render_text(explanation), render_text(explanation, full=True)
    assert len(text.splitlines()) <= TWO_SCREENS < len(full.splitlines())
    present = {a.keyword for m in explanation.modules for a in m.attributes if a.status != "missing" and a.keyword}
    assert all(re.search(rf"\b{keyword}\b", full) for keyword in present)


def test_default_text_counts_absent_attributes_that_are_not_required():
    explanation = explain(pydicom_test_file("CT_small.dcm"))
    text = render_text(explanation)
    for module in explanation.modules:
        if module.status == "absent":
            continue
        absent = [a for a in module.attributes if a.status == "missing"]
        not_required = sum(1 for a in absent if attribute_required(a) is False)
        assert module.name in text
        block = text.split(f"] {module.name}: ", 1)[1].split("\n  [", 1)[0]
        if not_required:
            assert f"absent: {not_required} not required" in block
        for attribute in absent:
            assert attribute.tag not in block  # counted, never listed
    assert "@" not in text.split("Modules (", 1)[1]  # no attribute lines with byte positions by default


def test_default_text_lists_required_attributes_that_are_missing(tmp_path):
    import pydicom

    ds = pydicom.dcmread(pydicom_test_file("CT_small.dcm"))
    del ds.StudyInstanceUID
    del ds.PatientBirthDate  # type 2 in the Patient module
    path = tmp_path / "missing.dcm"
    ds.save_as(path)
    text = render_text(explain(path))
    assert "MISSING (0020,000D) StudyInstanceUID (type 1)" in text
    assert "MISSING (0010,0030) PatientBirthDate (type 2)" in text
    assert "type1-missing" in text.split("Modules (", 1)[0]  # and among the problems above


def test_private_elements_are_listed_once():
    explanation = explain(pydicom_test_file("CT_small.dcm"))
    text = render_text(explanation)
    blocks = [p for p in explanation.problems if p.code == "private-element"]
    assert len(blocks) == 9
    for block in blocks:
        assert text.count(block.message) == 1
    assert "private-element" not in text
    private = sum(1 for a in explanation.other_elements if a.tag_value >> 16 & 1)
    assert f"Private elements ({private}, in 9 blocks)" in text


def test_many_problems_of_one_code_are_counted_after_a_few(tmp_path):
    """A DICOMDIR copied without its files: one missing-file problem per file, five of them shown."""
    import shutil

    from DICOMTeachLib.testdata import pydicom_test_directory

    shutil.copy(pydicom_test_directory() / "dicomdirtests" / "DICOMDIR", tmp_path / "DICOMDIR")
    explanation = explain(tmp_path / "DICOMDIR")
    missing = [p for p in explanation.problems if p.code == "directory-file-missing"]
    assert len(missing) > MAX_PROBLEMS_PER_CODE
    text = render_text(explanation)
    assert sum(1 for line in text.splitlines() if " directory-file-missing " in line) == MAX_PROBLEMS_PER_CODE + 1
    assert f"… and {len(missing) - MAX_PROBLEMS_PER_CODE} more" in text
    full = render_text(explanation, full=True)
    assert all(problem.message in full for problem in missing)


def test_standard_elements_outside_the_iod_are_listed_once():
    explanation = explain(pydicom_test_file("emri_small.dcm"))
    outside = [p for p in explanation.problems if p.code == "not-in-iod"]
    assert len(outside) == 44
    text = render_text(explanation)
    assert "not-in-iod" not in text
    assert "Standard elements this IOD does not define (44, 44 warnings): CodeValue," in text
    assert f"(and {len(outside)} about elements outside the IOD's modules: see the end)" in text


def test_absent_modules_are_grouped_by_why_they_may_be_absent():
    explanation = explain(pydicom_test_file("eCT_Supplemental.dcm"))
    text = render_text(explanation)
    groups = {"not in the file, condition not decidable from the file [C]: ": [], "not in the file, not required: ": []}
    for line in text.splitlines():
        for start, names in groups.items():
            if line.strip().startswith(start):
                names += line.strip()[len(start):].split(", ")
    undecided = [m for m in explanation.modules if m.status == "absent" and m.usage == "C" and m.condition_result is None]
    not_needed = [m for m in explanation.modules if m.status == "absent" and
                  (m.usage == "U" or (m.usage == "C" and m.condition_result is False))]
    assert undecided and not_needed
    assert len(groups["not in the file, condition not decidable from the file [C]: "]) == len(undecided)
    assert len(groups["not in the file, not required: "]) == len(not_needed)
    assert all(m.required for m in explanation.modules if m.status == "absent" and f"] {m.name}: absent" in text)


def test_conditional_module_verdicts_are_shown_with_their_condition():
    explanation = explain(pydicom_test_file("CT_small.dcm"))
    text = render_text(explanation)
    contrast = explanation.module("contrast-bolus")
    verdict = {True: "required", False: "not required", None: "cannot tell"}[contrast.condition_result]
    assert f"[C] Contrast/Bolus: {contrast.status}, conditional ({verdict})" in text
    assert f"condition: {contrast.condition}" in text


@pytest.mark.parametrize("full", [False, True])
def test_text_carries_the_legends(full):
    text = render_text(explain(pydicom_test_file("CT_small.dcm")), full=full)
    legend = text.split("\nLegend\n", 1)[1]
    for letter in ("M", "C", "U", "1", "1C", "2", "2C", "3", "D", "Z", "X", "K", "U", "Z/D, X/Z, X/D, X/Z/D, X/Z/U*"):
        assert re.search(rf"^    {re.escape(letter)} +\S", legend, re.M), letter


def test_html_carries_the_legends():
    page = render_html([explain(pydicom_test_file("CT_small.dcm"))])
    legend = page.split("<details class=legend>", 1)[1]
    for letter in ("M", "U", "1C", "2C", "3", "X/Z/D", "K"):
        assert f"<td class=mono>{letter}</td>" in legend, letter


def test_full_flag_of_the_command(capsys):
    path = str(pydicom_test_file("CT_small.dcm"))
    assert main(["explain", path]) == 0
    default = capsys.readouterr().out
    assert main(["explain", "--full", path]) == 0
    full = capsys.readouterr().out
    assert "File anatomy" not in default and "File anatomy" in full
    assert "explain --full" in default


def test_html_page_shows_directory_records_and_pixel_data_items():
    from DICOMTeachLib.explain.html_sections import directory_html, pixel_items_html

    directory = explain(pydicom_test_file("DICOMDIR"))
    encapsulated = explain(pydicom_test_file("SC_rgb_rle_2frame.dcm"))
    page = render_html([directory, encapsulated])
    records = directory_html(directory.directory)
    items = pixel_items_html(encapsulated.anatomy.pixel)
    assert records in page and items in page
    assert "@3126    PATIENT" in records and "[next @0, lower @3236]" in records
    assert "<tr><td>1328</td><td>offset table: 0 672</td><td>8</td><td></td></tr>" in items
    assert "<tr><td>2016</td><td>fragment</td><td>664</td><td>2</td></tr>" in items


def test_sr_content_attributes_of_another_value_type_are_not_listed_missing():
    """test-SR.dcm's root item is a CONTAINER: Temporal Range Type (TCOORD) and Referenced SOP Sequence (IMAGE...)
    are type 1 only for other Value Types. The default view listed them MISSING, the module 'partial', beside
    'No problems found'; the panel's tree said 'missing, required'."""
    import pydicom

    from DICOMTeachLib.explain import explain
    from DICOMTeachLib.explain.text import render_text
    from DICOMTeachLib.panel.tree import build_tree
    from DICOMTeachLib.testdata import pydicom_test_file

    path = pydicom_test_file("test-SR.dcm")
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    assert ds.ValueType == "CONTAINER" and "TemporalRangeType" not in ds and "ReferencedSOPSequence" not in ds
    explanation = explain(path)
    assert not [problem for problem in explanation.problems if problem.severity == "error"]
    content = next(module for module in explanation.modules if module.id == "sr-document-content")
    temporal = next(a for a in content.attributes if a.keyword == "TemporalRangeType")
    assert (temporal.type, temporal.status, temporal.required) == ("1", "missing", False)
    assert content.status == "present"
    text = render_text(explanation)
    assert "MISSING" not in text and "partial" not in text.split("Modules (")[1].split(")")[0].replace("0 partial", "")
    row = build_tree(explanation).row(f"module:{content.id}/{temporal.tag}")
    assert row is None or row.columns[3] == "missing, not required"


def test_full_and_default_views_word_an_undecided_module_condition_alike():
    """--full said 'not machine-checkable' where the default view says 'cannot be decided from the file'."""
    from DICOMTeachLib.explain import explain
    from DICOMTeachLib.explain.text import render_text
    from DICOMTeachLib.testdata import pydicom_test_file

    explanation = explain(pydicom_test_file("rtdose.dcm"))
    undecided = [m for m in explanation.modules if m.usage == "C" and m.condition and m.condition_result is None]
    assert undecided, "rtdose.dcm has a conditional module the file cannot decide (Frame Extraction)"
    full = render_text(explanation, full=True)
    assert "not machine-checkable" not in full
    assert f"condition: {undecided[0].condition} -> cannot be decided from the file" in full
