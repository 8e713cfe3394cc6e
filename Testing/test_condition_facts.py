"""Conditions as generated facts: the generator (tools/condition_facts.py) and the one interpreter that decides
them (DICOMTeachLib.standard.conditions), on dicom3tools' real tables and on copies of real files edited here.
"""

from __future__ import annotations

import gzip
import json
import shutil
import sys
from pathlib import Path

import pydicom
import pytest

from DICOMTeachLib.explain import explain
from DICOMTeachLib.standard.conditions import FACTS_FILE, FACTS_FORMAT, ConditionFacts
from DICOMTeachLib.testdata import pydicom_test_file

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT / "tools"))
import condition_facts as generator  # noqa: E402

DICOM3TOOLS = PROJECT_ROOT.parent / "shared" / "dicom3tools-standard"
TAGS = {"Modality": 0x00080060, "BodyPartExamined": 0x00180015, "NumberOfFrames": 0x00280008,
        "SOPClassUID": 0x00080016, "ImageType": 0x00080008}
CONSTANTS = {"CTImageStorageSOPClassUID": "1.2.840.10008.5.1.4.1.1.2"}


@pytest.fixture(scope="module")
def dicom3tools() -> Path:
    if not (DICOM3TOOLS / "condn.tpl").exists():
        pytest.skip("../shared/dicom3tools-standard is absent")
    return DICOM3TOOLS


def _compile(body: str) -> dict[str, list]:
    return generator.compile_conditions(f'Condition="Test"\n{body}\nConditionEnd\n', TAGS, CONSTANTS)


def _facts(body: str) -> ConditionFacts:
    """Facts holding one condition "Test", as the generator writes them."""
    terms = _compile(body)["Test"]
    return ConditionFacts({"format": FACTS_FORMAT, "source": "test", "conditions": {"Test": json.dumps(terms)},
                           "sop_classes": {}, "iods": {}, "attributes": {}, "enums": {}, "values": {},
                           "corrected": {}})


def _copy_of(source: Path, tmp_path: Path, edit) -> Path:
    ds = pydicom.dcmread(source)
    edit(ds)
    target = tmp_path / f"edited_{source.name}"
    ds.save_as(target)
    return target


# -- the generator ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "fault"), [
    ('\tElement="Modality" Operator="Nand" StringValue="CT"', "unknown operator"),
    ('\tElement="Modality" StringValueSomewhere="CT"', "unknown test"),
    ('\tElement="NoSuchKeyword" ElementPresent=""', "unknown attribute keyword"),
    ('\tElement="SOPClassUID" StringConstantFromRootAttribute="NoSuchSOPClassUID"', "unknown constant"),
    ('\tElement="NumberOfFrames" BinaryValue="about 1"', "binary comparison"),
    ('\tElement="Modality" Modifier="Maybe" ElementPresent=""', "unknown modifier"),
    ('\t)\n\tElement="Modality" ElementPresent=""', "without '\\('"),
    ('\t(\n\tElement="Modality" ElementPresent=""', "open group"),
])
def test_a_malformed_condition_fails_the_generator_naming_the_line(body, fault):
    with pytest.raises(generator.FactError, match=fault) as raised:
        _compile(body)
    assert "line" in str(raised.value)


def test_a_condition_without_its_end_fails_the_generator():
    with pytest.raises(generator.FactError, match="ConditionEnd"):
        generator.compile_conditions('Condition="Test"\n\tElement="Modality" ElementPresent=""\n', TAGS, CONSTANTS)


def test_an_unknown_condition_name_fails_the_generator(dicom3tools, tmp_path):
    broken = tmp_path / "standard"
    shutil.copytree(dicom3tools, broken)
    module = broken / "module" / "base.tpl"
    module.chmod(0o644)
    module.write_text(module.read_text(encoding="latin-1").replace(
        'Module="CTImage"', 'Module="CTImage"\n\tName="KVP"\tType="1C"\tCondition="NoSuchCondition"', 1),
        encoding="latin-1")
    with pytest.raises(generator.FactError, match="unknown condition name 'NoSuchCondition'"):
        generator.read_tables(broken)


def test_an_unknown_module_condition_of_an_iod_fails_the_generator(dicom3tools, tmp_path):
    broken = tmp_path / "standard"
    shutil.copytree(dicom3tools, broken)
    iods = broken / "iodcomp" / "ct.tpl"
    iods.chmod(0o644)
    iods.write_text(iods.read_text(encoding="latin-1").replace(
        'Condition="NeedModuleContrastBolus"', 'Condition="NeedModuleNothing"', 1), encoding="latin-1")
    with pytest.raises(generator.FactError, match="NeedModuleNothing"):
        generator.read_tables(broken)


