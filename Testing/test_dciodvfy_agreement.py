"""Our explain against the reference validator, dciodvfy (David Clunie's dicom3tools).

Over every file in ../shared/data and a list of pydicom's bundled files:

- the IOD dciodvfy recognises must be ours, on every file it recognises;
- its "Missing attribute Type 1/2/1C/2C", "Empty attribute Type 1/1C" and "Attribute present when
  condition unsatisfied" errors, in every module either of us checks and inside sequence items, must
  match our type1-missing / type2-missing / type1c-missing / type2c-missing / type1-empty /
  type1c-empty / condition-unmet-present problems, both ways, counted per (file, attribute, code):
  >= 95% for types 1 and 2, >= 90% for the conditional ones;
- at least 75% of the 1C/2C attributes of the modules a file contains get a decided verdict.

Every remaining disagreement is listed below with the reason we differ, so that any new
one fails the test (and a fixed one asks for its entry to be removed).
"""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
import pytest
from oracles.dciodvfy import DciodvfyResult, normalized_name, run_dciodvfy

from DICOMTeachLib.errors import DICOMTeachError
from DICOMTeachLib.testdata import pydicom_test_directory, pydicom_test_file

#: pydicom's bundled files, by name (never the "*" glob: it tries to download the rest).
PYDICOM_FILES = (
    "CT_small.dcm", "MR_small.dcm", "MR_small_implicit.dcm", "MR_small_bigendian.dcm", "MR_small_RLE.dcm",
    "MR_small_jp2klossless.dcm", "MR_small_jpeg_ls_lossless.dcm", "MR_small_padded.dcm", "MR_truncated.dcm",
    "JPEG2000.dcm", "JPGExtended.dcm", "693_J2KI.dcm", "J2K_pixelrep_mismatch.dcm", "ExplVR_BigEnd.dcm",
    "examples_jpeg2k.dcm", "examples_overlay.dcm", "examples_palette.dcm", "examples_rgb_color.dcm",
    "examples_ybr_color.dcm", "SC_rgb.dcm", "SC_rgb_rle.dcm", "SC_rgb_jpeg_dcmtk.dcm", "SC_rgb_small_odd.dcm",
    "SC_ybr_full_422_uncompressed.dcm", "JPEGLSNearLossless_08.dcm", "GDCMJ2K_TextGBR.dcm",
    "liver_1frame.dcm", "rtplan.dcm", "rtplan_truncated.dcm", "rtstruct.dcm", "rtdose.dcm", "rtdose_rle.dcm",
    "rtdose_rle_1frame.dcm", "reportsi.dcm", "reportsi_with_empty_number_tags.dcm", "test-SR.dcm",
    "waveform_ecg.dcm", "emri_small.dcm", "no_meta.dcm", "UN_sequence.dcm", "image_dfl.dcm",
)

#: dciodvfy's IOD names where the standard's differ by more than spacing (PS3.3 Annex A titles).
IOD_ALIASES = {
    "DXImageForPresentation": "digital-x-ray-image",  # one IOD (A.26), two SOP classes: it names the SOP class
    "DXImageForProcessing": "digital-x-ray-image",
    "USImage": "ultrasound-image",
    "USMultiFrameImage": "ultrasound-multi-frame-image",
    "SCImage": "secondary-capture-image",
    "TwelveLeadECG": "12-lead-ecg",
    "CRImage": "computed-radiography-image",  # the 2026 edition's title of "CR Image" (A.2)
}

#: dciodvfy error -> our problem code.
CODES = {
    ("missing", "1"): "type1-missing",
    ("missing", "2"): "type2-missing",
    ("missing", "1C"): "type1c-missing",
    ("missing", "2C"): "type2c-missing",
    ("empty", "1"): "type1-empty",
    ("empty", "1C"): "type1c-empty",
    ("unmet", "1C"): "condition-unmet-present",
    ("unmet", "2C"): "condition-unmet-present",
}
UNCONDITIONAL_CODES = frozenset({"type1-missing", "type2-missing", "type1-empty"})

