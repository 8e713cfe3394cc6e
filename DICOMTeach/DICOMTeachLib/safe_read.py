"""Bounds checked before a file's bytes reach pydicom (or a native decoder).

pydicom trusts what a file declares: a value length of 4 GB is allocated, a
sequence nested 20,000 levels deep is read by recursion, a deflated stream is
inflated whatever its size. :func:`check_structure` walks the element headers
of a file first, without reading or allocating any value, on a memory map
(a 1 GB file costs no memory and, when it is not DICOM, a few element headers
of time), and refuses with the reason:

- a value (or item) whose declared length runs past the end of its file or of
  its enclosing item (at the top level, the last value may be cut: that is
  reported as ``truncated`` for the caller to judge, as pixel data read later);
- sequences nested deeper than :data:`MAX_SEQUENCE_DEPTH` (no real file comes
  near; pydicom would recurse);
- the same tag twice in a row (a run of zero bytes reads as (0000,0000) again
  and again), an unknown VR, a delimiter where none belongs;
- a deflated data set that does not inflate, or inflates beyond
  :data:`MAX_INFLATED_BYTES`.

The walk is iterative (an explicit stack), so its own depth costs no recursion.
"""

from __future__ import annotations

import functools
import io
import mmap
import os
import struct
import zlib
from dataclasses import dataclass

from .errors import DICOMTeachError, InvalidDicomError, NotDicomError

#: Sequences nested deeper than this are refused (real files stay within a handful of levels).
MAX_SEQUENCE_DEPTH = 64
#: A deflated data set inflating beyond this is refused (a "zip bomb"; real ones are a few MB).
MAX_INFLATED_BYTES = 256 * 1024 * 1024

_UNDEFINED = 0xFFFFFFFF
_ITEM, _ITEM_END, _SEQUENCE_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
_PIXEL_DATA_TAGS = frozenset({0x7FE00010, 0x7FE00008, 0x7FE00009})
_LONG_VRS = frozenset({b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"UC", b"UN", b"UR", b"UT", b"SV", b"UV"})
_SHORT_VRS = frozenset({b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FL", b"FD", b"IS", b"LO", b"LT",
                        b"PN", b"SH", b"SL", b"SS", b"ST", b"TM", b"UI", b"UL", b"US"})
_IMPLICIT_LE = "1.2.840.10008.1.2"
_EXPLICIT_BE = "1.2.840.10008.1.2.2"
_DEFLATED = ("1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.8.1")


@dataclass(frozen=True)
class Structure:
    """What the walk learnt about a file whose structure is sound."""

    transfer_syntax: str  # "" when the file has no file meta (or none was given)
    has_file_meta: bool
    #: the top-level element whose value the file cuts ("" when complete), e.g. "PixelData declares 524288
    #: bytes at offset 1234, the file has 1000"
    truncated: str = ""
    #: the cut element is the pixel data (readers that stop before the pixels are not concerned)
    truncated_in_pixel_data: bool = False


def _tag_name(tag: int) -> str:
    from pydicom.datadict import keyword_for_tag

    keyword = keyword_for_tag(tag) if tag >> 16 != 0xFFFE else ""
    return keyword or f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


class _Refused(Exception):
    """Raised inside the walk; turned into a DICOMTeachError naming the file."""


@dataclass
class _Frame:
    kind: str  # "dataset" (elements) or "items" (a sequence's items) or "fragments" (encapsulated pixel data)
    end: int | None  # end offset of a defined length, None for an undefined length
    implicit: bool
    last_tag: int = -1