def test_the_real_tables_compile_with_every_referenced_condition_defined(dicom3tools):
    tables = generator.read_tables(dicom3tools)
    assert len(tables.conditions) > 1400
    referenced = {condition for rows in tables.modules.values() for _, condition, _ in rows.values() if condition}
    assert referenced <= set(tables.conditions)
    assert tables.sop_iods["1.2.840.10008.5.1.4.1.1.2"] == "CTImage"


def test_shipped_condition_facts_equal_a_fresh_generation(dicom3tools):
    import generate_standard_tables

    shipped_tables = json.loads(gzip.decompress(generate_standard_tables.DATA_FILE.read_bytes()))
    fresh = generate_standard_tables.encode(generate_standard_tables.build_condition_facts(shipped_tables,
                                                                                           dicom3tools))
    assert gzip.decompress(FACTS_FILE.read_bytes()) == fresh, "run: python tools/generate_standard_tables.py"


def test_runs_of_value_tests_become_one_membership_test_with_the_same_meaning():
    terms = _compile('\tElement="Modality" StringValue="CT"\n\tElement="Modality" Operator="Or" StringValue="MR"\n'
                     '\tElement="BodyPartExamined" Operator="And" Modifier="Not" StringValue="BRAIN"\n'
                     '\tElement="BodyPartExamined" Operator="And" Modifier="Not" StringValue="HEAD"')["Test"]
    assert [term[2] for term in terms] == ["string_in", "string_in"]
    facts = _facts('\tElement="Modality" StringValue="CT"\n\tElement="Modality" Operator="Or" StringValue="MR"\n'
                   '\tElement="BodyPartExamined" Operator="And" Modifier="Not" StringValue="BRAIN"\n'
                   '\tElement="BodyPartExamined" Operator="And" Modifier="Not" StringValue="HEAD"')
    for modality, part, expected in (("MR", "KNEE", True), ("MR", "HEAD", False), ("US", "KNEE", False)):
        ds = pydicom.Dataset()
        ds.Modality, ds.BodyPartExamined = modality, part
        assert facts.decide("Test", ds, ds).required is expected, (modality, part)


# -- the interpreter ----------------------------------------------------------------------------------------


def test_terms_combine_left_to_right_as_dciodvfy_does():
    # (Modality present or Image Type present) and Number of Frames > 1: no precedence, left to right.
    facts = _facts('\tElement="Modality" ElementPresent=""\n\tElement="ImageType" Operator="Or" ElementPresent=""\n'
                   '\tElement="NumberOfFrames" Operator="And" BinaryValue="> 1"')
    ds = pydicom.Dataset()
    ds.Modality = "CT"
    verdict = facts.decide("Test", ds, ds)
    assert verdict.required is False and "Number of Frames is absent" in verdict.decided_by
    ds.NumberOfFrames = "4"
    verdict = facts.decide("Test", ds, ds)
    assert verdict.required is True
    assert verdict.condition == "(Modality is present or Image Type is present) and Number of Frames is > 1"


def test_a_condition_dicom3tools_cannot_check_is_left_open(dicom3tools):
    # condn.tpl: SpecimenNeedsDescription has no test ("too difficult to check real world condition").
    assert generator.read_tables(dicom3tools).conditions["SpecimenNeedsDescription"] == []
    verdict = _facts("").decide("Test", pydicom.Dataset(), pydicom.Dataset())
    assert verdict.required is None and "cannot decide" in verdict.condition


def test_root_scope_reads_the_top_level_from_inside_an_item():
    facts = _facts('\tElement="SOPClassUID" StringConstantFromRootAttribute="CTImageStorageSOPClassUID"')
    root, item = pydicom.Dataset(), pydicom.Dataset()
    root.SOPClassUID = CONSTANTS["CTImageStorageSOPClassUID"]
    assert facts.decide("Test", item, root).required is True
    assert facts.decide("Test", item, pydicom.Dataset()).required is False


# -- verdicts in explain ------------------------------------------------------------------------------------


def test_laterality_on_a_brain_mr_is_present_although_its_condition_is_unmet(tmp_path):
    def brain(ds):
        ds.BodyPartExamined, ds.Laterality = "BRAIN", "R"

    explanation = explain(_copy_of(pydicom_test_file("MR_small.dcm"), tmp_path, brain), anatomy=False)
    problems = [p for p in explanation.problems if p.keyword == "Laterality"]
    assert [p.code for p in problems] == ["condition-unmet-present"]
    assert "Body Part Examined is 'BRAIN'" in problems[0].message


