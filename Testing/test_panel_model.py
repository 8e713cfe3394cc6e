"""The panel's Qt-free view models: tree rows, filter and search, problem -> row, bytes, follow, cache."""

from __future__ import annotations

import dataclasses

import pydicom
import pytest

from DICOMTeachLib.explain import explain
from DICOMTeachLib.panel.element_bytes import read_element_bytes
from DICOMTeachLib.panel.model import TeachingPanelModel
from DICOMTeachLib.panel.tree import build_tree, visible_keys
from DICOMTeachLib.testdata import pydicom_test_file


@pytest.fixture(scope="module")
def ct_small():
    return str(pydicom_test_file("CT_small.dcm"))


def test_the_tree_is_entity_module_attribute_with_sequence_items(ct_small):
    explanation = explain(ct_small)
    tree = build_tree(explanation)
    assert [root.columns[0] for root in tree.roots if root.kind == "entity"] == \
        [f"{ie} IE" for ie in explanation.information_entities]
    ds = pydicom.dcmread(ct_small, stop_before_pixels=True)
    sequences = [row for row in tree.rows() if row.kind == "attribute" and row.vr == "SQ" and row.children]
    for row in sequences:
        keyword = row.columns[0]
        assert len(row.children) == len(ds[keyword].value)  # one child per item in the file
    offsets = {row.columns[0]: row.offset for row in tree.rows() if row.kind == "attribute" and row.offset}
    raw = open(ct_small, "rb").read()
    assert raw[offsets["Rows"]:offsets["Rows"] + 4] == b"\x28\x00\x10\x00"


def test_problems_only_and_search_keep_matching_rows_and_their_ancestors(shared_data):
    path = sorted((shared_data / "lidc-idri-0001-ct-seg" / "ct").glob("*.dcm"))[0]
    tree = build_tree(explain(path))
    problems = visible_keys(tree, problems_only=True)
    assert "module:ct-image/(0020,0012)" in problems and "module:ct-image" in problems and "ie:Image" in problems
    assert "module:image-pixel/(0028,0010)" not in problems
    for query in ("0028,0010", "(0028,0010)", "00280010", "Rows"):
        found = {key for key in visible_keys(tree, query=query) if key.count("/") == 1}
        assert "module:image-pixel/(0028,0010)" in found, query
    assert {k for k in visible_keys(tree, query="0028,0010") if "/" in k} == {"module:image-pixel/(0028,0010)"}


def test_a_problem_with_a_sequence_path_points_at_the_item_row():
    path = str(pydicom_test_file("CT_small.dcm"))
    explanation = explain(path)
    tree = build_tree(explanation)
    nested = next(row for row in tree.rows() if row.kind == "attribute" and row.key.count("/item") == 1)
    sequence_tag, item, tag = nested.key.split("/")[1:4]
    module = nested.key.split("/")[0].removeprefix("module:")

    @dataclasses.dataclass
    class PathProblem:  # what issue 8 adds to Problem: the sequence path
        severity: str
        code: str
        tag: str
        keyword: str
        module: str
        message: str
        path: str

    from pydicom.datadict import keyword_for_tag

    number = int(item.removeprefix("item"))
    sequence_keyword = keyword_for_tag(int(sequence_tag.strip("()").replace(",", ""), 16))
    spellings = [f"{sequence_tag} > item {number} > {tag}",  # tags and 1-based items
                 f"{sequence_keyword}[{number - 1}]",  # pydicom's spelling: keywords, 0-based index
                 [sequence_tag, f"item {number}"]]
    for spelling in spellings:
        problem = PathProblem("error", "type1-missing", tag, "", module, "nested", spelling)
        explanation.problems.append(problem)
        keys = {id(p): k for p, k in build_tree(explanation).problem_keys}
        assert keys[id(problem)] == nested.key, spelling
        explanation.problems.remove(problem)


def test_attribute_verdicts_read_the_required_field_when_the_model_has_it(ct_small):
    explanation = explain(ct_small)
    conditional, module = next((a, m) for m in explanation.modules for a in m.attributes
                               if a.type == "1C" and a.status == "missing")
    key = f"module:{module.id}/{conditional.tag}"
    for required, word in ((True, "missing, required"), (None, "missing, cannot tell")):
        object.__setattr__(conditional, "required", required)
        assert build_tree(explanation).row(key).columns[3] == word
    object.__setattr__(conditional, "required", False)
    tree = build_tree(explanation)
    assert tree.row(key) is None  # absent and not required: counted in the module row, not listed
    assert tree.row(f"module:{module.id}").hidden_missing > 0


