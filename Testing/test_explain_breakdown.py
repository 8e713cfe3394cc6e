"""The breakdown of real instances against their IOD: values from the data, module statuses, problems."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest
from pydicom.uid import UID

from DICOMTeachLib.errors import DICOMTeachError
from DICOMTeachLib.explain import explain
from DICOMTeachLib.standard import standard
from DICOMTeachLib.testdata import pydicom_test_file


def _attribute(explanation, module_id, keyword):
    module = explanation.module(module_id)
    assert module is not None, f"{module_id} not in the breakdown"
    return next(a for a in module.attributes if a.keyword == keyword)


def _codes_for(explanation, keyword):
    return {p.code for p in explanation.problems if p.keyword == keyword}


def _copy(tmp_path: Path, name: str, change) -> Path:
    ds = pydicom.dcmread(pydicom_test_file(name))
    change(ds)
    out = tmp_path / f"changed_{name}"
    ds.save_as(out, enforce_file_format=False)
    return out


def test_sop_class_iod_and_entities_come_from_the_file_and_the_tables():
    path = pydicom_test_file("CT_small.dcm")
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    explanation = explain(path)
    entry = standard().sop_class(ds.SOPClassUID)
    iod = standard().iod(entry.iod_id)
    assert explanation.sop_class_uid == ds.SOPClassUID
    assert explanation.sop_class_name == entry.name
    assert explanation.iod == (iod.id, iod.name)
    assert explanation.transfer_syntax == (ds.file_meta.TransferSyntaxUID, ds.file_meta.TransferSyntaxUID.name)
    assert explanation.information_entities == list(iod.information_entities)
    assert [m.id for m in explanation.modules] == [ref.module_id for ref in iod.modules]
    assert [m.usage for m in explanation.modules] == [ref.usage for ref in iod.modules]


def test_module_status_follows_which_attributes_the_file_holds():
    path = pydicom_test_file("CT_small.dcm")
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    explanation = explain(path)
    for module in explanation.modules:
        held = [a for a in module.attributes if a.tag_value in ds or a.tag_value == 0x7FE00010]
        assert (module.status == "absent") == (not held), module.id
        required = [a for a in module.attributes if a.type in ("1", "2")]
        if held and all(a.tag_value in ds or a.tag_value == 0x7FE00010 for a in required):
            assert module.status == "present", module.id
    assert explanation.module("image-pixel").status == "present"
    assert explanation.module("clinical-trial-subject").status == "absent"


def test_attribute_values_match_pydicom_reading_the_same_file():
    path = pydicom_test_file("CT_small.dcm")
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    explanation = explain(path)
    name = _attribute(explanation, "patient", "PatientName")
    assert name.value == f"family: {ds.PatientName.family_name}, given: {ds.PatientName.given_name}"
    assert _attribute(explanation, "patient", "PatientID").value == ds.PatientID
    assert _attribute(explanation, "general-study", "StudyDate").value == ds.StudyDate
    position = _attribute(explanation, "image-plane", "ImagePositionPatient")
    assert position.value == "\\".join(str(v) for v in ds.ImagePositionPatient)
    assert _attribute(explanation, "image-pixel", "Rows").value == str(ds.Rows)
    sop = _attribute(explanation, "sop-common", "SOPClassUID")
    assert sop.value == f"{ds.SOPClassUID} ({UID(ds.SOPClassUID).name})"  # a well-known UID is named
    birth = _attribute(explanation, "patient", "PatientBirthDate")
    assert birth.status == "empty" and birth.length == 0 and birth.type == "2"


def test_sequences_are_nested_with_their_items():
    path = pydicom_test_file("CT_small.dcm")
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    other_ids = _attribute(explain(path), "patient", "OtherPatientIDsSequence")
    assert len(other_ids.items) == len(ds.OtherPatientIDsSequence)
    for item, expected in zip(other_ids.items, ds.OtherPatientIDsSequence, strict=True):
        patient_id = next(a for a in item if a.keyword == "PatientID")
        assert patient_id.value == expected.PatientID


def test_offsets_point_at_the_tag_bytes_including_inside_sequences():
    for name in ("CT_small.dcm", "MR_small.dcm", "rtplan.dcm", "MR_small_bigendian.dcm", "emri_small.dcm"):
        path = pydicom_test_file(name)
        data = path.read_bytes()
        explanation = explain(path)
        little = not name.endswith("bigendian.dcm")
        checked = 0

        def check(attribute, data=data, little=little, name=name):
            nonlocal checked
            if attribute.offset is not None:
                order = "little" if little else "big"
                group = int.from_bytes(data[attribute.offset:attribute.offset + 2], order)
                element = int.from_bytes(data[attribute.offset + 2:attribute.offset + 4], order)
                assert f"({group:04X},{element:04X})" == attribute.tag, (name, attribute.keyword)
                checked += 1
            for item in attribute.items:
                for nested in item:
                    check(nested)

        for module in explanation.modules:
            for attribute in module.attributes:
                check(attribute)
        for attribute in explanation.other_elements:
            check(attribute)
        assert checked > 20, name


def test_contrast_bolus_condition_is_decided_from_the_agent():
    path = pydicom_test_file("CT_small.dcm")
    assert pydicom.dcmread(path).ContrastBolusAgent
    contrast = explain(path).module("contrast-bolus")
    assert contrast.usage == "C" and contrast.condition_result is True and contrast.status == "present"


def test_condition_without_agent_is_left_open(tmp_path):
    def drop_contrast(ds):
        for keyword in ("ContrastBolusAgent", "ContrastBolusRoute"):
            delattr(ds, keyword)

    contrast = explain(_copy(tmp_path, "CT_small.dcm", drop_contrast)).module("contrast-bolus")
    assert contrast.condition_result is None and contrast.status == "absent"
    assert contrast.condition  # the text stays for the reader


def test_removed_type1_attribute_is_reported_missing(tmp_path):
    explanation = explain(_copy(tmp_path, "CT_small.dcm", lambda ds: delattr(ds, "StudyInstanceUID")))
    assert "type1-missing" in _codes_for(explanation, "StudyInstanceUID")
    assert _attribute(explanation, "general-study", "StudyInstanceUID").status == "missing"
    assert explanation.module("general-study").status == "partial"


def test_empty_type1_attribute_is_reported_empty(tmp_path):
    def empty(ds):
        ds.SeriesInstanceUID = ""

    assert "type1-empty" in _codes_for(explain(_copy(tmp_path, "CT_small.dcm", empty)), "SeriesInstanceUID")


def test_empty_type2_attribute_is_no_problem_but_missing_is(tmp_path):
    def empty(ds):
        ds.StudyID = ""

    assert _codes_for(explain(_copy(tmp_path, "CT_small.dcm", empty)), "StudyID") == set()
    missing = explain(_copy(tmp_path, "CT_small.dcm", lambda ds: delattr(ds, "StudyID")))
    assert "type2-missing" in _codes_for(missing, "StudyID")


def test_checkable_type1c_condition_is_enforced(tmp_path):
    def colour_without_planar_configuration(ds):
        ds.SamplesPerPixel = 3
        ds.PhotometricInterpretation = "RGB"

    explanation = explain(_copy(tmp_path, "CT_small.dcm", colour_without_planar_configuration))
    assert "type1c-missing" in _codes_for(explanation, "PlanarConfiguration")
    assert "type1c-missing" not in _codes_for(explain(pydicom_test_file("CT_small.dcm")), "PlanarConfiguration")


def test_value_invalid_for_its_vr_is_reported(tmp_path):
    def bad_date(ds):
        with pytest.warns(UserWarning):  # pydicom warns when the value is set: the file is meant to be wrong
            ds["StudyDate"].value = "19-01-2004"

    problems = _codes_for(explain(_copy(tmp_path, "CT_small.dcm", bad_date)), "StudyDate")
    assert "invalid-value" in problems


def test_vr_differing_from_the_dictionary_is_reported(tmp_path):
    def wrong_vr(ds):
        ds["InstitutionName"].VR = "SH"

    assert "vr-mismatch" in _codes_for(explain(_copy(tmp_path, "CT_small.dcm", wrong_vr)), "InstitutionName")


def test_retired_attribute_and_private_blocks_are_reported():
    explanation = explain(pydicom_test_file("emri_small.dcm"))
    ds = pydicom.dcmread(pydicom_test_file("emri_small.dcm"), stop_before_pixels=True)
    assert "OtherPatientIDs" in ds  # retired in the dictionary
    assert "retired-attribute" in _codes_for(explanation, "OtherPatientIDs")
    ct = explain(pydicom_test_file("CT_small.dcm"))
    creators = {ds_element.value for ds_element in pydicom.dcmread(pydicom_test_file("CT_small.dcm"))
                if ds_element.tag.is_private_creator}
    private = [p.message for p in ct.problems if p.code == "private-element"]
    assert len(private) == len(creators)
    assert all(any(repr(creator) in message for message in private) for creator in creators)


def test_standard_attribute_outside_the_iod_is_reported(tmp_path):
    def add(ds):
        ds.RTPlanLabel = "PLAN"  # an RT Plan attribute: no module of the CT Image IOD has it

    explanation = explain(_copy(tmp_path, "CT_small.dcm", add))
    assert "not-in-iod" in _codes_for(explanation, "RTPlanLabel")
    assert any(a.keyword == "RTPlanLabel" for a in explanation.other_elements)


def test_modality_disagreeing_with_sop_class_is_reported(tmp_path):
    def mr(ds):
        ds.Modality = "MR"

    assert "sop-modality-mismatch" in _codes_for(explain(_copy(tmp_path, "CT_small.dcm", mr)), "Modality")
    assert "sop-modality-mismatch" not in explain(pydicom_test_file("CT_small.dcm")).problem_codes()


def test_unknown_sop_class_gets_a_generic_breakdown(tmp_path):
    def private_class(ds):
        ds.SOPClassUID = "1.2.3.4.5.6.7"
        ds.file_meta.MediaStorageSOPClassUID = "1.2.3.4.5.6.7"

    path = _copy(tmp_path, "CT_small.dcm", private_class)
    explanation = explain(path)
    ds = pydicom.dcmread(path)
    assert explanation.iod is None and explanation.modules == []
    assert "unknown-sop-class" in explanation.problem_codes()
    assert [a.tag_value for a in explanation.other_elements] == [int(tag) for tag in ds.keys()]


def _enhanced_ct() -> Path:
    try:
        return pydicom_test_file("eCT_Supplemental.dcm")
    except FileNotFoundError:
        pytest.skip("pydicom-data's eCT_Supplemental.dcm (enhanced CT) is not installed")


def test_functional_group_macros_are_found_in_the_shared_or_the_first_frame_item():
    path = _enhanced_ct()
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    explanation = explain(path)
    assert explanation.iod[0] == standard().sop_class(ds.SOPClassUID).iod_id
    groups = [m for m in explanation.modules if m.ie == "Functional Groups"]
    assert [m.id for m in groups] == [ref.module_id for ref in standard().functional_groups(explanation.iod[0])]
    shared, first = ds.SharedFunctionalGroupsSequence[0], ds.PerFrameFunctionalGroupsSequence[0]
    for module in groups:
        held = [a for a in module.attributes if a.status != "missing"]
        if "(shared)" in module.name:
            assert held and all(a.tag_value in shared for a in held), module.id
        elif "(per-frame" in module.name:
            assert held and all(a.tag_value in first for a in held), module.id
        else:
            assert module.status == "absent"
            tags = [a.tag_value for a in module.attributes]
            assert not any(tag in shared or tag in first for tag in tags), module.id
    position = next(m for m in groups if m.id == "plane-position-patient").attributes[0]
    expected = first.PlanePositionSequence[0].ImagePositionPatient
    assert position.items[0][0].value == "\\".join(str(v) for v in expected)


def test_per_frame_functional_groups_explain_the_first_frame_only():
    path = _enhanced_ct()
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    module = next(m for m in explain(path).modules if m.id.endswith("multi-frame-functional-groups"))
    per_frame = next(a for a in module.attributes if a.keyword == "PerFrameFunctionalGroupsSequence")
    assert per_frame.value == f"{len(ds.PerFrameFunctionalGroupsSequence)} items"
    assert len(per_frame.items) == 1


def test_enhanced_mr_without_functional_groups_reports_the_missing_sequence():
    path = pydicom_test_file("emri_small.dcm")
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    assert "SharedFunctionalGroupsSequence" not in ds
    explanation = explain(path)
    assert explanation.iod[0] == "enhanced-mr-image"
    assert "type1-missing" in _codes_for(explanation, "SharedFunctionalGroupsSequence")
    assert not [m for m in explanation.modules if m.ie == "Functional Groups"]


def test_a_dataset_in_memory_is_explained_without_positions():
    ds = pydicom.dcmread(pydicom_test_file("MR_small.dcm"))
    ds.filename = None
    explanation = explain(ds)
    assert explanation.iod[0] == "mr-image"
    assert _attribute(explanation, "patient", "PatientID").value == ds.PatientID
    assert all(a.offset is None for m in explanation.modules for a in m.attributes)


def test_lidc_ct_slice_values_match_pydicom(lidc_ct_files):
    path = lidc_ct_files[0]
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    explanation = explain(path)
    assert explanation.iod[0] == "ct-image"
    assert _attribute(explanation, "general-series", "SeriesInstanceUID").value == ds.SeriesInstanceUID
    assert _attribute(explanation, "ct-image", "RescaleIntercept").value == str(ds.RescaleIntercept)


def test_shared_data_seg_is_explained_as_segmentation(shared_data):
    path = shared_data / "liver-ct-seg-sr" / "seg" / "liver.dcm"
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    explanation = explain(path)
    assert explanation.iod[0] == standard().sop_class(ds.SOPClassUID).iod_id
    assert explanation.sop_class_name == standard().sop_class(ds.SOPClassUID).name
    assert explanation.module("segmentation-image").status == "present"
    assert any(m.ie == "Functional Groups" and m.status != "absent" for m in explanation.modules)


def test_unreadable_path_raises_the_library_error(tmp_path):
    with pytest.raises(DICOMTeachError, match="cannot open"):
        explain(tmp_path / "absent.dcm")


def test_present_but_empty_type1c_is_reported_whatever_its_condition(tmp_path):
    def empty_charset(ds):
        ds.SpecificCharacterSet = ""

    explanation = explain(_copy(tmp_path, "CT_small.dcm", empty_charset))
    assert "type1c-empty" in _codes_for(explanation, "SpecificCharacterSet")


def test_explicit_un_elements_keep_their_file_header_and_value():
    path = pydicom_test_file("rtdose_rle.dcm")  # writes most standard attributes with VR UN
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    data = path.read_bytes()
    sop = _attribute(explain(path), "sop-common", "SOPClassUID")
    assert sop.vr == "UN" and sop.status == "present"
    assert data[sop.offset + 4:sop.offset + 6] == b"UN"
    assert sop.length == int.from_bytes(data[sop.offset + 8:sop.offset + 12], "little")
    assert sop.value.startswith(str(ds.SOPClassUID))


def test_secondary_capture_equipment_makes_modality_optional(tmp_path):
    path = pydicom_test_file("JPEG2000.dcm")
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    assert standard().sop_class(ds.SOPClassUID).iod_id == "secondary-capture-image"

    def no_modality(ds):
        del ds.Modality

    assert _codes_for(explain(_copy(tmp_path, "JPEG2000.dcm", no_modality)), "Modality") == set()


def test_sr_content_items_are_checked_for_their_own_value_type():
    path = pydicom_test_file("reportsi.dcm")
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    explanation = explain(path)
    value_type_tags = {"GraphicData", "ContinuityOfContent", "TextValue", "MeasuredValueSequence",
                       "ConceptCodeSequence", "TabulatedValuesSequence"}
    wrongly_required = [p for p in explanation.problems if p.keyword in value_type_tags]
    assert not wrongly_required, [p.message for p in wrongly_required]
    assert ds.ValueType == "CONTAINER" and "ContinuityOfContent" in ds


def test_sr_content_item_missing_its_own_value_is_reported(tmp_path):
    def drop_code(ds):
        code_item = next(item for item in ds.ContentSequence if item.ValueType == "CODE")
        del code_item.ConceptCodeSequence  # type 1 in the Code content item macro

    explanation = explain(_copy(tmp_path, "reportsi.dcm", drop_code))
    assert "type1-missing" in _codes_for(explanation, "ConceptCodeSequence")
    assert "type1-missing" not in _codes_for(explain(pydicom_test_file("reportsi.dcm")), "ConceptCodeSequence")


def test_labelmap_segmentation_needs_no_segment_identification(shared_data):
    path = shared_data / "highdicom-test-files" / "seg_image_sm_control_labelmap.dcm"
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    assert ds.SegmentationType == "LABELMAP"
    explanation = explain(path)
    macro = next(m for m in explanation.modules if m.id == "segmentation" and m.ie == "Functional Groups")
    assert macro.status == "absent" and "not needed" in macro.name
    assert "SegmentIdentificationSequence" not in {p.keyword for p in explanation.problems}


def test_text_longer_than_its_vr_allows_is_reported(tmp_path):
    def long_name(ds):
        with pytest.warns(UserWarning):  # pydicom warns on assignment: the file is meant to be wrong
            ds.InstitutionName = "X" * 70  # LO holds at most 64 characters

    problems = [p for p in explain(_copy(tmp_path, "CT_small.dcm", long_name)).problems
                if p.keyword == "InstitutionName"]
    assert [p.code for p in problems] == ["invalid-value"]
    assert problems[0].module == "general-equipment"


def test_private_group_lengths_are_not_taken_for_private_blocks(shared_data):
    # The liver CT (GE, implicit VR) has (gggg,0000) group lengths in its private groups: no block's data.
    path = sorted((shared_data / "liver-ct-seg-sr" / "ct").iterdir())[0]
    ds = pydicom.dcmread(path)
    assert any(element.tag.is_private and element.tag.element == 0 for element in ds)
    private = [p.message for p in explain(path).problems if p.code == "private-element"]
    creators = {element.value for element in ds if element.tag.is_private_creator}
    assert private and all(any(repr(creator) in message for creator in creators) for message in private)
