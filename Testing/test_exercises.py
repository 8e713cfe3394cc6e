"""The course's exercises: mandatory attributes of an IOD and the IOD diagram."""

from __future__ import annotations

import json
import struct
import xml.etree.ElementTree as ET

import pytest

from DICOMTeachLib.cli import main
from DICOMTeachLib.errors import DICOMTeachError, UnknownIODError
from DICOMTeachLib.exercises.diagram import TYPE_COLORS, iod_diagram, write_diagram
from DICOMTeachLib.exercises.mandatory import mandatory_attributes
from DICOMTeachLib.standard import standard

MR_IMAGE_KEYS = ["MR Image", "mr-image", "1.2.840.10008.5.1.4.1.1.4"]
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def mr_answer():
    return mandatory_attributes("MR Image")


def _where_highdicom_puts(highdicom_maps, iod_id: str, keyword: str) -> set[tuple[str, str, str]]:
    """(IE, module id, type) of every top-level occurrence of a keyword in the IOD's M modules."""
    _, iod_modules, module_rows = highdicom_maps
    return {(module["ie"], module["key"], row["type"])
            for module in iod_modules[iod_id] if module["usage"] == "M"
            for row in module_rows[module["key"]] if row["keyword"] == keyword and not row["path"]}


@pytest.mark.parametrize("keyword", ["PatientName", "StudyInstanceUID", "SOPClassUID", "ImageType",
                                     "RepetitionTime", "Modality", "Rows"])
def test_mr_image_attribute_is_listed_with_its_type_under_its_ie_and_module(mr_answer, highdicom_maps, keyword):
    expected = {(ie, module, type_) for ie, module, type_ in _where_highdicom_puts(highdicom_maps, "mr-image", keyword)
                if type_ in ("1", "2")}
    found = {(entity.name, module.module_id, attribute.type)
             for entity, module, depth, attribute in mr_answer.attributes()
             if depth == 0 and attribute.keyword == keyword}
    assert found == expected


def test_mr_image_known_answers(mr_answer):
    entity, module, attribute = mr_answer.find("PatientName")
    assert (entity.name, module.name, attribute.type) == ("Patient", "Patient", "2")
    entity, module, attribute = mr_answer.find("StudyInstanceUID")
    assert (entity.name, module.name, attribute.type) == ("Study", "General Study", "1")
    entity, module, attribute = mr_answer.find("SOPClassUID")
    assert (entity.name, module.name, attribute.type) == ("Image", "SOP Common", "1")
    entity, module, attribute = mr_answer.find("ImageType")
    assert (entity.name, module.name, attribute.type) == ("Image", "MR Image", "1")
    repetition_time = standard().module("mr-image").find("RepetitionTime")
    listed = mr_answer.find("RepetitionTime")
    if repetition_time.type in ("1", "2"):
        assert listed[2].type == repetition_time.type
    else:  # 2C in current editions: conditional, so not in the unconditional list
        assert listed is None


def test_top_level_list_equals_type_1_and_2_of_mandatory_modules(mr_answer, highdicom_maps):
    _, iod_modules, module_rows = highdicom_maps
    expected = [(module["key"], row["keyword"], row["type"])
                for module in iod_modules["mr-image"] if module["usage"] == "M"
                for row in module_rows[module["key"]] if not row["path"] and row["type"] in ("1", "2")]
    found = [(module.module_id, attribute.keyword, attribute.type)
             for _, module, depth, attribute in mr_answer.attributes() if depth == 0]
    assert found == expected


def test_nested_items_of_mandatory_sequences_are_listed():
    answer = mandatory_attributes("Segmentation")
    sequences = [attribute for _, _, depth, attribute in answer.attributes()
                 if depth == 0 and attribute.vr == "SQ" and attribute.items]
    assert sequences, "a segmentation has mandatory sequences with mandatory item attributes"
    segment = next(attribute for attribute in sequences if attribute.keyword == "SegmentSequence")
    assert {"SegmentNumber", "SegmentLabel"} <= {item.keyword for item in segment.items}
    assert all(item.type in ("1", "2") for _, _, _, item in answer.attributes())


def test_the_three_kinds_of_key_give_the_same_answer():
    answers = [mandatory_attributes(key).to_dict() for key in MR_IMAGE_KEYS]
    assert answers[0] == answers[1] == answers[2]


