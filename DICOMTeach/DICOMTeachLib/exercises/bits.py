"""Exercise 3 of the course, "counting with 10 fingers": what Bits Allocated, Bits Stored, High Bit
and Pixel Representation allow, and one pixel's bytes decoded step by step from the file.

With 10 fingers as 10 bits you count from 0 to 2**10 - 1 = 1023; with Bits Stored
bits a pixel holds 0 .. 2**BitsStored - 1, or -2**(BitsStored-1) .. 2**(BitsStored-1) - 1
when Pixel Representation says two's complement. The decoding reads the pixel's
bytes at their offset in the file (native pixel data), puts them together in the
transfer syntax's byte order, keeps the stored bits below High Bit, extends the
sign, and applies Rescale Slope/Intercept; pydicom's decoded pixel array checks it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pydicom

from ..errors import DICOMTeachError
from ..safe_read import read_dataset

PIXEL_DATA = 0x7FE00010


@dataclass
class BitsStep:
    title: str
    text: str


@dataclass
class BitsExplanation:
    path: str
    bits_allocated: int
    bits_stored: int
    high_bit: int
    pixel_representation: int
    samples_per_pixel: int
    value_range: tuple[int, int]
    meanings: list[tuple[str, int, str]]  # (keyword, value, what it means)
    pixel: tuple[int, int, int] | None = None  # (frame, row, column) decoded, None when not decodable here
    pixel_offset: int | None = None  # byte offset of the pixel's first byte in the file
    pixel_bytes: bytes = b""
    stored_value: int | None = None
    rescaled: float | None = None
    steps: list[BitsStep] = field(default_factory=list)
    note: str = ""

    def render_text(self) -> str:
        lines = [os.path.basename(self.path)]
        lines += [f"  {keyword} = {value}: {meaning}" for keyword, value, meaning in self.meanings]
        low, high = self.value_range
        lines.append(f"  Range a pixel can hold: {low} .. {high} ({high - low + 1} values)")
        lines.append("  (10 fingers as 10 bits: 0 .. 1023)")
        if self.steps:
            frame, row, column = self.pixel or (0, 0, 0)
            lines.append(f"One pixel, frame {frame + 1}, row {row}, column {column}, decoded from the file:")
            lines += [f"  {number}. {step.title}: {step.text}" for number, step in enumerate(self.steps, start=1)]
        if self.note:
            lines.append(f"  Note: {self.note}")
        return "\n".join(lines)


def value_range(bits_stored: int, pixel_representation: int) -> tuple[int, int]:
    """The smallest and largest stored value Bits Stored and Pixel Representation allow."""
    if pixel_representation == 1:
        return -(1 << (bits_stored - 1)), (1 << (bits_stored - 1)) - 1
    return 0, (1 << bits_stored) - 1


def _int(ds: pydicom.Dataset, keyword: str, path: str) -> int:
    value = ds.get(keyword)
    if value is None or value == "":
        raise DICOMTeachError(f"{keyword} is missing: this is not an image (or a broken one)", path)
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise DICOMTeachError(f"{keyword} is not a number ({value!r})", path) from error


def bits_exercise(path: str | os.PathLike[str], pixel: tuple[int, int, int] | None = None) -> BitsExplanation:
    """The exercise on one image; ``pixel`` = (frame, row, column), by default the brightest pixel of frame 1."""
    path = str(path)
    # The structure is walked first (bounded, and 'not a DICOM file' said as explain says it: pydicom's own
    # message told a student to 'use force=True').
    ds = read_dataset(path, what="the image", defer_size=1024)
    allocated = _int(ds, "BitsAllocated", path)
    stored = _int(ds, "BitsStored", path)
    high = _int(ds, "HighBit", path)
    representation = _int(ds, "PixelRepresentation", path)
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    if not 1 <= stored <= allocated or high >= allocated:
        raise DICOMTeachError(f"inconsistent bits: Bits Allocated {allocated}, Bits Stored {stored}, High Bit {high}",
                              path)
    meanings = [
        ("BitsAllocated", allocated, f"each sample takes {allocated} bit(s) = {max(allocated // 8, 1)} byte(s) "
                                     "of room in the file" if allocated >= 8 else
                                     f"each sample takes {allocated} bit(s); pixels are packed 8 to a byte"),
        ("BitsStored", stored, f"{stored} of those bits carry the value ({1 << stored} different values)"),
        ("HighBit", high, f"the value's most significant bit is bit {high}, so it uses bits "
                          f"{high - stored + 1}..{high}"),
        ("PixelRepresentation", representation, "two's complement: values can be negative" if representation == 1
         else "unsigned: values are 0 or more"),
    ]
    result = BitsExplanation(path, allocated, stored, high, representation, samples,
                             value_range(stored, representation), meanings)
    _decode_one_pixel(ds, result, pixel)
    return result


def _decode_one_pixel(ds: pydicom.Dataset, result: BitsExplanation, pixel: tuple[int, int, int] | None) -> None:
    if PIXEL_DATA not in ds:
        result.note = "the file has no Pixel Data: nothing to decode"
        return
    ts = ds.file_meta.get("TransferSyntaxUID") if hasattr(ds, "file_meta") else None
    if ts is not None and ts.is_compressed:
        result.note = (f"the pixel data is compressed ({ts.name}): the bytes in the file are the codec's, "
                       "not the pixels'; the ranges above still hold for the decoded values")
        return
    if result.bits_allocated % 8 or result.samples_per_pixel != 1:
        result.note = "only single-sample images with whole-byte samples are decoded step by step here"
        return
    raw = ds.get_item(PIXEL_DATA, keep_deferred=True)  # before decoding: pydicom drops the raw element then
    value_offset = getattr(raw, "value_tell", None)
    try:
        array = ds.pixel_array
    except Exception as error:  # noqa: BLE001 - no decoder, damaged data: say so, keep the ranges
        result.note = f"the pixels cannot be decoded: {error}"
        return
    frames = array if int(ds.get("NumberOfFrames", 1) or 1) > 1 else array[None, ...]
    if pixel is None:
        import numpy as np

        row, column = (int(v) for v in np.unravel_index(int(np.argmax(frames[0])), frames[0].shape))
        pixel = (0, row, column)
    frame, row, column = pixel
    rows, columns = frames.shape[1], frames.shape[2]
    if not (0 <= frame < frames.shape[0] and 0 <= row < rows and 0 <= column < columns):
        raise DICOMTeachError(f"pixel {pixel} is outside the image ({frames.shape[0]} x {rows} x {columns})",
                              result.path)
    size = result.bits_allocated // 8
    index = (frame * rows + row) * columns + column
    little = ts is None or ts.is_little_endian
    if value_offset is None:
        result.note = "the file position of the pixel data is unknown: nothing to decode step by step"
        return
    offset = value_offset + index * size
    with open(result.path, "rb") as handle:
        handle.seek(offset)
        data = handle.read(size)
    if len(data) < size:
        result.note = "the file ends before this pixel: the pixel data is truncated"
        return
    word = int.from_bytes(data, "little" if little else "big")
    low_bit = result.high_bit - result.bits_stored + 1
    stored = (word >> low_bit) & ((1 << result.bits_stored) - 1)
    value = stored
    if result.pixel_representation == 1 and stored >> (result.bits_stored - 1):
        value = stored - (1 << result.bits_stored)
    slope = float(ds.get("RescaleSlope", 1) or 1)
    intercept = float(ds.get("RescaleIntercept", 0) or 0)
    result.pixel, result.pixel_offset, result.pixel_bytes = pixel, offset, data
    result.stored_value, result.rescaled = value, value * slope + intercept
    order = "least significant byte first (little endian)" if little else "most significant byte first (big endian)"
    steps = [
        BitsStep("Where", f"pixel data values start at byte {value_offset}; this pixel is number {index} "
                          f"(frame {frame + 1}, row {row}, column {column}), {size} byte(s) each: byte {offset}"),
        BitsStep("Bytes in the file", data.hex(" ")),
        BitsStep("Put together", f"{order}: 0x{word:0{size * 2}X} = {word:0{result.bits_allocated}b} (binary)"),
        BitsStep("Keep the stored bits", f"bits {low_bit}..{result.high_bit} (shift right by {low_bit}, keep "
                                         f"{result.bits_stored} bits): {stored:0{result.bits_stored}b} = {stored}"),
    ]
    if result.pixel_representation == 1:
        steps.append(BitsStep("Sign", (f"the top stored bit is 1, so the value is negative: {stored} - "
                                       f"2^{result.bits_stored} = {value}") if value < 0 else
                              f"the top stored bit is 0: the value stays {value}"))
    if "RescaleSlope" in ds or "RescaleIntercept" in ds:
        unit = str(ds.get("RescaleType", "") or ("HU" if str(ds.get("Modality", "")) == "CT" else ""))
        steps.append(BitsStep("Rescale", f"{value} x {slope:g} + {intercept:g} = {result.rescaled:g} {unit}".rstrip()))
    checked = int(frames[frame, row, column])
    steps.append(BitsStep("Check", f"pydicom's decoded array holds {checked} at this pixel"
                          + (" (the same)" if checked == value else " (different!)")))
    result.steps = steps