def test_laterality_of_a_breast_is_required_because_of_the_body_part(tmp_path):
    def breast(ds):
        ds.BodyPartExamined = "BREAST"
        del ds.Laterality

    explanation = explain(_copy_of(pydicom_test_file("MR_small.dcm"), tmp_path, breast), anatomy=False)
    laterality = next(a for a in explanation.module("general-series").attributes if a.keyword == "Laterality")
    assert laterality.required is True and "Body Part Examined is 'BREAST'" in laterality.decided_by
    assert [(p.severity, p.code) for p in explanation.problems if p.keyword == "Laterality"] == \
        [("error", "type2c-missing")]
    assert "Laterality" in laterality.condition and laterality.condition.startswith("Image Laterality is absent")


def test_laterality_without_a_body_part_is_a_warning_that_says_what_is_unknown(tmp_path):
    # PS3.3 C.7.3.1: required if the body part examined is paired. With no Body Part Examined and no Anatomic
    # Region Sequence the file cannot show it is not: dciodvfy calls the absence an error, we say why it may be.
    def no_body_part(ds):
        for keyword in ("BodyPartExamined", "AnatomicRegionSequence", "Laterality"):
            if keyword in ds:
                delattr(ds, keyword)

    explanation = explain(_copy_of(pydicom_test_file("MR_small.dcm"), tmp_path, no_body_part), anatomy=False)
    laterality = next(a for a in explanation.module("general-series").attributes if a.keyword == "Laterality")
    assert laterality.required is True
    assert laterality.decided_by.startswith("nothing in the file rules it out (Body Part Examined is absent")
    problems = [p for p in explanation.problems if p.keyword == "Laterality"]
    assert [(p.severity, p.code) for p in problems] == [("warning", "type2c-missing")]
    assert "Body Part Examined is absent" in problems[0].message and "empty is allowed" in problems[0].message


def test_every_attribute_in_json_carries_condition_and_required():
    data = explain(pydicom_test_file("CT_small.dcm"), anatomy=False).to_json_dict()
    conditional = []
    for module in data["modules"]:
        for attribute in module["attributes"]:
            assert attribute["required"] in (True, False, None) and isinstance(attribute["condition"], str)
            if attribute["type"] in ("1C", "2C"):
                conditional.append(attribute)
            else:
                assert attribute["condition"] == ""
    assert conditional and all(a["condition"] for a in conditional)
    pixel_data = next(a for m in data["modules"] if m["id"] == "image-pixel" for a in m["attributes"]
                      if a["keyword"] == "PixelData")
    assert pixel_data["required"] is True and pixel_data["decided_by"] == "Pixel Data Provider URL is absent"


def test_a_secondary_capture_with_pixel_spacing_has_no_image_plane_module(tmp_path):
    def spacing(ds):
        ds.PixelSpacing = [0.5, 0.5]

    explanation = explain(_copy_of(pydicom_test_file("SC_rgb.dcm"), tmp_path, spacing), anatomy=False)
    plane = explanation.module("image-plane")
    assert plane is not None and plane.status == "absent"
    assert not [p for p in explanation.problems if p.module == "image-plane"]


def test_legacy_enhanced_ct_without_the_equipment_details_has_no_enhanced_general_equipment(shared_data):
    explanation = explain(shared_data / "small-seg-24x38x3" / "multiframe" / "mf.dcm", anatomy=False)
    assert explanation.iod[0] == "legacy-converted-enhanced-ct-image"
    assert explanation.module("enhanced-general-equipment").status == "absent"
    assert not [p for p in explanation.problems if p.module == "enhanced-general-equipment"]


def test_every_per_frame_item_is_checked_and_the_problem_names_the_frames(shared_data, tmp_path):
    source = shared_data / "highdicom-test-files" / "seg_image_ct_binary.dcm"

    def drop(ds):
        for item in ds.PerFrameFunctionalGroupsSequence[1:3]:
            del item.FrameContentSequence[0].DimensionIndexValues

    original = explain(source, anatomy=False)
    assert not [p for p in original.problems if p.keyword == "DimensionIndexValues"]
    edited = explain(_copy_of(source, tmp_path, drop), anatomy=False)
    problems = [p for p in edited.problems if p.keyword == "DimensionIndexValues"]
    assert [p.code for p in problems] == ["type1c-missing"]
    assert "frames 2-3" in problems[0].message


def test_a_per_frame_only_macro_in_the_shared_item_is_misplaced(shared_data, tmp_path):
    source = shared_data / "highdicom-test-files" / "seg_image_ct_binary.dcm"

    def share(ds):
        ds.SharedFunctionalGroupsSequence[0].FrameContentSequence = \
            ds.PerFrameFunctionalGroupsSequence[0].FrameContentSequence

    edited = explain(_copy_of(source, tmp_path, share), anatomy=False)
    placement = [p.message for p in edited.problems if p.code == "functional-group-placement"]
    assert any("Frame Content" in message and "shared item and in per-frame items" in message
               for message in placement)
    assert any("Frame Content" in message and "per frame only" in message for message in placement)


