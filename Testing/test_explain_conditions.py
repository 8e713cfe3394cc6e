"""Conditions the data decides: conditional modules and 1C attributes inside sequence items.

Each rule is made to fire on a copy of a real file edited in tmp_path; the unedited file must not fire it.
"""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest
from oracles.dciodvfy import run_dciodvfy

from DICOMTeachLib.explain import explain
from DICOMTeachLib.testdata import pydicom_test_file


def _edited_copy(source: Path, tmp_path: Path, edit) -> Path:
    ds = pydicom.dcmread(source)
    edit(ds)
    target = tmp_path / f"edited_{source.name}"
    ds.save_as(target)
    return target


def _module(explanation, module_id: str):
    return next(module for module in explanation.modules if module.id == module_id)


def _problems(explanation, code: str, keyword: str) -> list:
    return [problem for problem in explanation.problems if problem.code == code and problem.keyword == keyword]


# -- SR content items: value attributes by the item's own Value Type ------------------------------------------


@pytest.mark.parametrize(("name", "value_type", "keyword"), [
    ("test-SR.dcm", "TEXT", "TextValue"),
    ("test-SR.dcm", "UIDREF", "UID"),
    ("reportsi.dcm", "PNAME", "PersonName"),
])
def test_content_item_without_the_value_its_value_type_needs_is_type1c_missing(tmp_path, name, value_type,
                                                                                keyword):
    source = pydicom_test_file(name)
    original = pydicom.dcmread(source)
    number = next(n for n, item in enumerate(original.ContentSequence, start=1) if item.ValueType == value_type)
    assert not _problems(explain(source, anatomy=False), "type1c-missing", keyword)

    def drop_value(ds):
        del ds.ContentSequence[number - 1][keyword]

    problems = _problems(explain(_edited_copy(source, tmp_path, drop_value), anatomy=False), "type1c-missing",
                         keyword)
    assert len(problems) == 1
    assert f"ContentSequence[{number}] > {keyword}" in problems[0].message


def test_content_item_of_another_value_type_does_not_need_that_value(tmp_path):
    source = pydicom_test_file("test-SR.dcm")
    original = pydicom.dcmread(source)
    number = next(n for n, item in enumerate(original.ContentSequence, start=1) if item.ValueType == "TEXT")

    def retype(ds):  # a DATE item has no Text Value: its absence there is no problem
        item = ds.ContentSequence[number - 1]
        del item.TextValue
        item.ValueType = "DATE"
        item.Date = "20200101"

    explanation = explain(_edited_copy(source, tmp_path, retype), anatomy=False)
    assert not _problems(explanation, "type1c-missing", "TextValue")
    assert not _problems(explanation, "type1c-missing", "Date")


# -- conditional modules ------------------------------------------------------------------------------------


def test_slide_label_module_is_required_for_a_label_image(shared_data, tmp_path):
    source = shared_data / "highdicom-test-files" / "sm_image.dcm"
    assert _module(explain(source, anatomy=False), "slide-label").condition_result is False

    def make_label(ds):
        ds.ImageType = [ds.ImageType[0], ds.ImageType[1], "LABEL", *ds.ImageType[3:]]

    module = _module(explain(_edited_copy(source, tmp_path, make_label), anatomy=False), "slide-label")
    assert module.condition_result is True and module.required


def test_voi_lut_module_follows_the_presentation_intent(shared_data, tmp_path):
    source = shared_data / "highdicom-test-files" / "dx_image.dcm"
    assert pydicom.dcmread(source).PresentationIntentType == "FOR PRESENTATION"
    assert _module(explain(source, anatomy=False), "voi-lut").condition_result is True

    def for_processing(ds):
        ds.PresentationIntentType = "FOR PROCESSING"

    edited = explain(_edited_copy(source, tmp_path, for_processing), anatomy=False)
    assert _module(edited, "voi-lut").condition_result is False


def test_supplemental_palette_is_required_for_color_pixel_presentation(tmp_path):
    source = pydicom_test_file("emri_small.dcm")
    module_id = "supplemental-palette-color-lookup-table"
    assert _module(explain(source, anatomy=False), module_id).condition_result is False

    def color(ds):
        ds.PixelPresentation = "COLOR"

    module = _module(explain(_edited_copy(source, tmp_path, color), anatomy=False), module_id)
    assert module.condition_result is True and module.status == "absent"


