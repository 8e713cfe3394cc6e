"""The conformance statement is generated from the code, follows PS3.2's structure, and docs/ holds it as is."""

from __future__ import annotations

import re
from pathlib import Path

from DICOMTeachLib.cli import main
from DICOMTeachLib.coexistence import ranked_confidence
from DICOMTeachLib.conformance import conformance_statement
from DICOMTeachLib.decoders import DECODER_PACKAGES
from DICOMTeachLib.net import dimse
from DICOMTeachLib.seg.decode import SEG_SOP_CLASSES
from DICOMTeachLib.seg.examine import SEG_CONFIDENCE

DOC = Path(__file__).resolve().parents[1] / "docs" / "conformance.md"


def test_docs_hold_the_generated_statement():
    assert DOC.read_text(encoding="utf-8") == conformance_statement(), \
        "run: dicomteach conformance > docs/conformance.md"


def test_sections_follow_ps3_2_annex_a():
    headings = re.findall(r"^#+ (\d[\d.]*) (.+)$", conformance_statement(), flags=re.M)
    numbers = [number for number, _ in headings]
    for required in ("1", "2", "3", "4", "4.1", "4.1.1", "4.1.2", "4.1.3", "4.2", "4.2.1.1", "4.2.1.2",
                     "4.2.1.3", "4.2.1.4", "4.3", "4.4", "5", "6", "7", "8"):
        assert required in numbers, required
    titles = dict(headings)
    assert titles["4.1"] == "Implementation Model" and titles["7"] == "Security"


def test_network_roles_come_from_the_operations():
    text = conformance_statement()
    for uid in (dimse.VERIFICATION, dimse.STUDY_ROOT_FIND, dimse.STUDY_ROOT_GET, dimse.STUDY_ROOT_MOVE):
        assert re.search(rf"\| {re.escape(uid)} \| Yes \| No \|", text), uid
    assert "Yes (C-GET and C-MOVE destination)" in text
    for syntax in dimse._storage_syntaxes():  # the storage SCP's accepted transfer syntaxes, all listed
        assert f"| {syntax} |" in text


def test_loaded_sop_classes_carry_the_examiners_confidence():
    text = conformance_statement()
    for uid in SEG_SOP_CLASSES:
        # what Slicer's browser gets by default: one step below Slicer's own SEG plugin (coexistence.rank)
        offered = f"{ranked_confidence(SEG_CONFIDENCE, False)} (Slicer's: {SEG_CONFIDENCE})"
        assert ranked_confidence(SEG_CONFIDENCE, False) < SEG_CONFIDENCE
        assert re.search(rf"\| {re.escape(uid)} \| {re.escape(offered)} \| segmentation \|", text)
    assert "| Label Map Segmentation Storage | 1.2.840.10008.5.1.4.1.1.66.7 |" in text
    for syntax, packages in DECODER_PACKAGES.items():
        assert f"| {syntax} | {', '.join(packages)} |" in text


def test_command_prints_it(capsys):
    assert main(["conformance"]) == 0
    assert capsys.readouterr().out == conformance_statement()


def test_the_confidence_stated_is_the_one_the_browser_gets_for_a_real_seg():
    """The statement said 0.95 for SEG while examine offers 0.945 (one step below Slicer's SEG plugin)."""
    from DICOMTeachLib.examine import examine_files
    from DICOMTeachLib.testdata import pydicom_test_file

    examined = examine_files([str(pydicom_test_file("liver_1frame.dcm"))])
    seg = next(loadable for loadable in examined.loadables if loadable.kind.value == "segmentation")
    text = conformance_statement()
    assert f"| Segmentation Storage | 1.2.840.10008.5.1.4.1.1.66.4 | {seg.confidence} (Slicer's: " in text
    assert "DICOMDIR files are read as instances" not in text and "a DICOMDIR is followed" in text
