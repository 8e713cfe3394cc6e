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