def test_rt_beams_and_brachy_setups_follow_the_fraction_group_counts(tmp_path):
    source = pydicom_test_file("rtplan.dcm")
    original = explain(source, anatomy=False)
    assert _module(original, "rt-beams").condition_result is True
    assert _module(original, "rt-brachy-application-setups").condition_result is False
    assert not [p for p in original.problems if p.module == "rt-brachy-application-setups"]

    def brachy(ds):
        for group in ds.FractionGroupSequence:
            group.NumberOfBeams = 0
            group.NumberOfBrachyApplicationSetups = 1

    edited = explain(_edited_copy(source, tmp_path, brachy), anatomy=False)
    assert _module(edited, "rt-beams").condition_result is False
    assert _module(edited, "rt-brachy-application-setups").condition_result is True
    # The required module is absent: its type 1 attributes are reported missing.
    assert [p for p in edited.problems if p.module == "rt-brachy-application-setups" and p.code == "type1-missing"]


def test_name_value_content_item_without_concept_name_is_type1c_missing(tmp_path):
    source = pydicom_test_file("reportsi.dcm")
    original = pydicom.dcmread(source)
    number = next(n for n, item in enumerate(original.ContentSequence, start=1) if item.ValueType == "TEXT")
    assert not _problems(explain(source, anatomy=False), "type1c-missing", "ConceptNameCodeSequence")

    def drop_name(ds):
        del ds.ContentSequence[number - 1].ConceptNameCodeSequence

    problems = _problems(explain(_edited_copy(source, tmp_path, drop_name), anatomy=False), "type1c-missing",
                         "ConceptNameCodeSequence")
    assert [p.message for p in problems if f"ContentSequence[{number}] > ConceptNameCodeSequence" in p.message]


# -- Code Sequence items (the code macro) ---------------------------------------------------------------------


def _title_code_problems(tmp_path: Path, edit) -> dict[str, list[str]]:
    """type1c-missing problems inside the document title's code item, by keyword, after ``edit`` of it."""
    source = pydicom_test_file("reportsi.dcm")
    explanation = explain(_edited_copy(source, tmp_path, lambda ds: edit(ds.ConceptNameCodeSequence[0])),
                          anatomy=False)
    found: dict[str, list[str]] = {}
    for problem in explanation.problems:
        if problem.code == "type1c-missing" and "ConceptNameCodeSequence[1] > " in problem.message \
                and "ContentSequence" not in problem.message:
            found.setdefault(problem.keyword, []).append(problem.message)
    return found


def test_unedited_code_item_needs_nothing_more(tmp_path):
    assert _title_code_problems(tmp_path, lambda item: None) == {}


def test_code_item_without_any_code_value_misses_each_form_of_the_code(tmp_path):
    # PS3.3 Table 8.8-1: exactly one of Code Value, Long Code Value and URN Code Value carries the code; with
    # none of them, each one's condition ("the other two are absent") holds, as dciodvfy's tables say.
    def drop(item):
        del item.CodeValue

    assert set(_title_code_problems(tmp_path, drop)) == {"CodeValue", "LongCodeValue", "URNCodeValue"}


def test_code_item_with_a_long_code_value_needs_no_code_value(tmp_path):
    def long_code(item):
        item.LongCodeValue = str(item.CodeValue)
        del item.CodeValue

    assert _title_code_problems(tmp_path, long_code) == {}


def test_code_item_with_a_code_value_needs_its_coding_scheme(tmp_path):
    def drop(item):
        del item.CodingSchemeDesignator

    assert set(_title_code_problems(tmp_path, drop)) == {"CodingSchemeDesignator"}


def test_code_item_with_a_context_identifier_needs_mapping_resource_and_version(tmp_path):
    def context(item):
        item.ContextIdentifier = "7000"

    assert set(_title_code_problems(tmp_path, context)) == {"MappingResource", "ContextGroupVersion"}


def test_code_item_of_an_extended_context_group_needs_local_version_and_creator(tmp_path):
    def extended(item):
        item.ContextGroupExtensionFlag = "Y"

    assert set(_title_code_problems(tmp_path, extended)) == {"ContextGroupLocalVersion",
                                                             "ContextGroupExtensionCreatorUID"}


# -- the reference validator sees the same missing 1C attributes ---------------------------------------------


def _drop(keyword: str, where):
    def edit(ds):
        delattr(where(ds), keyword)

    return edit


