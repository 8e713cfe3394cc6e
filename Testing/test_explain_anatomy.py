"""The file's anatomy: preamble, "DICM", file meta, data set offsets and pixel data, checked on the raw bytes."""

from __future__ import annotations

import pydicom
import pytest
from pydicom.encaps import parse_basic_offsets, parse_fragments

from DICOMTeachLib.explain import explain
from DICOMTeachLib.explain.anatomy import transfer_syntax_info
from DICOMTeachLib.testdata import pydicom_test_file


def _tag_at(data: bytes, offset: int, little: bool = True) -> str:
    order = "little" if little else "big"
    group = int.from_bytes(data[offset:offset + 2], order)
    element = int.from_bytes(data[offset + 2:offset + 4], order)
    return f"({group:04X},{element:04X})"


@pytest.mark.parametrize("name, little", [
    ("CT_small.dcm", True), ("MR_small_implicit.dcm", True), ("MR_small_bigendian.dcm", False),
    ("JPEG2000.dcm", True), ("rtplan.dcm", True), ("ExplVR_LitEndNoMeta.dcm", True),
])
def test_every_offset_points_at_its_tag_in_the_raw_bytes(name, little):
    path = pydicom_test_file(name)
    data = path.read_bytes()
    anatomy = explain(path).anatomy
    for element in anatomy.meta_elements:  # the meta group is always little endian
        assert _tag_at(data, element.offset) == element.tag
    located = [e for e in anatomy.elements if e.offset is not None]
    assert len(located) == len(anatomy.elements) > 5
    for element in located:
        assert _tag_at(data, element.offset, little) == element.tag, element.keyword
    ds = pydicom.dcmread(path, force=True)
    assert [e.tag for e in anatomy.elements] == [f"({t >> 16:04X},{t & 0xFFFF:04X})" for t in ds.keys()]


def test_lengths_are_the_value_lengths_written_in_the_file():
    path = pydicom_test_file("CT_small.dcm")
    data = path.read_bytes()
    anatomy = explain(path).anatomy
    for element in anatomy.meta_elements + anatomy.elements:
        size = 4 if element.header_length == 12 else 2  # explicit VR little endian
        field = data[element.offset + element.header_length - size:element.offset + element.header_length]
        written = int.from_bytes(field, "little")
        assert element.length == (None if written == 0xFFFFFFFF else written), element.keyword


def test_preamble_and_dicm_prefix():
    ct = explain(pydicom_test_file("CT_small.dcm")).anatomy
    assert ct.has_preamble and ct.dicm_offset == 128
    assert ct.preamble_all_zero is False  # CT_small carries a TIFF header in its preamble
    assert any("preamble is not all zero" in note for note in ct.notes)
    mr = explain(pydicom_test_file("rtplan.dcm")).anatomy
    data = pydicom_test_file("rtplan.dcm").read_bytes()
    assert mr.preamble_all_zero is (not any(data[:128]))


def test_file_meta_elements_are_explained_and_the_data_set_starts_after_them():
    path = pydicom_test_file("CT_small.dcm")
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    anatomy = explain(path).anatomy
    assert [e.keyword for e in anatomy.meta_elements] == [e.keyword for e in ds.file_meta]
    assert all(e.meaning for e in anatomy.meta_elements)
    assert anatomy.meta_group_length == ds.file_meta.FileMetaInformationGroupLength
    assert anatomy.dataset_offset == 132 + 12 + anatomy.meta_group_length
    assert anatomy.dataset_offset == anatomy.elements[0].offset


@pytest.mark.parametrize("uid, explicit, little, encapsulated, deflated", [
    ("1.2.840.10008.1.2", False, True, False, False),
    ("1.2.840.10008.1.2.1", True, True, False, False),
    ("1.2.840.10008.1.2.2", True, False, False, False),
    ("1.2.840.10008.1.2.1.99", True, True, False, True),
    ("1.2.840.10008.1.2.4.50", True, True, True, False),
    ("1.2.840.10008.1.2.4.90", True, True, True, False),
    ("1.2.840.10008.1.2.5", True, True, True, False),
])
def test_transfer_syntax_is_named_and_explained(uid, explicit, little, encapsulated, deflated):
    info = transfer_syntax_info(uid)
    assert info.name == pydicom.uid.UID(uid).name
    assert (info.explicit_vr, info.little_endian, info.encapsulated, info.deflated) == \
        (explicit, little, encapsulated, deflated)
    text = " ".join(info.explanation)
    assert ("Explicit VR" if explicit else "Implicit VR") in text
    assert ("Encapsulated" in text) == encapsulated and ("Deflated" in text) == deflated


