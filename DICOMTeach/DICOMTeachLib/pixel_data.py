"""Where a file's pixel data is, learnt while reading its header, without reading the pixels.

pydicom's ``stop_before_pixels`` leaves the file positioned on the Pixel Data
element (or at the end when there is none). Reading that element's 8 or 12
byte header tells whether pixel data exists, where its value starts, how long
it claims to be and whether the file is long enough to hold it: enough for
examine to warn about missing or truncated pixel data and for the volume
builder to read uncompressed slices straight into its array.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import Any, BinaryIO

PIXEL_DATA_TAG = 0x7FE00010
_UNDEFINED = 0xFFFFFFFF


@dataclass(frozen=True)
class PixelDataInfo:
    """The Pixel Data element of one file, as found after its header."""

    present: bool
    #: byte offset of the value in the file (0 when absent)
    offset: int = 0
    #: the value length the file declares (None: undefined length, i.e. encapsulated/compressed)
    length: int | None = None
    file_size: int = 0

    @property
    def truncated(self) -> bool:
        """The file ends before the declared pixel data does."""
        return self.present and self.length is not None and self.offset + self.length > self.file_size


#: the attribute name under which examine.read_header keeps the info on a header dataset
ATTRIBUTE = "dicomteach_pixel_data"


def probe_after_header(fp: BinaryIO, dataset: Any) -> PixelDataInfo:
    """Read the element header at ``fp``'s position (where stop_before_pixels left it)."""
    start = fp.tell()
    fp.seek(0, os.SEEK_END)
    size = fp.tell()
    fp.seek(start)
    head = fp.read(12)
    implicit, little = getattr(dataset, "original_encoding", (None, None))
    if little is None:
        implicit, little = False, True
    if len(head) < 8:
        return PixelDataInfo(False, file_size=size)
    endian = "<" if little else ">"
    group, element = struct.unpack(endian + "HH", head[:4])
    if (group << 16 | element) != PIXEL_DATA_TAG:
        return PixelDataInfo(False, file_size=size)
    if not implicit and not head[4:6].isalpha():
        implicit = True  # files that say explicit VR but are written implicit (pydicom reads them so too)
    if implicit:
        (length,) = struct.unpack(endian + "L", head[4:8])
        value_offset = start + 8
    else:
        if len(head) < 12:
            return PixelDataInfo(True, start + 12, 0, size)
        (length,) = struct.unpack(endian + "L", head[8:12])
        value_offset = start + 12
    return PixelDataInfo(True, value_offset, None if length == _UNDEFINED else length, size)


def pixel_data_info(dataset: Any) -> PixelDataInfo | None:
    """The info examine.read_header attached to ``dataset`` (None when it was read elsewhere)."""
    return getattr(dataset, ATTRIBUTE, None)


def probe_file(path: str) -> PixelDataInfo:
    """Read a file's header only to find its pixel data (for headers read by someone else)."""
    import pydicom

    from .safe_read import BoundedFile, check_structure, refuse_cut_header

    refuse_cut_header(check_structure(path, stop_at_pixels=True), path)
    with BoundedFile(path) as fp:
        dataset = pydicom.dcmread(fp, stop_before_pixels=True)
        return probe_after_header(fp, dataset)