def _walk(buffer, offset: int, implicit: bool, little: bool, stop_at_pixels: bool,
          bare: bool = False) -> tuple[str, bool]:
    """Walk the data set in ``buffer`` from ``offset``; returns (truncation note, in pixel data) or raises _Refused."""
    size = len(buffer)
    endian = "<" if little else ">"
    tag_length = struct.Struct(endian + "HHL").unpack_from
    explicit_header = struct.Struct(endian + "HH2sH").unpack_from
    long_length = struct.Struct(endian + "L").unpack_from
    stack = [_Frame("dataset", None, implicit)]
    depth = 0  # sequences currently open
    cut = ""  # set when a top-level sequence is cut by the end of the file
    while stack:
        frame = stack[-1]
        if frame.end is not None and offset >= frame.end:  # (pydicom tolerates an overrun, so does the walk)
            stack.pop()
            depth -= frame.kind != "dataset"
            continue
        if offset + 8 > size:
            if len(stack) == 1 and offset == size:
                return cut, False  # the data set ends with the file
            return cut or f"the file ends inside an element header at offset {offset}", False
        if frame.kind != "dataset":  # items of a sequence, or fragments of encapsulated pixel data
            group, element, length = tag_length(buffer, offset)
            tag = group << 16 | element
            offset += 8
            if tag == _SEQUENCE_END and frame.end is None:
                stack.pop()
                depth -= 1
                continue
            if tag != _ITEM:
                raise _Refused(f"{_tag_name(tag)} at offset {offset - 8} where a sequence item should be")
            if length == _UNDEFINED:
                if frame.kind == "fragments":
                    raise _Refused(f"a pixel data fragment of undefined length at offset {offset - 8}")
                stack.append(_Frame("dataset", None, frame.implicit))
                continue
            end = offset + length
            if end > size:
                note = _cut(f"an item at offset {offset - 8}", length, offset, size)
                return cut or note, False
            if frame.kind == "fragments":
                offset = end
            else:
                stack.append(_Frame("dataset", end, frame.implicit))
            continue
        # an element of a data set
        implicit = frame.implicit
        if implicit:
            group, element, length = tag_length(buffer, offset)
            vr = b""
            header = 8
        else:
            group, element, vr, length = explicit_header(buffer, offset)
            header = 8
            if group == 0xFFFE:
                (length,) = long_length(buffer, offset + 4)
                vr = b""
            elif vr in _LONG_VRS:
                if offset + 12 > size:
                    return cut or f"the file ends inside an element header at offset {offset}", False
                (length,) = long_length(buffer, offset + 8)
                header = 12
            elif vr not in _SHORT_VRS:
                raise _Refused(f"{_tag_name(group << 16 | element)} at offset {offset} has VR bytes "
                               f"{bytes(vr)!r}, which is no VR")
        tag = group << 16 | element
        first = frame.last_tag == -1 and len(stack) == 1
        if tag == _ITEM_END and frame.end is None and len(stack) > 1:
            stack.pop()
            offset += 8
            continue
        if group == 0xFFFE:
            if tag == _SEQUENCE_END and len(stack) == 1:  # pydicom skips a stray one at the top level
                offset += 8
                continue
            raise _Refused(f"a delimiter {_tag_name(tag)} at offset {offset} inside a data set")
        if tag == frame.last_tag:
            raise _Refused(f"{_tag_name(tag)} twice in a row at offset {offset}: these bytes are not a data set")
        frame.last_tag = tag
        if stop_at_pixels and len(stack) == 1 and tag in _PIXEL_DATA_TAGS:
            return "", False
        start = offset + header
        if length == _UNDEFINED:
            if vr == b"SQ" or vr == b"UN" or implicit and tag not in _PIXEL_DATA_TAGS:
                kind = "items"
                # an undefined-length UN holds an implicit VR little endian sequence (PS3.5 6.2.2)
                inner_implicit = implicit or vr == b"UN"
            elif tag in _PIXEL_DATA_TAGS or vr in (b"OB", b"OW"):
                kind, inner_implicit = "fragments", implicit
            else:
                raise _Refused(f"{_tag_name(tag)} at offset {offset} has an undefined length but VR {vr.decode()}")
            depth += kind == "items"
            if depth > MAX_SEQUENCE_DEPTH:
                raise _Refused(f"sequences nested more than {MAX_SEQUENCE_DEPTH} levels deep (at offset {offset})")
            stack.append(_Frame(kind, None, inner_implicit))
            offset = start
            continue
        end = start + length
        sequence = length >= 8 and start + 8 <= size and (
            vr == b"SQ" or implicit and _starts_with_item(buffer, start, endian) and _is_sequence(tag))
        if end > size:
            if first and bare:
                raise _Refused(f"its first element {_tag_name(tag)} declares {length} bytes, the file has {size}")
            note = _cut(_tag_name(tag), length, start, size, top_level=len(stack) == 1)
            if not sequence or cut:
                return cut or note, tag in _PIXEL_DATA_TAGS and len(stack) == 1
            cut, end = note, size  # a cut sequence: still walk what is there, for its depth
        if sequence:
            depth += 1
            if depth > MAX_SEQUENCE_DEPTH:
                raise _Refused(f"sequences nested more than {MAX_SEQUENCE_DEPTH} levels deep (at offset {offset})")
            stack.append(_Frame("items", end, implicit))
            offset = start
            continue
        offset = end
    return cut, False


#: Inside a sequence, a value cut by the end of the file is a truncation up to this length (pydicom reads what
#: is there); beyond it, the length cannot be an honest one that lost its tail and is refused (pydicom would
#: allocate it).
MAX_CUT_VALUE = 16 * 1024 * 1024