def test_native_pixel_data_summary_matches_the_header():
    path = pydicom_test_file("CT_small.dcm")
    ds = pydicom.dcmread(path)
    pixel = explain(path).anatomy.pixel
    assert (pixel.rows, pixel.columns, pixel.frames, pixel.bits_allocated, pixel.bits_stored) == \
        (ds.Rows, ds.Columns, 1, ds.BitsAllocated, ds.BitsStored)
    assert pixel.samples_per_pixel == ds.SamplesPerPixel and pixel.photometric == ds.PhotometricInterpretation
    assert not pixel.encapsulated and pixel.length == len(ds.PixelData) == pixel.native_bytes
    assert _tag_at(path.read_bytes(), pixel.offset) == "(7FE0,0010)"


@pytest.mark.parametrize("name", ["JPEG2000.dcm", "SC_rgb_rle_2frame.dcm", "MR_small_RLE.dcm"])
def test_encapsulated_pixel_data_fragments_and_offset_table(name):
    path = pydicom_test_file(name)
    ds = pydicom.dcmread(path)
    buffer = ds.PixelData
    table_length = int.from_bytes(buffer[4:8], "little")
    fragments, _ = parse_fragments(buffer[8 + table_length:])
    pixel = explain(path).anatomy.pixel
    assert pixel.encapsulated and pixel.length is None
    assert pixel.fragments == fragments
    assert pixel.offset_table_entries == len(parse_basic_offsets(buffer)) if table_length else \
        pixel.offset_table_entries == 0
    assert pixel.frames == int(ds.get("NumberOfFrames", 1))


def test_deflated_data_set_is_explained_without_file_positions():
    path = pydicom_test_file("image_dfl.dcm")
    ds = pydicom.dcmread(path)
    explanation = explain(path)
    assert explanation.transfer_syntax[0] == "1.2.840.10008.1.2.1.99"
    anatomy = explanation.anatomy
    assert anatomy.transfer_syntax.deflated
    assert all(e.offset is None for e in anatomy.elements)
    assert all(e.offset is not None for e in anatomy.meta_elements)  # the meta group is not deflated
    assert any("deflated" in note for note in anatomy.notes)
    rows = next(a for m in explanation.modules for a in m.attributes if a.keyword == "Rows")
    assert rows.value == str(ds.Rows) and rows.offset is None


def test_file_without_meta_is_read_as_a_bare_data_set():
    explanation = explain(pydicom_test_file("ExplVR_LitEndNoMeta.dcm"))
    assert {"no-preamble", "no-file-meta"} <= explanation.problem_codes()
    assert "guessed" in explanation.transfer_syntax[1]
    assert not explanation.anatomy.has_preamble and explanation.anatomy.meta_elements == []


def _item_header(data: bytes, offset: int) -> tuple[str, int]:
    return _tag_at(data, offset), int.from_bytes(data[offset + 4:offset + 8], "little")