#: Files where our IOD differs from the one dciodvfy names, with the reason.
KNOWN_IOD_DISAGREEMENTS: dict[str, str] = {
    "pydicom/emri_small_jpeg_2k_lossless_too_short.dcm": (
        "the file ends inside its encapsulated Pixel Data (no Sequence Delimitation Item, PS3.5 A.4) and pydicom "
        "returns an empty data set for it: we report the truncation and have no SOP Class UID to go on; "
        "dciodvfy reads the elements before the damage"),
}


@dataclass(frozen=True)
class Disagreement:
    """Why we differ from dciodvfy on one (file, tag)."""

    reason: str
    clause: str  # where the standard settles it


#: (file, tag) -> why we differ from dciodvfy there, with the standard's clause.
#: Earlier entries (SR content items checked against every value type, deferred sequences read as empty,
#: type 1C present-but-empty, SC Equipment's Modality override, explicit-VR UN headers, encapsulated pixel
#: data) were bugs in explain and the tables, found by this test and fixed.
KNOWN_DISAGREEMENTS: dict[tuple[str, str], Disagreement] = {
    ("pydicom/emri_small.dcm", "(5200,9230)"): Disagreement(
        "same finding, another type: the 2026b edition makes Per-Frame Functional Groups Sequence Type 1C "
        "(not needed with Dimension Organization Type TILED_FULL); this file has no Dimension Organization "
        "Type, so the condition holds and we report type1c-missing; dciodvfy still checks it as Type 1.",
        "PS3.3 C.7.6.16 Table C.7.6.16-1 Multi-frame Functional Groups Module"),
    **{(f"pydicom/{name}", "(5200,9230)"): Disagreement(
        "the same file as emri_small.dcm in another transfer syntax: Per-Frame Functional Groups Sequence is "
        "Type 1C in the 2026b edition, Type 1 for dciodvfy.",
        "PS3.3 C.7.6.16 Table C.7.6.16-1 Multi-frame Functional Groups Module") for name in (
        "emri_small_RLE.dcm", "emri_small_big_endian.dcm", "emri_small_jpeg_2k_lossless.dcm",
        "emri_small_jpeg_ls_lossless.dcm")},
    **{(f"pydicom/dicomdirtests/77654033/{name}", "(0018,0010)"): Disagreement(
        "Contrast/Bolus Volume and Total Dose (0) put the Contrast/Bolus module in the file, so its Type 2 "
        "Contrast/Bolus Agent must be there too; dciodvfy verifies the module only when the agent is present.",
        "PS3.3 C.7.6.4 Contrast/Bolus Module (Contrast/Bolus Agent: Type 2)") for name in (
        "CR1/6154", "CR2/6247", "CR3/6278")},
    ("pydicom/rtstruct.dcm", "(0020,0052)"): Disagreement(
        "dciodvfy verifies the Frame of Reference module of an RT Structure Set although the file holds none of "
        "its attributes; the module is User Option in this IOD, so its absence is no error.",
        "PS3.3 A.19.3 RT Structure Set IOD Module Table (Frame of Reference: U)"),
    ("pydicom/rtstruct.dcm", "(0020,1040)"): Disagreement(
        "the same absent User Option Frame of Reference module (Position Reference Indicator).",
        "PS3.3 A.19.3 RT Structure Set IOD Module Table (Frame of Reference: U)"),
    ("pydicom/MR_truncated.dcm", "(7FE0,0010)"): Disagreement(
        "the file ends inside Pixel Data: its header is there (we report the truncated value), dciodvfy's reader "
        "fails on it and then calls the element missing.",
        "PS3.5 7.1 Data Elements (value length)"),
    ("pydicom/rtplan_truncated.dcm", "(300A,0134)"): Disagreement(
        "the file ends inside a Control Point item: we check the part that is there and find Cumulative Meterset "
        "Weight missing; dciodvfy gives up reading the sequence and checks nothing inside it.",
        "PS3.3 C.8.8.14 RT Beams Module (Control Point Sequence, Cumulative Meterset Weight: Type 2)"),
    ("pydicom/rtdose_rle_1frame.dcm", "(0028,0008)"): Disagreement(
        "Frame Increment Pointer (written as UN) puts the Multi-frame module in the file, so its Type 1 Number of "
        "Frames must be there too; dciodvfy does not verify the module in this file.",
        "PS3.3 C.7.6.6 Multi-frame Module (Number of Frames: Type 1)"),
}

