"""A full header as pydicom reads it, built without pydicom's per-element parsing loop.

Examining a 600-slice series spends most of its time in pydicom's reader,
which turns each of ~100 elements per file into Python objects. For the
common case (little endian, every element of defined length) the element
boundaries can be found with one struct call each and handed to pydicom as
raw elements, which pydicom converts lazily, only when a value is asked for:
the dataset behaves exactly as one from ``dcmread(stop_before_pixels=True)``.
Anything else (big endian, deflate, undefined-length sequences, damaged
files) returns None and the caller uses pydicom's reader.
"""

from __future__ import annotations

import struct
from typing import Any

from .index import _LONG_VRS, _HeaderReader, _NotParsable
from .pixel_data import PixelDataInfo

_HEADER = struct.Struct("<HH2sH")
_IMPLICIT = struct.Struct("<HHL")
_LENGTH = struct.Struct("<L")
_STOP_TAGS = {0x7FE00010, 0x7FE00008, 0x7FE00009}  # where stop_before_pixels stops
_UNDEFINED = 0xFFFFFFFF
_RAW_FIELDS = ("tag", "VR", "length", "value", "value_tell", "is_implicit_VR", "is_little_endian", "is_raw",
               "is_buffered")  # pydicom 3.0's RawDataElement, built directly below
_VR_NAMES: dict[bytes, str] = {}  # b"DS" -> "DS", filled as VRs are met
_DEFLATED = "1.2.840.10008.1.2.1.99"
_BIG_ENDIAN = "1.2.840.10008.1.2.2"
_IMPLICIT_LE = "1.2.840.10008.1.2"


def _elements(reader: _HeaderReader, offset: int, implicit: bool, meta: bool) -> tuple[dict, int, bool]:
    """{tag: RawDataElement} up to the pixel data (or group 0002's end); the next offset; stopped at pixels?"""
    from pydicom.dataelem import RawDataElement
    from pydicom.tag import BaseTag

    found = {}
    if RawDataElement._fields != _RAW_FIELDS:  # another pydicom: let pydicom's reader do it
        raise _NotParsable("unexpected RawDataElement layout")
    new_tuple = tuple.__new__
    vr_names = _VR_NAMES
    explicit_header, implicit_header, long_length = _HEADER.unpack_from, _IMPLICIT.unpack_from, _LENGTH.unpack_from
    buffer, size = reader.buffer, len(reader.buffer)
    while True:
        if offset + 12 > size:
            try:
                reader.need(offset + 12)
            except _NotParsable:
                if offset >= len(reader.buffer):
                    return found, offset, False  # the file ends: no pixel data
                reader.need(offset + 8)
            buffer, size = reader.buffer, len(reader.buffer)
        if implicit:
            group, element, length = implicit_header(buffer, offset)
            vr = None
            header = 8
        else:
            group, element, vr_bytes, length = explicit_header(buffer, offset)
            vr = vr_names.get(vr_bytes)
            if vr is None:
                if not (65 <= vr_bytes[0] <= 90 and 65 <= vr_bytes[1] <= 90):
                    raise _NotParsable("not explicit VR")
                vr = vr_names[vr_bytes] = vr_bytes.decode("ascii")
            if vr_bytes in _LONG_VRS:
                (length,) = long_length(buffer, offset + 8)
                header = 12
            else:
                header = 8
        if meta and group != 0x0002:
            return found, offset, False
        tag = (group << 16) | element
        if tag in _STOP_TAGS:
            return found, offset, True
        if group == 0xFFFE or length == _UNDEFINED:
            raise _NotParsable("undefined length or delimiter: pydicom's reader handles those")
        start = offset + header
        offset = start + length
        if offset > size:
            reader.need(offset)
            buffer, size = reader.buffer, len(reader.buffer)
        tag = BaseTag(tag)
        # RawDataElement is a named tuple: tuple.__new__ skips its keyword-handling constructor.
        found[tag] = new_tuple(RawDataElement, (tag, vr, length, buffer[start:offset], start, implicit, True,
                                                True, False))


def read_header_fast(path: str) -> tuple[Any, PixelDataInfo] | None:
    """(header dataset, pixel data info) like ``dcmread(path, stop_before_pixels=True)``; None when unsure."""
    from pydicom.dataset import Dataset, FileDataset, FileMetaDataset

    try:
        with open(path, "rb") as fp:
            reader = _HeaderReader(fp, chunk=16384)
            if len(reader.buffer) < 144 or reader.buffer[128:132] != b"DICM":
                return None
            meta, offset, _ = _elements(reader, 132, implicit=False, meta=True)
            syntax_element = meta.get(0x00020010)
            syntax = syntax_element.value.rstrip(b"\x00 ").decode("ascii", "replace") if syntax_element else ""
            if not syntax or syntax in (_DEFLATED, _BIG_ENDIAN):
                return None
            implicit = syntax == _IMPLICIT_LE
            elements, offset, at_pixels = _elements(reader, offset, implicit=implicit, meta=False)
            fp.seek(0, 2)
            size = fp.tell()
            info = PixelDataInfo(False, file_size=size)
            if at_pixels:
                reader.need(offset + 12)
                group, element = struct.unpack_from("<HH", reader.buffer, offset)
                if (group << 16 | element) == 0x7FE00010:
                    value_offset = offset + (8 if implicit else 12)
                    (length,) = _LENGTH.unpack_from(reader.buffer, offset + (4 if implicit else 8))
                    info = PixelDataInfo(True, value_offset, None if length == _UNDEFINED else length, size)
            preamble = bytes(reader.buffer[:128])
    except (_NotParsable, struct.error, UnicodeDecodeError):
        return None

    file_meta = FileMetaDataset(meta)
    dataset = Dataset(elements)
    result = FileDataset(path, dataset, preamble=preamble, file_meta=file_meta, is_implicit_VR=implicit,
                         is_little_endian=True)
    result.set_original_encoding(implicit, True, dataset._character_set)
    return result, info