@pytest.mark.parametrize("name", [
    "JPEG2000.dcm", "MR_small_RLE.dcm", "SC_rgb_rle_2frame.dcm", "examples_jpeg2k.dcm",
    "emri_small_jpeg_2k_lossless.dcm", "color3d_jpeg_baseline.dcm", "SC_rgb_jpeg_dcmtk.dcm",
])
def test_encapsulated_items_offsets_lengths_and_frames_come_from_the_bytes(name):
    path = pydicom_test_file(name)
    data = path.read_bytes()
    ds = pydicom.dcmread(path)
    pixel = explain(path).anatomy.pixel
    # Every item sits where we say, with the length we say, read straight from the file.
    for item in pixel.items:
        tag, length = _item_header(data, item.offset)
        assert tag == ("(FFFE,E0DD)" if item.kind == "sequence delimiter" else "(FFFE,E000)")
        assert length == item.length
    kinds = [item.kind for item in pixel.items]
    assert kinds[0] == "offset table" and kinds[-1] == "sequence delimiter"
    assert set(kinds[1:-1]) == {"fragment"}
    assert pixel.items[0].offset == pixel.offset + 12  # right after the Pixel Data header (explicit VR, OB/OW)
    assert pixel.items[-1].offset + 8 == len(data) or _tag_at(data, pixel.items[-1].offset + 8) != "(FFFE,E000)"
    # The same fragments pydicom finds in the value, and the same offset table.
    fragments = [item for item in pixel.items if item.kind == "fragment"]
    assert [item.length for item in fragments] == [len(f) for f in pydicom.encaps.generate_fragments(
        ds.PixelData[8 + int.from_bytes(ds.PixelData[4:8], "little"):])]
    assert pixel.offset_table == list(parse_basic_offsets(ds.PixelData))
    # Fragments grouped into frames as pydicom's frame generator groups them.
    frames = int(ds.get("NumberOfFrames", 1))
    expected = [len(frame) for frame in pydicom.encaps.generate_fragmented_frames(ds.PixelData,
                                                                               number_of_frames=frames)]
    found = [sum(1 for item in fragments if item.frame == number) for number in range(1, frames + 1)]
    assert found == expected and pixel.frame_mapping
    assert not pixel.problems


def test_fragments_are_not_frames_one_frame_in_three_fragments():
    pixel = explain(pydicom_test_file("examples_jpeg2k.dcm")).anatomy.pixel
    assert (pixel.frames, pixel.fragments) == (1, 3)
    assert {item.frame for item in pixel.items if item.kind == "fragment"} == {1}
    assert "every fragment belongs to it" in pixel.frame_mapping


def test_offset_table_entry_pointing_between_items_is_a_problem(tmp_path):
    source = pydicom_test_file("SC_rgb_rle_2frame.dcm")
    data = bytearray(source.read_bytes())
    pixel = explain(source).anatomy.pixel
    table = pixel.items[0]
    second_entry = table.offset + 8 + 4
    assert int.from_bytes(data[second_entry:second_entry + 4], "little") == pixel.offset_table[1]
    data[second_entry:second_entry + 4] = (pixel.offset_table[1] + 2).to_bytes(4, "little")
    damaged = tmp_path / "bad_offset_table.dcm"
    damaged.write_bytes(bytes(data))
    explanation = explain(damaged)
    messages = [p.message for p in explanation.problems if p.code == "encapsulation"]
    assert any(f"entry {pixel.offset_table[1] + 2} does not point at a fragment" in m for m in messages)


def test_vm_is_the_number_of_values_in_the_file():
    path = pydicom_test_file("CT_small.dcm")
    ds = pydicom.dcmread(path)
    anatomy = explain(path).anatomy
    checked = 0
    for element in anatomy.elements:
        if element.vr == "SQ" or element.keyword == "PixelData" or element.vm is None:
            continue
        tag = int(element.tag[1:5], 16) << 16 | int(element.tag[6:10], 16)
        assert element.vm == ds[tag].VM, element.keyword
        checked += 1
    assert checked > 50
    by_keyword = {e.keyword: e for e in anatomy.elements}
    assert (by_keyword["ImagePositionPatient"].vm, by_keyword["PixelSpacing"].vm) == (3, 2)


def test_pixel_data_in_implicit_vr_is_ow():
    explanation = explain(pydicom_test_file("MR_small_implicit.dcm"))
    pixel_element = next(e for e in explanation.anatomy.elements if e.tag == "(7FE0,0010)")
    assert pixel_element.vr == "OW" and explanation.anatomy.pixel.vr == "OW"
    assert pixel_element.header_length == 8  # implicit VR: tag and a 4-byte length, no VR in the file


def test_odd_value_length_is_a_problem(tmp_path):
    """Shorten one even value by a byte in a copy (the data set after it just moves up a byte)."""
    source = pydicom_test_file("CT_small.dcm")
    data = bytearray(source.read_bytes())
    element = next(e for e in explain(source).anatomy.elements if e.keyword == "InstitutionName")
    assert element.length % 2 == 0 and element.header_length == 8
    length_field = element.offset + 6
    data[length_field:length_field + 2] = (element.length - 1).to_bytes(2, "little")
    del data[element.offset + 8 + element.length - 1]
    odd = tmp_path / "odd_length.dcm"
    odd.write_bytes(bytes(data))
    problems = [p for p in explain(odd).problems if p.code == "odd-length"]
    assert [(p.tag, p.keyword) for p in problems] == [("(0008,0080)", "InstitutionName")]
    assert f"({element.length - 1})" in problems[0].message
    assert not [p for p in explain(source).problems if p.code == "odd-length"]


