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

import os
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
_TAGS: dict[int, Any] = {}  # int -> BaseTag, made once per tag: cheaper than BaseTag() per element
_VRS: dict[bytes, tuple[str, int]] = {}  # b"DS" -> ("DS", 8), filled as VRs are met
_DEFLATED = "1.2.840.10008.1.2.1.99"
_BIG_ENDIAN = "1.2.840.10008.1.2.2"
_IMPLICIT_LE = "1.2.840.10008.1.2"


def interned_tag(tag: int) -> Any:
    """The one BaseTag object for ``tag``: cheaper than BaseTag() per element, and a dataset lookup
    with the very key object skips pydicom's BaseTag.__eq__ (Python code) in the dict."""
    from pydicom.tag import BaseTag

    known = _TAGS.get(tag)
    if known is None:
        known = _TAGS[tag] = BaseTag(tag)
    return known


def _vr_of(vr_bytes: bytes) -> tuple[str, int]:
    """(VR name, element header length) of an explicit VR, remembered; _NotParsable if it is not one."""
    if not (65 <= vr_bytes[0] <= 90 and 65 <= vr_bytes[1] <= 90):
        raise _NotParsable("not explicit VR")
    known = _VRS[vr_bytes] = (vr_bytes.decode("ascii"), 12 if vr_bytes in _LONG_VRS else 8)
    return known


def _elements(reader: _HeaderReader, offset: int, implicit: bool, meta: bool) -> tuple[dict, int, bool]:
    """{tag: RawDataElement} up to the pixel data (or group 0002's end); the next offset; stopped at pixels?

    The hot loop of examine (one pass per element of every file): the rare cases (the end of
    group 0002, pixel data, undefined lengths, delimiters) share one test, made only for
    elements outside the usual groups or of undefined length.
    """
    from pydicom.dataelem import RawDataElement

    found = {}
    if RawDataElement._fields != _RAW_FIELDS:  # another pydicom: let pydicom's reader do it
        raise _NotParsable("unexpected RawDataElement layout")
    new_tuple = tuple.__new__
    vrs, tags = _VRS, _TAGS
    low, high = (0x0002, 0x0003) if meta else (0x0000, 0x7FE0)  # groups walked without further tests
    explicit_header, implicit_header, long_length = _HEADER.unpack_from, _IMPLICIT.unpack_from, _LENGTH.unpack_from
    buffer, size = reader.buffer, len(reader.buffer)
    vr, header = None, 8
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
        else:
            group, element, vr_bytes, length = explicit_header(buffer, offset)
            vr, header = vrs.get(vr_bytes) or _vr_of(vr_bytes)
            if header == 12:
                (length,) = long_length(buffer, offset + 8)
        if not low <= group < high or length == _UNDEFINED:
            if meta and group != 0x0002:
                return found, offset, False
            if (group << 16 | element) in _STOP_TAGS:
                return found, offset, True
            if group == 0xFFFE or length == _UNDEFINED:
                raise _NotParsable("undefined length or delimiter: pydicom's reader handles those")
        start = offset + header
        offset = start + length
        if offset > size:
            reader.need(offset)
            buffer, size = reader.buffer, len(reader.buffer)
        tag = tags.get(group << 16 | element) or interned_tag(group << 16 | element)
        # RawDataElement is a named tuple: tuple.__new__ skips its keyword-handling constructor.
        found[tag] = new_tuple(RawDataElement, (tag, vr, length, buffer[start:offset], start, implicit, True,
                                                True, False))


def _character_set(dataset: Any, element: Any) -> Any:
    """``dataset._character_set`` without converting the element when it holds one known term.

    Converting (0008,0005) through pydicom costs a tenth of a header's reading; the usual
    single term (e.g. "ISO_IR 100") gives the same answer from its bytes.
    """
    from pydicom.charset import convert_encodings, python_encoding

    if element is None:
        return dataset._parent_encoding
    term = element.value.rstrip(b" \x00").decode("ascii", "replace") if isinstance(element.value, bytes) else None
    if term in python_encoding:
        return convert_encodings(term)
    return dataset._character_set


def _template_state(cls: type) -> dict[str, Any]:
    from pydicom.dataset import FileDataset, FileMetaDataset

    if cls is FileDataset:
        return dict(vars(FileDataset("", {}, file_meta=FileMetaDataset())))
    return dict(vars(cls()))


_STATES: dict[type, dict[str, Any]] = {}


def _new_dataset(cls: type, **attributes: Any) -> Any:
    """A pydicom ``cls`` instance as its constructor makes it, with ``attributes`` set; None if unsure.

    pydicom's constructors set some fifteen attributes each through Dataset.__setattr__, which
    checks every name against the data dictionary: a fifth of reading a header. Instead the
    attributes one real construction set are copied (dicts and lists fresh for each instance).
    Only names that construction set may be given; otherwise None (the caller constructs).
    """
    state = _STATES.get(cls)
    if state is None:
        state = _STATES[cls] = _template_state(cls)
    if not attributes.keys() <= state.keys():
        return None
    instance = object.__new__(cls)
    values = instance.__dict__
    for name, value in state.items():
        values[name] = value.copy() if isinstance(value, (dict, list)) else value
    values.update(attributes)
    return instance


def read_header_fast(path: str) -> tuple[Any, PixelDataInfo] | None:
    """(header dataset, pixel data info) like ``dcmread(path, stop_before_pixels=True)``; None when unsure."""
    from pydicom.dataset import FileDataset, FileMetaDataset

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
            stat = os.fstat(fp.fileno())
            size = stat.st_size
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

    file_meta = _new_dataset(FileMetaDataset, _dict=meta)
    result = _new_dataset(FileDataset, _dict=elements, preamble=preamble, file_meta=file_meta, filename=path,
                          fileobj_type=open, timestamp=stat.st_mtime, _is_implicit_VR=implicit, _is_little_endian=True)
    if result is None or file_meta is None:  # another pydicom: its constructors
        file_meta = FileMetaDataset(meta)
        result = FileDataset(path, elements, preamble=preamble, file_meta=file_meta, is_implicit_VR=implicit,
                             is_little_endian=True)
    file_meta.set_original_encoding(False, True, file_meta._parent_encoding)  # as dcmread: group 0002 is explicit LE
    result.set_original_encoding(implicit, True, _character_set(result, elements.get(0x00080005)))
    return result, info