def _cut(what: str, length: int, start: int, size: int, top_level: bool = False) -> str:
    """The truncation note for a value the file cuts; _Refused when its declared length is implausible."""
    remaining = max(size - start, 0)
    if not top_level and length > MAX_CUT_VALUE:
        raise _Refused(f"{what} at offset {start} declares {length} bytes, the file has {remaining}")
    return f"{what} declares {length} bytes at offset {start}, the file has {remaining}"


def _starts_with_item(buffer, offset: int, endian: str) -> bool:
    return struct.unpack_from(endian + "HH", buffer, offset) == (0xFFFE, 0xE000)


def _is_sequence(tag: int) -> bool:
    """Implicit VR: is ``tag`` a sequence? (its dictionary VR; private and unknown tags are read as UN)."""
    from pydicom.datadict import dictionary_VR

    try:
        return dictionary_VR(tag) == "SQ"
    except KeyError:
        return False


def _meta(buffer) -> tuple[int, str, bool]:
    """(offset after the file meta group, transfer syntax, whether there was one) from ``buffer``'s start.

    The group is explicit VR little endian (PS3.10 7.1), at 132 after "DICM" or at 0 without a preamble.
    """
    size = len(buffer)
    offset = 132 if size >= 132 and buffer[128:132] == b"DICM" else 0
    syntax, found = "", False
    while offset + 8 <= size:
        group, element, vr, length = struct.unpack_from("<HH2sH", buffer, offset)
        if group != 0x0002:
            break
        found = True
        header = 8
        if vr in _LONG_VRS:
            if offset + 12 > size:
                raise _Refused("the file ends inside the file meta information")
            (length,) = struct.unpack_from("<L", buffer, offset + 8)
            header = 12
        elif vr not in _SHORT_VRS:
            raise _Refused(f"the file meta element {_tag_name(group << 16 | element)} has VR bytes "
                           f"{bytes(vr)!r}, which is no VR")
        if length == _UNDEFINED or offset + header + length > size:
            raise _Refused(f"the file meta element {_tag_name(group << 16 | element)} declares {length} bytes, "
                           f"the file has {size - offset - header}")
        if element == 0x0010:
            syntax = bytes(buffer[offset + header:offset + header + length]).rstrip(b"\0 ").decode("latin-1")
        offset += header + length
    return offset, syntax, found


def _guess_implicit(buffer, offset: int) -> bool:
    """No (usable) transfer syntax: implicit VR unless the first element carries VR letters (as pydicom guesses)."""
    return not (offset + 6 <= len(buffer) and bytes(buffer[offset + 4:offset + 6]) in _LONG_VRS | _SHORT_VRS)


def _looks_big_endian(buffer, offset: int) -> bool:
    """No file meta: a first group that is small read big endian and large read little endian."""
    if offset + 2 > len(buffer):
        return False
    little, big = struct.unpack_from("<H", buffer, offset)[0], struct.unpack_from(">H", buffer, offset)[0]
    return little > 0x00FF and big <= 0x00FF


def _inflate(data) -> bytes:
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        inflated = inflater.decompress(data, MAX_INFLATED_BYTES)
    except zlib.error as error:
        raise _Refused(f"the deflated data set cannot be inflated ({error})") from None
    if inflater.unconsumed_tail:
        raise _Refused(f"the deflated data set inflates to more than {MAX_INFLATED_BYTES // 2**20} MB")
    if not inflater.eof:
        raise _Refused("the deflated data set is cut: its compressed stream does not end")
    return inflated


def walk_buffer(buffer, *, stop_at_pixels: bool = False) -> Structure:
    """:func:`check_structure` on bytes in memory (raises _Refused); see there."""
    offset, syntax, has_meta = _meta(buffer)
    little = syntax != _EXPLICIT_BE
    if syntax in _DEFLATED:
        buffer, offset = _inflate(buffer[offset:]), 0
        implicit = False
    elif syntax == _IMPLICIT_LE:
        implicit = True
    elif syntax:
        # explicit VR (little, or big endian); a file that says so but is written implicit is read implicit
        implicit = _guess_implicit(buffer, offset)
    else:
        implicit = _guess_implicit(buffer, offset)
        little = not _looks_big_endian(buffer, offset)
    bare = not has_meta and not (len(buffer) >= 132 and buffer[128:132] == b"DICM")
    truncated, in_pixels = _walk(buffer, offset, implicit, little, stop_at_pixels, bare)
    return Structure(syntax, has_meta, truncated, in_pixels)