def test_file_meta_uid_differing_from_the_data_set_is_a_problem(tmp_path):
    ds = pydicom.dcmread(pydicom_test_file("CT_small.dcm"))
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.4"
    copy = tmp_path / "meta_mismatch.dcm"
    ds.save_as(copy)
    problems = [p for p in explain(copy).problems if p.code == "meta-uid-mismatch"]
    assert [p.keyword for p in problems] == ["MediaStorageSOPClassUID"]
    assert "1.2.840.10008.5.1.4.1.1.2" in problems[0].message


def test_file_meta_uid_mismatch_agrees_with_dciodvfy():
    """rtplan.dcm's file meta names another instance: dciodvfy says so too."""
    from oracles.dciodvfy import run_dciodvfy

    path = pydicom_test_file("rtplan.dcm")
    ours = [p.keyword for p in explain(path).problems if p.code == "meta-uid-mismatch"]
    theirs = [line for line in run_dciodvfy(path).other_errors if "MediaStorage" in line]
    assert ours == ["MediaStorageSOPInstanceUID"]
    assert theirs == ["Error - MediaStorageSOPInstanceUID different from SOPInstanceUID"]


def _reports_at_any_depth(explanation):
    stack = [a for m in explanation.modules for a in m.attributes] + list(explanation.other_elements)
    while stack:
        report = stack.pop()
        if report.status != "missing" and report.offset is not None:
            yield report
        for item in report.items:
            stack.extend(item)


@pytest.mark.parametrize("name", [
    "test-SR.dcm", "rtplan.dcm", "rtstruct.dcm", "eCT_Supplemental.dcm",
    "highdicom-test-files/seg_image_ct_binary.dcm", "highdicom-test-files/sm_image.dcm",
    "liver-ct-seg-sr/seg/liver.dcm", "small-seg-24x38x3/label.seg",
])
def test_elements_inside_sequence_items_are_located_at_their_tags(name, request):
    """Nested items too, also in sequences a condition read before the module that lists them."""
    if "/" in name:
        found = list(request.getfixturevalue("shared_data").rglob(name.split("/")[-1]))
        if not found:
            pytest.skip(f"{name} is not in ../shared/data")
        path = found[0]
    else:
        path = pydicom_test_file(name)
    data = path.read_bytes()
    explanation = explain(path)
    nested = 0
    for report in _reports_at_any_depth(explanation):
        assert _tag_at(data, report.offset) == report.tag, (report.keyword, report.offset)
        nested += report.offset not in {e.offset for e in explanation.anatomy.elements}
    assert nested > 10


def test_odd_pixel_data_length_agrees_with_dciodvfy(shared_data):
    """highdicom's dx_image.dcm stores 35659 bytes of OB pixel data: dciodvfy and we both say it is odd."""
    from oracles.dciodvfy import run_dciodvfy

    found = list(shared_data.rglob("dx_image.dcm"))
    if not found:
        pytest.skip("dx_image.dcm is not in ../shared/data")
    path = found[0]
    ours = [p for p in explain(path).problems if p.code == "odd-length"]
    theirs = [line for line in run_dciodvfy(path).output.splitlines() if "not a multiple of 2" in line]
    assert [(p.tag, p.keyword) for p in ours] == [("(7FE0,0010)", "PixelData")] and "(35659)" in ours[0].message
    assert len(theirs) == 1 and "(0x7fe0,0x0010)" in theirs[0] and "0x8b4b" in theirs[0]  # 0x8b4b == 35659