AGREEMENT_GOAL = 0.95  # types 1 and 2
CONDITIONAL_AGREEMENT_GOAL = 0.90  # 1C, 2C and conditions unmet
DECIDED_GOAL = 0.75


@dataclass(frozen=True)
class Finding:
    file: str
    tag: str  # "(gggg,eeee)"
    code: str  # our problem code
    keyword: str


@dataclass
class Comparison:
    files: int = 0
    recognised: int = 0  # files dciodvfy names an IOD for
    compared: int = 0  # recognised files we explain with the same IOD
    iod_mismatches: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    theirs: set[Finding] = field(default_factory=set)
    ours: set[Finding] = field(default_factory=set)
    conditional: int = 0  # 1C/2C attributes (at any depth) of the modules the files contain
    decided: int = 0  # of those, how many got required true or false

    @property
    def both(self) -> set[Finding]:
        return self.theirs & self.ours

    def disagreements(self) -> dict[tuple[str, str], str]:
        found = {}
        for finding in self.theirs - self.ours:
            found[(finding.file, finding.tag)] = f"dciodvfy only: {finding.code} {finding.keyword}"
        for finding in self.ours - self.theirs:
            found[(finding.file, finding.tag)] = f"ours only: {finding.code} {finding.keyword}"
        return found


def _tag_text(tag: int) -> str:
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


NOT_DICOM_SUFFIXES = (".md", ".txt", ".json", ".dump", ".icc", ".py", ".gz", ".bz2", ".zip")


def _folder_files(folder: Path, prefix: str) -> list[tuple[str, Path]]:
    return [(f"{prefix}/{path.relative_to(folder).as_posix()}", path) for path in sorted(folder.rglob("*"))
            if path.is_file() and path.suffix.lower() not in NOT_DICOM_SUFFIXES and "__pycache__" not in path.parts]


def _corpus(shared_data: Path) -> list[tuple[str, Path]]:
    """Every file of ../shared/data, of pydicom's test files and of pydicom-data's (listed on disk: never
    ``get_testdata_files("*")``, which tries to download)."""
    files = [(path.relative_to(shared_data).as_posix(), path) for path in sorted(shared_data.rglob("*"))
             if path.is_file() and path.suffix.lower() not in (".md", ".txt", ".json")]
    files += _folder_files(pydicom_test_directory(), "pydicom")
    known = {key for key, _ in files}
    for name in PYDICOM_FILES:  # pydicom-data's files (pydicom's own are listed above)
        try:
            path = pydicom_test_file(name)
        except FileNotFoundError:
            continue  # another pydicom version without this file
        if f"pydicom/{name}" not in known:
            files.append((f"pydicom/{name}", path))
    try:
        data_store = pydicom_test_file("emri_small.dcm").parent  # pydicom-data's folder
    except FileNotFoundError:
        return files
    if data_store != pydicom_test_directory():
        files += [item for item in _folder_files(data_store, "pydicom") if item[0] not in {k for k, _ in files}]
    return files


def _iod_matches(theirs: str, our_id: str, our_name: str) -> bool:
    if theirs in IOD_ALIASES:
        return IOD_ALIASES[theirs] == our_id
    return normalized_name(theirs) in (normalized_name(our_name), normalized_name(our_id))