def check_structure(path: str | os.PathLike[str], *, stop_at_pixels: bool = False) -> Structure:
    """Walk the element headers of ``path``; DICOMTeachError (file and reason) when its structure is unsound.

    ``stop_at_pixels`` stops at the top-level pixel data (for readers that stop there too).
    """
    path = str(path)
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size == 0:
                raise NotDicomError("not a DICOM file: the file is empty", path)
            if size < 8 and handle.read(2) != b"\x02\x00":  # a note ("hello"): not a cut DICOM file
                raise NotDicomError(f"not a DICOM file: {size} bytes, shorter than one element header", path)
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                dicom_start = (size >= 132 and mapped[128:132] == b"DICM") or mapped[0:2] == b"\x02\x00"
                try:
                    return walk_buffer(mapped, stop_at_pixels=stop_at_pixels)
                except (_Refused, struct.error) as refused:  # (struct.error: a header read past the end)
                    reason = str(refused)
    except OSError as error:
        raise file_error(error, path) from error
    if not dicom_start:
        raise NotDicomError(f"not a DICOM file: no \"DICM\" prefix, and the bytes are no data set ({reason})", path)
    raise InvalidDicomError(reason, path)


def refuse_cut_header(structure: Structure, path: str | os.PathLike[str]) -> None:
    """For readers that need every header value: a header the file cuts is refused (pixel data may be cut)."""
    if structure.truncated and not structure.truncated_in_pixel_data:
        raise InvalidDicomError(f"the file ends inside its header: {structure.truncated}", path)


def file_error(error: OSError, path: str | os.PathLike[str]) -> DICOMTeachError:
    """A DICOMTeachError for an OSError met while opening or reading ``path`` (permission, loop, gone...)."""
    reason = error.strerror or str(error) or type(error).__name__
    return DICOMTeachError(f"cannot read the file ({reason})", path)


@functools.cache
def file_caused_errors() -> tuple[type[BaseException], ...]:
    """The exception types damaged bytes make pydicom (and numpy, zlib) raise once the structure is sound.

    A value of the wrong length for its VR (BytesLengthException), a VR pydicom cannot convert
    (NotImplementedError), a number that does not parse (ValueError), a deflated stream that
    breaks (zlib.error), a file that ends (EOFError, struct.error). Catching these where a file's
    values are converted turns them into one clear line; anything else is a programming error.
    """
    from pydicom.errors import BytesLengthException
    from pydicom.errors import InvalidDicomError as PydicomInvalid

    return (PydicomInvalid, BytesLengthException, NotImplementedError, ValueError, OverflowError, EOFError,
            struct.error, zlib.error, UnicodeError, OSError)


def read_dataset(path: str | os.PathLike[str], *, stop_before_pixels: bool = False, allow_cut_pixels: bool = False,
                 what: str = "the data set", **dcmread_options):
    """pydicom's ``dcmread`` once :func:`check_structure` has passed; DICOMTeachError (file, reason) otherwise.

    A file its end cuts is refused (``allow_cut_pixels``: unless only its pixel data is cut).
    """
    import warnings

    import pydicom

    structure = check_structure(path, stop_at_pixels=stop_before_pixels)
    if structure.truncated and not (allow_cut_pixels and structure.truncated_in_pixel_data):
        raise InvalidDicomError(f"the file ends early: {structure.truncated}", path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom's value warnings: our callers report what matters
        try:
            with BoundedFile(path) as handle:
                return pydicom.dcmread(handle, stop_before_pixels=stop_before_pixels, **dcmread_options)
        except file_caused_errors() as error:
            raise InvalidDicomError(f"cannot read {what}: {type(error).__name__}: {error}", path) from error


#: Reads up to this many bytes are passed through unclamped (harmless whatever the file holds).
_SMALL_READ = 1 << 16


class BoundedFile(io.BufferedReader):
    """A file opened for reading whose ``read(n)`` never asks for more than what remains of it.

    pydicom reads a value with ``read(declared length)``, and Python allocates the whole request
    before reading: a length field of 4 GB allocates 4 GB, even though the file has a few kilobytes.
    Handed to pydicom (also as the type it reopens the file with for deferred values), reads are
    clamped to the file's size: whatever pydicom makes of damaged bytes, it cannot allocate more
    than the file holds.
    """

    def __init__(self, file: str | os.PathLike[str], mode: str = "rb", *args, **kwargs) -> None:
        super().__init__(io.FileIO(file, "rb"))
        self._size = os.fstat(self.fileno()).st_size

    def read(self, size: int | None = -1) -> bytes:
        # Small reads cannot allocate much: only a large request is clamped (one tell() per element header
        # read was a tenth of explaining a CT slice).
        if size is not None and size > _SMALL_READ:
            size = min(size, max(self._size - self.tell(), 0))
        return super().read(size)
