"""Exercise 3, counting with 10 fingers: ranges from the four attributes, one pixel decoded from the file's bytes.

The oracle for every decoded value is pydicom's own pixel array; the bytes are
compared with pydicom's Pixel Data value and with the file at the stated offset.
"""

from __future__ import annotations

import numpy as np
import pydicom
import pytest

from DICOMTeachLib.cli import main
from DICOMTeachLib.errors import DICOMTeachError
from DICOMTeachLib.exercises.bits import bits_exercise, value_range
from DICOMTeachLib.testdata import pydicom_test_file


def _pixel_bytes_match_the_file(result, ds) -> None:
    frame, row, column = result.pixel
    size = ds.BitsAllocated // 8
    index = (frame * ds.Rows + row) * ds.Columns + column
    assert result.pixel_bytes == ds.PixelData[index * size:(index + 1) * size]
    with open(result.path, "rb") as handle:
        handle.seek(result.pixel_offset)
        assert handle.read(size) == result.pixel_bytes


@pytest.mark.parametrize("name", ["CT_small.dcm", "MR_small_bigendian.dcm", "examples_overlay.dcm"])
def test_one_pixel_decoded_from_its_bytes_equals_pydicoms_pixel_array(name):
    path = pydicom_test_file(name)
    ds = pydicom.dcmread(path)
    result = bits_exercise(path)
    frame, row, column = result.pixel
    assert result.stored_value == int(ds.pixel_array[row, column])
    assert result.value_range == value_range(int(ds.BitsStored), int(ds.PixelRepresentation))
    _pixel_bytes_match_the_file(result, ds)
    assert "(the same)" in result.render_text()


def test_twelve_bits_stored_allow_0_to_4095_and_the_answer_names_them():
    path = pydicom_test_file("examples_overlay.dcm")
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    assert (ds.BitsAllocated, ds.BitsStored, ds.PixelRepresentation) == (16, 12, 0)
    result = bits_exercise(path)
    assert result.value_range == (0, 4095)
    assert "0 .. 4095" in result.render_text()


def test_a_negative_twelve_bit_value_is_sign_extended_like_pydicom(tmp_path):
    ds = pydicom.dcmread(pydicom_test_file("CT_small.dcm"))
    ds.BitsStored, ds.HighBit = 12, 11
    pixels = np.frombuffer(ds.PixelData, dtype="<u2").copy()
    pixels[5 * ds.Columns + 7] = 4096 - 1000  # -1000 in 12-bit two's complement, upper 4 bits left at 0
    ds.PixelData = pixels.tobytes()
    path = tmp_path / "signed12.dcm"
    ds.save_as(path)
    result = bits_exercise(path, (0, 5, 7))
    assert result.stored_value == -1000 == int(pydicom.dcmread(path).pixel_array[5, 7])
    assert result.value_range == (-2048, 2047)
    assert any(step.title == "Sign" and "negative" in step.text for step in result.steps)
    assert result.rescaled == -1000 * float(ds.RescaleSlope) + float(ds.RescaleIntercept)


def test_compressed_pixels_keep_the_ranges_and_say_why_no_bytes_are_decoded():
    result = bits_exercise(pydicom_test_file("JPEG2000.dcm"))
    assert result.value_range == (-32768, 32767) and not result.steps
    assert "compressed" in result.note


def test_a_file_without_pixels_is_a_clear_error():
    with pytest.raises(DICOMTeachError, match="BitsAllocated is missing"):
        bits_exercise(pydicom_test_file("reportsi.dcm"))


def test_the_command_prints_the_steps(capsys):
    assert main(["bits", str(pydicom_test_file("CT_small.dcm")), "--pixel", "1,10,20"]) == 0
    out = capsys.readouterr().out
    ds = pydicom.dcmread(pydicom_test_file("CT_small.dcm"))
    assert f"= {int(ds.pixel_array[10, 20])}" in out and "row 10, column 20" in out
    assert main(["bits", str(pydicom_test_file("CT_small.dcm")), "--pixel", "1,999,0"]) == 2


def test_a_file_that_is_not_dicom_is_named_so_without_pydicoms_advice(tmp_path, capsys):
    """pydicom's message ended 'Use force=True to force reading.', an option the command does not have."""
    note = tmp_path / "notes.txt"
    note.write_text("counting with ten fingers\n" * 4)
    assert main(["bits", str(note)]) == 2
    err = capsys.readouterr().err
    assert f"{note}: not a DICOM file" in err and "force" not in err
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(pydicom_test_file("CT_small.dcm").read_bytes()[:700])  # inside the header
    assert main(["bits", str(cut)]) == 2
    assert "the file ends early" in capsys.readouterr().err