def _compare(comparison: Comparison, key: str, result: DciodvfyResult, explanation) -> None:
    theirs = set()
    for error in result.errors:
        code = CODES.get((error.kind, error.type))
        if code and error.tag is not None:
            theirs.add(Finding(key, _tag_text(error.tag), code, error.keyword))
    # dciodvfy reports an absent attribute once per module; one module making it type 1 and another type 2
    # (Manufacturer: Enhanced General Equipment, General Equipment) is one finding for us, the stricter.
    needs_value = {f.tag for f in theirs if f.code in ("type1-missing", "type1c-missing")}
    comparison.theirs |= {f for f in theirs if f.code not in ("type2-missing", "type2c-missing")
                          or f.tag not in needs_value}
    for problem in explanation.problems:
        if problem.code in CODES.values() and problem.tag:
            comparison.ours.add(Finding(key, problem.tag, problem.code, problem.keyword or ""))
    for module in explanation.modules:
        if module.status == "absent":
            continue
        for attribute in _walk(module.attributes):
            if attribute.type in ("1C", "2C"):
                comparison.conditional += 1
                comparison.decided += attribute.required is not None


def _walk(attributes):
    for attribute in attributes:
        yield attribute
        for item in attribute.items:
            yield from _walk(item)


@pytest.fixture(scope="module")
def comparison(shared_data) -> Comparison:
    from DICOMTeachLib.explain import explain

    corpus = _corpus(shared_data)
    with ThreadPoolExecutor(max_workers=2) as pool:  # dciodvfy is a separate process per file
        results = list(pool.map(lambda item: run_dciodvfy(item[1]), corpus))
    outcome = Comparison(files=len(corpus))
    for (key, path), result in zip(corpus, results, strict=True):
        if result.iod is None:
            continue
        outcome.recognised += 1
        try:
            explanation = explain(path, anatomy=False)
        except DICOMTeachError as error:
            outcome.iod_mismatches[key] = (result.iod, f"not explained: {error.reason}")
            continue
        if explanation.iod is None or not _iod_matches(result.iod, *explanation.iod):
            outcome.iod_mismatches[key] = (result.iod, explanation.iod[1] if explanation.iod else None)
            continue
        outcome.compared += 1
        _compare(outcome, key, result, explanation)
    return outcome


# --- the oracle itself, on files whose content pydicom confirms ---------------------------------------


def test_oracle_names_the_iod_and_missing_type2_attributes(shared_data):
    path = shared_data / "small-seg-24x38x3" / "image" / "IMG0001.dcm"
    result = run_dciodvfy(path)
    assert result.iod == "CTImage" and not result.crashed
    missing = {(error.keyword, error.type, error.module) for error in result.errors if error.kind == "missing"}
    assert ("KVP", "2", "CTImage") in missing
    assert "KVP" not in pydicom.dcmread(path, stop_before_pixels=True)
    kvp = next(error for error in result.errors if error.keyword == "KVP")
    assert kvp.tag == 0x00180060


def test_oracle_reads_empty_attributes_and_the_enclosing_module(shared_data):
    path = shared_data / "liver-ct-seg-sr" / "ct" / "01.dcm"
    result = run_dciodvfy(path)
    empty = [error for error in result.errors if error.kind == "empty"]
    assert [(error.keyword, error.type, error.module) for error in empty] == [
        ("SpecificCharacterSet", "1C", "SOPCommon")]
    assert pydicom.dcmread(path, stop_before_pixels=True)["SpecificCharacterSet"].value in ("", None)
    # Errors inside a macro name the macro; the verbose trace gives the module being verified.
    dx = run_dciodvfy(shared_data / "highdicom-test-files" / "dx_image.dcm")
    macro = [error for error in dx.errors if error.reported_in == "RequestAttributesMacro"]
    assert macro and {error.module for error in macro} == {"GeneralSeries"}