def test_conditional_modules_are_listed_with_condition_and_counts(mr_answer, highdicom_maps):
    _, iod_modules, module_rows = highdicom_maps
    conditional_ids = [module["key"] for module in iod_modules["mr-image"] if module["usage"] == "C"]
    assert [module.module_id for module in mr_answer.conditional_modules] == conditional_ids
    contrast = next(module for module in mr_answer.conditional_modules if module.module_id == "contrast-bolus")
    assert "contrast" in contrast.condition.lower()
    rows = [row for row in module_rows["contrast-bolus"] if not row["path"]]
    assert contrast.type2_count == sum(1 for row in rows if row["type"] == "2")
    assert "Contrast/Bolus" in mr_answer.render_text()


def test_enhanced_mr_keeps_only_mandatory_functional_group_macros():
    answer = mandatory_attributes("Enhanced MR Image")
    shared = next(attribute for _, _, _, attribute in answer.attributes()
                  if attribute.keyword == "SharedFunctionalGroupsSequence")
    inside = {item.keyword for item in shared.items}
    assert {"PixelMeasuresSequence", "PlanePositionSequence", "MRImageFrameTypeSequence"} <= inside
    assert "MRDiffusionSequence" not in inside  # conditional macro
    macros = {module.name for module in answer.conditional_modules if module.functional_group}
    assert "MR Diffusion" in macros


def test_unknown_iod_raises_library_error():
    with pytest.raises(UnknownIODError, match="Not An IOD"):
        mandatory_attributes("Not An IOD")


def test_mandatory_cli_json(capsys):
    assert main(["mandatory", "mr-image", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["iod_name"] == "MR Image"
    assert data["counts"]["total"] == mandatory_attributes("MR Image").count()
    assert data["entities"][0]["name"] == "Patient"


def test_mandatory_cli_unknown_iod_exits_2(capsys):
    assert main(["mandatory", "Not An IOD"]) == 2
    assert "Not An IOD" in capsys.readouterr().err


def test_diagram_svg_has_one_mark_per_attribute_and_a_legend(tmp_path):
    types = ("1", "2")
    drawing = iod_diagram("CR Image", types=types)
    path = write_diagram(drawing, tmp_path / "cr.svg")
    root = ET.parse(path).getroot()
    marks = [rect for rect in root.iter(f"{SVG}rect") if rect.get("class") == "attribute-mark"]
    tables = standard()
    expected = sum(1 for module in tables.iod("CR Image").modules
                   for rule in tables.module(module.module_id).attributes if rule.type in types)
    assert len(marks) == drawing.attribute_count == expected
    for mark in marks:
        assert mark.get("fill") == TYPE_COLORS[mark.get("data-type")]
    legend = next(group for group in root.iter(f"{SVG}g") if group.get("id") == "legend")
    legend_types = {rect.get("data-type") for rect in legend.iter(f"{SVG}rect") if rect.get("data-type")}
    assert legend_types == set(TYPE_COLORS) - {""}
    modules = [rect for rect in root.iter(f"{SVG}rect") if rect.get("class") == "module"]
    assert len(modules) >= len(tables.iod("CR Image").modules)  # a module split across columns repeats


def test_diagram_draws_modules_with_their_usage(tmp_path):
    drawing = iod_diagram("CR Image", types=("1",), usages=("M",))
    root = ET.fromstring(drawing.to_svg())
    usages = {rect.get("data-usage") for rect in root.iter(f"{SVG}rect") if rect.get("class") == "module"}
    assert usages == {"M"}


def test_diagram_png_is_a_real_png(tmp_path):
    pytest.importorskip("matplotlib")
    drawing = iod_diagram("CR Image", types=("1", "2"))
    path = write_diagram(drawing, tmp_path / "cr.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (round(drawing.width * 2), round(drawing.height * 2))
    assert width > 800 and height > 400 and len(data) > 20_000


def test_diagram_cli_writes_svg_and_rejects_bad_types(tmp_path, capsys):
    out = tmp_path / "mr.svg"
    assert main(["diagram", "1.2.840.10008.5.1.4.1.1.4", "-o", str(out), "--types", "1,2"]) == 0
    assert ET.parse(out).getroot().tag == f"{SVG}svg"
    with pytest.raises(SystemExit):
        main(["diagram", "MR Image", "-o", str(out), "--types", "1,4"])
    with pytest.raises(DICOMTeachError):
        write_diagram(iod_diagram("MR Image"), tmp_path / "mr.pdf")


def test_tour_step_prints_the_mr_image_answer_in_short_form(capsys, mr_answer):
    from DICOMTeachLib.cli.tour import STEPS, step_mandatory_attributes

    assert step_mandatory_attributes in STEPS
    step_mandatory_attributes()
    out = capsys.readouterr().out
    assert f"{mr_answer.count()} type 1/2 attributes" in out
    assert "Patient's Name [PatientName] type 2" in out
    assert "Contrast/Bolus" in out
    assert len(out.splitlines()) < 30