def test_element_bytes_of_an_implicit_vr_file_have_a_four_byte_length(shared_data):
    path = sorted((shared_data / "liver-ct-seg-sr" / "ct").glob("*.dcm"))[0]
    model = TeachingPanelModel()
    model.content(str(path))
    element = model.element_bytes(str(path), "module:image-pixel/(0028,0010)")
    assert [part.label for part in element.parts] == ["tag", "length", "value"]
    rows = pydicom.dcmread(path, stop_before_pixels=True).Rows
    assert int.from_bytes(element.parts[-1].data, "little") == rows


def test_masked_value_bytes_are_dots_in_hex_and_text(ct_small):
    model = TeachingPanelModel()
    model.content(ct_small)
    element = model.element_bytes(ct_small, "module:patient/(0010,0010)")
    assert element.parts[-1].masked and set(element.parts[-1].hex.split()) == {"••"}
    assert "Compressed" not in "\n".join(element.dump_lines())
    unmasked = read_element_bytes(ct_small, element.offset, "PN", True, True)
    assert b"CompressedSamples" in unmasked.parts[-1].data


def test_explanations_are_cached_per_file_and_mask(ct_small):
    model = TeachingPanelModel()
    for _ in range(3):
        model.content(ct_small)
    assert model.explain_count == 1
    model.mask_phi = False
    for _ in range(2):
        model.content(ct_small)
    model.mask_phi = True
    model.content(ct_small)
    assert model.explain_count == 2  # the unmasked copy is kept only once it was shown


def test_the_cache_is_bounded(ct_small, monkeypatch):
    from DICOMTeachLib.panel import model as panel_model

    monkeypatch.setattr(panel_model, "CACHE_SIZE", 2)
    model = TeachingPanelModel()
    files = [str(pydicom_test_file(name)) for name in ("CT_small.dcm", "MR_small.dcm", "rtplan.dcm")]
    for path in files:
        model.content(path)
    assert [key[0] for key in model._explained] == files[1:] and len(model._trees) == 2
    model.content(files[0])
    assert model.explain_count == 4


def test_a_file_that_is_not_dicom_gives_a_message(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not DICOM at all")
    content = TeachingPanelModel().content(str(path))
    assert not content.ok and "notes.txt" in content.message


@pytest.mark.slow
def test_the_panel_and_the_page_never_raise_on_pydicoms_test_files():
    """Every file pydicom ships (damaged ones included): content or a message, the page, element bytes."""
    from DICOMTeachLib.explain.html import render_html
    from DICOMTeachLib.testdata import pydicom_test_directory

    files = sorted(p for p in pydicom_test_directory().rglob("*") if p.is_file())
    model = TeachingPanelModel()
    explained = messages = 0
    for path in files:
        content = model.content(str(path))
        if not content.ok:
            assert content.message, path
            messages += 1
            continue
        explained += 1
        assert render_html([content.explanation]).rstrip().endswith("</html>")
        rows = [row for row in content.tree.rows() if row.kind == "attribute" and row.offset is not None]
        for row in rows[:: max(1, len(rows) // 15)]:
            model.element_bytes(str(path), row.key)
    print(f"{len(files)} files: {explained} explained, {messages} with a message instead")
    assert explained > 100 and explained + messages == len(files)


def test_attributes_of_an_absent_user_option_module_are_not_called_required():
    """The tree (and the HTML page built from it) said 'missing, required' for Clinical Trial Sponsor Name in the
    absent Clinical Trial Subject module of every file that has no clinical trial."""
    ds = pydicom.dcmread(pydicom_test_file("CT_small.dcm"), stop_before_pixels=True)
    assert "ClinicalTrialSponsorName" not in ds
    explanation = explain(pydicom_test_file("CT_small.dcm"))
    trial = next(module for module in explanation.modules if module.id == "clinical-trial-subject")
    assert (trial.usage, trial.status) == ("U", "absent")
    tree = build_tree(explanation)
    sponsor = tree.row("module:clinical-trial-subject/(0012,0010)")
    assert sponsor.columns[2] == "1" and sponsor.columns[3] == "missing, not required (module absent)"
    assert tree.row("module:patient/(0010,0010)").columns[3] == "present, required"