def test_oracle_recognises_no_iod_in_files_it_cannot_read():
    result = run_dciodvfy(pydicom_test_file("no_meta.dcm"))
    assert result.iod is None
    crashed = run_dciodvfy(pydicom_test_file("rtdose.dcm"))  # its reader aborts on this file
    assert crashed.iod is None and crashed.crashed


# --- agreement --------------------------------------------------------------------------------------


def test_iod_agrees_on_every_file_dciodvfy_recognises(comparison):
    assert comparison.recognised >= 150, "the corpus shrank: is ../shared/data complete?"
    unexpected = {key: value for key, value in comparison.iod_mismatches.items()
                  if key not in KNOWN_IOD_DISAGREEMENTS}
    assert not unexpected, f"IOD differs from dciodvfy's on: {unexpected}"
    stale = set(KNOWN_IOD_DISAGREEMENTS) - set(comparison.iod_mismatches)
    assert not stale, f"these IOD disagreements are gone, remove them from the list: {stale}"


def _rates(theirs: set[Finding], ours: set[Finding]) -> tuple[float, float]:
    both = len(theirs & ours)
    return (both / len(theirs) if theirs else 1.0, both / len(ours) if ours else 1.0)


def _category_rates(comparison: Comparison, unconditional: bool) -> tuple[float, float]:
    def keep(findings: set[Finding]) -> set[Finding]:
        return {finding for finding in findings if (finding.code in UNCONDITIONAL_CODES) == unconditional}

    theirs, ours = keep(comparison.theirs), keep(comparison.ours)
    both = len(theirs & ours)
    found, confirmed = _rates(theirs, ours)
    label = "types 1/2" if unconditional else "1C/2C and unmet conditions"
    print(f"  {label}: dciodvfy's errors we also report {both}/{len(theirs)} ({found:.1%}); "
          f"our problems dciodvfy confirms {both}/{len(ours)} ({confirmed:.1%})")
    return found, confirmed


def test_missing_and_empty_attribute_errors_agree_both_ways(comparison):
    print(f"\n{comparison.compared} files compared ({comparison.recognised} recognised by dciodvfy of "
          f"{comparison.files}), per (file, attribute, code):")
    for code in sorted(set(CODES.values())):
        theirs = {f for f in comparison.theirs if f.code == code}
        ours = {f for f in comparison.ours if f.code == code}
        print(f"    {code:24} dciodvfy {len(theirs):3}  ours {len(ours):3}  both {len(theirs & ours):3}")
    unconditional = _category_rates(comparison, unconditional=True)
    conditional = _category_rates(comparison, unconditional=False)
    assert comparison.theirs and comparison.ours, "nothing to compare: is dciodvfy's output still parsed?"
    found = comparison.disagreements()
    new = {key: value for key, value in found.items() if key not in KNOWN_DISAGREEMENTS}
    assert not new, f"new disagreements with dciodvfy (fix explain or list them with the reason): {new}"
    stale = sorted(set(KNOWN_DISAGREEMENTS) - set(found))
    if stale:  # a fix elsewhere should not fail this test, but the list must not rot either
        warnings.warn(f"disagreements with dciodvfy that are gone, remove them from the list: {stale}",
                      stacklevel=1)
    assert min(unconditional) >= AGREEMENT_GOAL and min(conditional) >= CONDITIONAL_AGREEMENT_GOAL


def test_most_conditional_attributes_get_a_decided_verdict(comparison):
    share = comparison.decided / comparison.conditional
    print(f"\n1C/2C attributes in the modules the files contain: {comparison.decided}/{comparison.conditional} "
          f"decided ({share:.1%}; goal {DECIDED_GOAL:.0%})")
    assert share >= DECIDED_GOAL


def test_every_listed_disagreement_names_a_reason_and_a_clause():
    for key, value in KNOWN_DISAGREEMENTS.items():
        assert value.reason and value.clause.startswith("PS3."), key