def test_damaged_encapsulated_pixel_data_is_explained_with_problems(tmp_path):
    """Cut short or with bytes flipped among the items: explained (the text too), the damage named."""
    import random

    from DICOMTeachLib.errors import DICOMTeachError
    from DICOMTeachLib.explain import render_text

    source = pydicom_test_file("SC_rgb_rle_2frame.dcm")
    data = source.read_bytes()
    start = explain(source).anatomy.pixel.offset
    rng = random.Random(6)
    seen = set()
    for number in range(60):
        damaged = bytearray(data)
        if number % 4 == 0:
            damaged = damaged[:rng.randrange(start, len(damaged))]
        else:
            for _ in range(rng.randrange(1, 4)):
                damaged[rng.randrange(start, start + 60)] = rng.randrange(256)
        path = tmp_path / "damaged.dcm"
        path.write_bytes(bytes(damaged))
        try:
            explanation = explain(path)
        except DICOMTeachError as error:
            assert error.path == str(path)
            continue
        render_text(explanation, full=True)
        seen |= explanation.problem_codes()
    assert {"encapsulation", "truncated"} <= seen


#: Files where dciodvfy finds an odd length or a file meta UID differing from the data set, and clean ones.
LAYOUT_AGREEMENT_FILES = (
    "pydicom/rtplan.dcm", "pydicom/rtplan_truncated.dcm", "pydicom/CT_small.dcm", "pydicom/MR_small.dcm",
    "pydicom/JPEG2000.dcm", "pydicom/SC_rgb_small_odd.dcm", "pydicom/test-SR.dcm", "pydicom/emri_small.dcm",
    "shared/dx_image.dcm", "shared/sm_image_numbers.dcm", "shared/sm_image_grayscale.dcm",
    "shared/sm_image_grayscale_reversed.dcm", "shared/sm_image_dots.dcm", "shared/seg_image_ct_binary.dcm",
    "shared/seg_image_sm_dots.dcm", "shared/liver.dcm", "shared/label.seg",
)


def test_odd_lengths_and_file_meta_uids_agree_with_dciodvfy_both_ways(shared_data):
    import re

    from oracles.dciodvfy import run_dciodvfy

    counts = {"odd-length": 0, "meta-uid-mismatch": 0}
    for name in LAYOUT_AGREEMENT_FILES:
        where, file_name = name.split("/")
        path = pydicom_test_file(file_name) if where == "pydicom" else next(shared_data.rglob(file_name))
        explanation = explain(path)
        result = run_dciodvfy(path)
        assert not result.crashed, name
        theirs_odd = {f"({m[1].upper()},{m[2].upper()})" for line in result.output.splitlines()
                      if "not a multiple of 2" in line
                      and (m := re.match(r"\(0x([0-9a-f]{4}),0x([0-9a-f]{4})\)", line.strip()))}
        ours_odd = {p.tag for p in explanation.problems if p.code == "odd-length"}
        theirs_meta = {f"MediaStorageSOP{kind}UID" for line in result.other_errors
                       for kind in ("Class", "Instance") if f"MediaStorageSOP{kind}UID different from" in line}
        ours_meta = {p.keyword for p in explanation.problems if p.code == "meta-uid-mismatch"}
        assert (ours_odd, ours_meta) == (theirs_odd, theirs_meta), name
        counts["odd-length"] += len(ours_odd)
        counts["meta-uid-mismatch"] += len(ours_meta)
    assert counts == {"odd-length": 1, "meta-uid-mismatch": 6}


def test_no_python_repr_in_the_preamble_note_or_an_undefined_length_value():
    """The note read "starts b'II*\\x00'" and JPEG-lossy.dcm's pixel data "<None bytes, not read>"."""
    from DICOMTeachLib.explain.text import render_text

    head = pydicom_test_file("CT_small.dcm").read_bytes()[:4]
    note = next(note for note in explain(pydicom_test_file("CT_small.dcm")).anatomy.notes if "preamble" in note)
    assert f"starts {head.hex(' ')} = 'II*.'" in note and "b'" not in note
    jpeg = explain(pydicom_test_file("JPEG-lossy.dcm"))
    pixel = next(a for module in jpeg.modules for a in module.attributes if a.keyword == "PixelData")
    ds = pydicom.dcmread(pydicom_test_file("JPEG-lossy.dcm"), stop_before_pixels=True)
    assert ds.file_meta.TransferSyntaxUID.is_compressed and pixel.length is None
    assert pixel.value == "<undefined length, not read>"
    assert "None" not in "\n".join(line for line in render_text(jpeg, full=True).splitlines() if "PixelData" in line)