def test_a_value_outside_the_enumerated_values_is_a_warning(tmp_path):
    def odd(ds):
        ds.Laterality = "X"
        ds.ImageType = ["ORIGINAL", "TERTIARY", "OTHER"]

    explanation = explain(_copy_of(pydicom_test_file("MR_small.dcm"), tmp_path, odd), anatomy=False)
    found = {(p.severity, p.keyword, p.message) for p in explanation.problems if p.code == "enumerated-value"}
    assert found == {
        ("warning", "Laterality", "(0020,0060) Laterality is 'X', not one of its Enumerated Values (R, L)"),
        ("warning", "ImageType", "(0008,0008) ImageType value 2 is 'TERTIARY', not one of its Enumerated Values "
                                 "(PRIMARY, SECONDARY)")}
    assert not [p for p in explain(pydicom_test_file("MR_small.dcm"), anatomy=False).problems
                if p.code == "enumerated-value"]


def test_rescale_type_is_required_where_rescale_intercept_is_present(tmp_path):
    def rescaled(ds):
        ds.RescaleIntercept, ds.RescaleSlope = "0", "1"

    assert not [p for p in explain(pydicom_test_file("SC_rgb.dcm"), anatomy=False).problems
                if p.keyword == "RescaleType"]
    explanation = explain(_copy_of(pydicom_test_file("SC_rgb.dcm"), tmp_path, rescaled), anatomy=False)
    problems = [p for p in explanation.problems if p.keyword == "RescaleType"]
    assert [(p.code, p.module) for p in problems] == [("type1c-missing", "modality-lut")]
    assert "Rescale Intercept is present" in problems[0].message


def test_lut_explanation_missing_inside_a_real_world_value_mapping_item(tmp_path):
    def without_explanation(ds):
        for item in ds.SharedFunctionalGroupsSequence[0].RealWorldValueMappingSequence:
            if "LUTExplanation" in item:
                del item.LUTExplanation

    source = pydicom_test_file("eCT_Supplemental.dcm")
    assert not [p for p in explain(source, anatomy=False).problems if p.keyword == "LUTExplanation"]
    explanation = explain(_copy_of(source, tmp_path, without_explanation), anatomy=False)
    problems = [p for p in explanation.problems if p.keyword == "LUTExplanation"]
    assert [p.code for p in problems] == ["type1-missing"]
    assert "SharedFunctionalGroupsSequence[1] > RealWorldValueMappingSequence[1] > LUTExplanation" in \
        problems[0].message
    macro = explanation.module("real-world-value-mapping-macro")
    assert macro is not None and macro.attributes[0].keyword == "RealWorldValueMappingSequence"


def test_an_attribute_two_modules_define_is_reported_once():
    # Frame Increment Pointer belongs to the Multi-frame and the US Image module of this IOD (the latter makes
    # it 1C, PS3.3 C.8.5.6): one missing attribute, one problem.
    explanation = explain(pydicom_test_file("OBXXXX1A_rle_2frame.dcm"), anatomy=False)
    assert explanation.iod[0] == "ultrasound-multi-frame-image"
    assert [p.code for p in explanation.problems if p.keyword == "FrameIncrementPointer"] == ["type1c-missing"]


def test_laterality_verdict_names_the_body_part_first_not_the_ecg_exclusions():
    """US1_UNCR.dcm has no Laterality: dicom3tools requires it unless the body part is known to be unpaired. The
    reasons said 'SOP Class UID is Ultrasound Image Storage; Modality is 'US'' (it is not an ECG) and never the
    body part; the default view printed the whole 1,500-character condition beside MISSING."""
    from DICOMTeachLib.explain.text import render_text

    path = pydicom_test_file("US1_UNCR.dcm")
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    assert "BodyPartExamined" not in ds and "AnatomicRegionSequence" not in ds and "Laterality" not in ds
    explanation = explain(path)
    (problem,) = [p for p in explanation.problems if p.keyword == "Laterality"]
    reasons = problem.message.split("rules its condition out (")[1].split(")")[0].split("; ")
    assert reasons == ["Body Part Examined is absent", "Anatomic Region Sequence is absent"]
    assert problem.severity == "warning" and "SOP Class UID is" not in problem.message
    line = next(line for line in render_text(explanation).splitlines() if "MISSING" in line and "Laterality" in line)
    assert line.endswith(f"required: nothing in the file rules it out ({'; '.join(reasons)}))") and len(line) < 250