_REPORT_EDITS = {
    "title code without scheme": _drop("CodingSchemeDesignator", lambda ds: ds.ConceptNameCodeSequence[0]),
    "title code without value": _drop("CodeValue", lambda ds: ds.ConceptNameCodeSequence[0]),
    "title code with context": lambda ds: setattr(ds.ConceptNameCodeSequence[0], "ContextIdentifier", "7000"),
    "text item without text": _drop("TextValue", lambda ds: next(
        item for item in ds.ContentSequence if item.ValueType == "TEXT")),
    "text item without name": _drop("ConceptNameCodeSequence", lambda ds: next(
        item for item in ds.ContentSequence if item.ValueType == "TEXT")),
}


@pytest.mark.parametrize("edit", list(_REPORT_EDITS), ids=list(_REPORT_EDITS))
def test_dciodvfy_reports_every_missing_1c_we_find_in_an_edited_report(tmp_path, edit):
    source = pydicom_test_file("reportsi.dcm")
    edited = _edited_copy(source, tmp_path, _REPORT_EDITS[edit])

    def ours(path: Path) -> set[str]:
        return {p.keyword for p in explain(path, anatomy=False).problems if p.code == "type1c-missing"}

    def theirs(path: Path) -> set[str]:
        return {e.keyword for e in run_dciodvfy(path).errors if e.kind == "missing" and e.type == "1C"}

    new_ours = ours(edited) - ours(source)
    new_theirs = theirs(edited) - theirs(source)
    assert new_ours, "the edit makes a 1C condition hold: we must report it"
    assert new_ours <= new_theirs


# -- conditions worded per IOD: functional groups and the whole instance --------------------------------------


def test_segmentation_without_derivation_needs_frame_of_reference_and_not_instance_references(shared_data,
                                                                                            tmp_path):
    source = shared_data / "small-seg-24x38x3" / "label.seg"
    original = explain(source, anatomy=False)
    assert _module(original, "frame-of-reference").condition_result is False
    assert _module(original, "common-instance-reference").condition_result is True

    def underived(ds):
        for item in [*ds.get("SharedFunctionalGroupsSequence", []), *ds.PerFrameFunctionalGroupsSequence]:
            if "DerivationImageSequence" in item:
                del item.DerivationImageSequence
        del ds.FrameOfReferenceUID

    edited = explain(_edited_copy(source, tmp_path, underived), anatomy=False)
    assert _module(edited, "frame-of-reference").condition_result is True
    assert _module(edited, "common-instance-reference").condition_result is False
    assert [p for p in edited.problems if p.code == "type1-missing" and p.keyword == "FrameOfReferenceUID"]
    assert not [p for p in original.problems if p.keyword == "FrameOfReferenceUID"]


def test_sparse_tiled_slide_needs_optical_path_identification(shared_data, tmp_path):
    source = shared_data / "highdicom-test-files" / "sm_image.dcm"
    assert pydicom.dcmread(source, stop_before_pixels=True).DimensionOrganizationType == "TILED_FULL"
    assert _module(explain(source, anatomy=False), "optical-path-identification").condition_result is False

    def sparse(ds):
        ds.DimensionOrganizationType = "TILED_SPARSE"

    edited = explain(_edited_copy(source, tmp_path, sparse), anatomy=False)
    assert _module(edited, "optical-path-identification").condition_result is True


def test_a_rule_applies_only_to_the_iod_condition_it_encodes(shared_data):
    from DICOMTeachLib.explain.conditions import module_condition

    dx = pydicom.dcmread(shared_data / "highdicom-test-files" / "dx_image.dcm", stop_before_pixels=True)
    wording = "Required if Presentation Intent Type (0008,0068) is FOR PRESENTATION. Shall not be present otherwise."
    assert module_condition("voi-lut", dx, wording) is True
    assert module_condition("voi-lut", dx, "Required if the VOI LUT stage is not an identity transformation") is None


def test_enhanced_ct_supplemental_palette_follows_pixel_presentation(tmp_path):
    source = pydicom_test_file("eCT_Supplemental.dcm")
    module_id = "supplemental-palette-color-lookup-table"
    assert pydicom.dcmread(source, stop_before_pixels=True).PixelPresentation in ("COLOR", "MIXED")
    assert _module(explain(source, anatomy=False), module_id).condition_result is True

    def monochrome(ds):
        ds.PixelPresentation = "MONOCHROME"

    assert _module(explain(_edited_copy(source, tmp_path, monochrome), anatomy=False),
                   module_id).condition_result is False


# IODs with no file in the corpus: the rule is asked directly, with that IOD's wording, about a real data set.

_PLANE_MACROS = ("PixelMeasuresSequence", "PlanePositionSequence", "PlaneOrientationSequence")


@pytest.mark.parametrize(("module_id", "wording"), [
    ("frame-of-reference", "Required if Pixel Measures or Plane Position (Patient) or Plane Orientation (Patient) "
                           "Functional Group Macros are present"),
])
def test_multi_frame_secondary_capture_geometry_follows_its_plane_macros(shared_data, tmp_path, module_id,
                                                                          wording):
    from DICOMTeachLib.explain.conditions import module_condition

    source = shared_data / "small-seg-24x38x3" / "label.seg"
    assert module_condition(module_id, pydicom.dcmread(source), wording) is True

    def flat(ds):
        for item in [*ds.SharedFunctionalGroupsSequence, *ds.PerFrameFunctionalGroupsSequence]:
            for keyword in _PLANE_MACROS:
                if keyword in item:
                    delattr(item, keyword)

    assert module_condition(module_id, pydicom.dcmread(_edited_copy(source, tmp_path, flat)), wording) is False


def test_multi_frame_secondary_capture_plane_orientation_follows_the_facts(shared_data, tmp_path):
    # Plane Orientation (Patient) in a Multi-frame Grayscale Byte SC image: required (shared or per frame) when
    # Pixel Measures or Plane Position are there; the generated facts say where and when.
    from DICOMTeachLib.standard.conditions import condition_facts

    facts = condition_facts()
    places = facts.group_places("1.2.840.10008.5.1.4.1.1.7.2", 0x00209116)
    assert places is not None and all(places)
    source = shared_data / "small-seg-24x38x3" / "label.seg"

    def required(ds) -> bool:
        return any(facts.decide(name, ds, ds).required for name in places)

    assert required(pydicom.dcmread(source)) is True

    def flat(ds):
        for item in [*ds.SharedFunctionalGroupsSequence, *ds.PerFrameFunctionalGroupsSequence]:
            for keyword in _PLANE_MACROS:
                if keyword in item:
                    delattr(item, keyword)

    assert required(pydicom.dcmread(_edited_copy(source, tmp_path, flat))) is False


def test_enhanced_xa_frame_of_reference_follows_the_tabletop_relationship(shared_data, tmp_path):
    from DICOMTeachLib.explain.conditions import module_condition

    source = shared_data / "highdicom-test-files" / "dx_image.dcm"
    wording = "Required if C-arm Positioner Tabletop Relationship (0018,9474) equals YES. May be present otherwise."
    assert module_condition("frame-of-reference", pydicom.dcmread(source), wording) is None  # not in the file

    for value, expected in (("YES", True), ("NO", False)):
        edited = _edited_copy(source, tmp_path, lambda ds, v=value: setattr(ds, "CArmPositionerTabletopRelationship", v))
        assert module_condition("frame-of-reference", pydicom.dcmread(edited), wording) is expected


def test_a_hand_written_rule_names_itself_once_in_the_problem():
    """emri_small.dcm (an Enhanced MR) has no Per-Frame Functional Groups Sequence, type 1C since 2025 and decided
    by a hand-written rule: the problem said 'decided by a hand-written rule (hand-written rule, ...)'."""
    ds = pydicom.dcmread(pydicom_test_file("emri_small.dcm"), stop_before_pixels=True)
    assert "PerFrameFunctionalGroupsSequence" not in ds and "DimensionOrganizationType" not in ds
    problem = _problems(explain(pydicom_test_file("emri_small.dcm")), "type1c-missing",
                        "PerFrameFunctionalGroupsSequence")[0]
    assert problem.message.endswith("is missing and its condition holds "
                                    "(a hand-written rule says so, in explain/conditions.py)")
    assert problem.message.count("hand-written") == 1


def test_an_attribute_two_modules_require_differently_is_one_problem_the_stricter():
    """emri_small.dcm has no Manufacturer: General Equipment makes it type 2, Enhanced General Equipment type 1.
    Two lines ('must be present, even if empty' and 'needs a value') read as a contradiction."""
    assert "Manufacturer" not in pydicom.dcmread(pydicom_test_file("emri_small.dcm"), stop_before_pixels=True)
    explanation = explain(pydicom_test_file("emri_small.dcm"))
    about = [problem for problem in explanation.problems if problem.keyword == "Manufacturer"]
    assert [problem.code for problem in about] == ["type1-missing"]
    types = {module.id: attribute.type for module in explanation.modules for attribute in module.attributes
             if attribute.keyword == "Manufacturer"}
    assert types == {"general-equipment": "2", "enhanced-general-equipment": "1"}
