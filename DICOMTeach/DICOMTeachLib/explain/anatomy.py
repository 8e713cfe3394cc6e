"""The file as the course draws it: preamble, "DICM", file meta group, data set, pixel data.

Positions are byte offsets in the file, found from where pydicom read each value
(``value_tell``) minus the element header; tests check them against the raw bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pydicom.datadict import get_entry
from pydicom.dataelem import RawDataElement
from pydicom.uid import UID

from ..tag_format import tag_text
from .reader import UNDEFINED_LENGTH, ReadInstance, element_header_length, length_in_file
from .values import raw_value_text, value_text

if TYPE_CHECKING:
    from .model import Explanation

PREAMBLE_LENGTH = 128
PIXEL_DATA_TAGS = (0x7FE00010, 0x7FE00008, 0x7FE00009)  # Pixel Data, Float / Double Float Pixel Data
#: Encapsulated pixel data with more items than this is summarised without counting further.
MAX_FRAGMENTS = 100_000

#: What each file meta element is for (PS3.10 7.1), in the course's words.
FILE_META_MEANINGS = {
    0x00020000: "length in bytes of the rest of the file meta group: tells a reader where the data set starts",
    0x00020001: "version of the file meta header (two bytes, 00 01)",
    0x00020002: "SOP class of the stored instance (the same as SOP Class UID (0008,0016) in the data set)",
    0x00020003: "the instance's own UID (the same as SOP Instance UID (0008,0018))",
    0x00020010: "how the data set after this group is encoded: VR explicit or implicit, byte order, compression",
    0x00020012: "identifies the software implementation that wrote the file",
    0x00020013: "version name of that software",
    0x00020016: "AE title of the application that wrote or received the file",
    0x00020017: "AE title of the application that sent the file",
    0x00020018: "AE title of the application that received the file",
    0x00020026: "presentation address of the source application",
    0x00020027: "presentation address of the sending application",
    0x00020028: "presentation address of the receiving application",
    0x00020031: "RTV meta information version",
    0x00020032: "RTV communication SOP class",
    0x00020033: "RTV communication SOP instance",
    0x00020035: "RTV source identifier",
    0x00020036: "RTV flow identifier",
    0x00020037: "RTV flow RTP sampling rate",
    0x00020038: "RTV flow actual frame duration",
    0x00020100: "UID of whoever defined the private information below",
    0x00020102: "private information (its meaning is defined by the private information creator)",
}


@dataclass
class ElementAnatomy:
    """One element's place in the file."""

    tag: str
    keyword: str
    name: str
    vr: str
    offset: int | None  # of the tag's first byte
    header_length: int  # tag + (VR) + length field
    length: int | None  # value length; None for undefined length
    value: str
    meaning: str = ""


@dataclass
class TransferSyntaxInfo:
    uid: str
    name: str
    explicit_vr: bool
    little_endian: bool
    encapsulated: bool
    deflated: bool
    explanation: list[str] = field(default_factory=list)


@dataclass
class PixelSummary:
    keyword: str
    offset: int | None
    length: int | None  # None: undefined length (encapsulated)
    rows: int | None
    columns: int | None
    frames: int
    samples_per_pixel: int | None
    bits_allocated: int | None
    bits_stored: int | None
    photometric: str
    encapsulated: bool
    native_bytes: int | None  # rows x columns x frames x samples x bits allocated / 8
    fragments: int | None = None  # encapsulated: data fragments after the offset table
    offset_table_entries: int | None = None  # encapsulated: Basic Offset Table entries (0 = empty table)
    fragment_bytes: int | None = None


@dataclass
class FileAnatomy:
    path: str
    file_size: int
    has_preamble: bool
    preamble_all_zero: bool | None
    preamble_head: str  # first bytes of the preamble, hex
    dicm_offset: int | None
    meta_elements: list[ElementAnatomy]
    meta_group_length: int | None  # as stated in (0002,0000)
    dataset_offset: int | None  # first byte of the data set (after the meta group)
    transfer_syntax: TransferSyntaxInfo | None
    elements: list[ElementAnatomy]
    pixel: PixelSummary | None
    notes: list[str] = field(default_factory=list)


def transfer_syntax_info(uid: str) -> TransferSyntaxInfo:
    """A transfer syntax named and explained: VR, byte order, compression."""
    ts = UID(uid)
    name = ts.name if ts.name != uid else "unknown transfer syntax"
    known = ts.is_transfer_syntax
    explicit = not ts.is_implicit_VR if known else True
    little = ts.is_little_endian if known else True
    encapsulated = ts.is_encapsulated if known else False
    deflated = ts.is_deflated if known else False
    lines = [
        ("Explicit VR: each element states its VR in two letters after the tag"
         if explicit else "Implicit VR: no VR in the file; readers take it from the data dictionary"),
        ("Little endian: numbers are stored least significant byte first"
         if little else "Big endian: numbers are stored most significant byte first (retired)"),
    ]
    if deflated:
        lines.append("Deflated: everything after the file meta group is zlib-compressed (deflate)")
    if encapsulated:
        lines.append(f"Encapsulated pixel data, {_compression(name)}: frames are stored as fragments in "
                     "items after a Basic Offset Table")
    else:
        lines.append("Native pixel data: the pixels are stored uncompressed, row by row")
    if not known:
        lines.append(f"{uid} is not a transfer syntax pydicom knows: the layout above is a guess")
    return TransferSyntaxInfo(str(uid), name, explicit, little, encapsulated, deflated, lines)


def _compression(name: str) -> str:
    lowered = name.lower()
    for key, text in (("jpeg-ls", "JPEG-LS"), ("jpeg 2000", "JPEG 2000"), ("high-throughput", "HTJ2K"),
                      ("htj2k", "HTJ2K"), ("jpeg xl", "JPEG XL"), ("rle", "RLE (run-length, lossless)"),
                      ("mpeg", "MPEG video"), ("hevc", "HEVC/H.265 video"), ("jpip", "JPIP referenced"),
                      ("lossless", "JPEG lossless"), ("jpeg", "JPEG")):
        if key in lowered:
            if "lossless" in lowered and "lossless" not in text:
                return f"{text} (lossless)"
            return text
    return "compressed"


def file_anatomy(instance: ReadInstance, explanation: Explanation | None = None) -> FileAnatomy:
    """The layout of ``instance``'s file; ``explanation`` supplies the values already shown in the breakdown."""
    path = instance.path
    with open(path, "rb") as handle:
        head = handle.read(PREAMBLE_LENGTH + 4)
    notes: list[str] = []
    all_zero = None
    preamble_head = ""
    if instance.has_preamble:
        preamble = head[:PREAMBLE_LENGTH]
        all_zero = not any(preamble)
        preamble_head = preamble[:16].hex(" ")
        if not all_zero:
            notes.append("the preamble is not all zero: an application put its own bytes there "
                         f"(starts {preamble[:4]!r}; PS3.10 allows it, e.g. for TIFF)")
    ds = instance.dataset
    meta = getattr(ds, "file_meta", None)
    meta_elements = []
    group_length = None
    meta_end = None
    if meta is not None and len(meta):
        for tag in meta.keys():
            element = _anatomy_element(meta, tag, 0, True, path=path)
            element.meaning = FILE_META_MEANINGS.get(int(tag), "")
            meta_elements.append(element)
            if element.offset is not None and element.length is not None:
                meta_end = element.offset + element.header_length + element.length
        if 0x00020000 in meta:
            try:
                group_length = int(meta[0x00020000].value)
            except (TypeError, ValueError):
                group_length = None
        first = meta_elements[0].offset if meta_elements else None
        if group_length is not None and first is not None and meta_end is not None:
            stated_end = first + 12 + group_length
            if stated_end != meta_end:
                notes.append(f"(0002,0000) says the meta group ends at byte {stated_end}, its elements end at "
                             f"{meta_end}")
    ts_uid = str(meta.get("TransferSyntaxUID", "")) if meta is not None and len(meta) else ""
    ts_info = transfer_syntax_info(ts_uid) if ts_uid else None
    if ts_info is None:
        implicit, little = ds.original_encoding
        guess = "1.2.840.10008.1.2" if implicit else ("1.2.840.10008.1.2.1" if little else "1.2.840.10008.1.2.2")
        ts_info = transfer_syntax_info(guess)
        ts_info.explanation.insert(0, "No file meta: the transfer syntax was guessed from the first bytes")
    reports = _top_level_reports(explanation)
    elements = []
    for tag in ds.keys():
        report = reports.get(int(tag))
        element = _anatomy_element(ds, tag, 0, instance.offsets_known, report, path)
        elements.append(element)
    dataset_offset = meta_end if meta_end is not None else (0 if not instance.has_preamble else None)
    if instance.deflated:
        notes.append("the data set is deflated: its element positions are not file positions and are not shown")
    pixel = _pixel_summary(instance, ts_info)
    return FileAnatomy(path, instance.file_size or 0, instance.has_preamble, all_zero, preamble_head,
                       PREAMBLE_LENGTH if instance.has_preamble else None, meta_elements, group_length,
                       dataset_offset, ts_info, elements, pixel, notes)


def _top_level_reports(explanation: Explanation | None) -> dict:
    if explanation is None:
        return {}
    reports = {}
    for module in explanation.modules:
        if module.ie == "Functional Groups":
            continue
        for attribute in module.attributes:
            if attribute.status != "missing":
                reports.setdefault(attribute.tag_value, attribute)
    for attribute in explanation.other_elements:
        reports.setdefault(attribute.tag_value, attribute)
    return reports


def _anatomy_element(ds, tag, base: int, offsets_known: bool, report=None, path: str | None = None) -> ElementAnatomy:
    raw = ds.get_item(tag, keep_deferred=True)
    implicit, little = ds.original_encoding
    if isinstance(raw, RawDataElement):
        file_vr = None if raw.is_implicit_VR else raw.VR
        implicit, little = raw.is_implicit_VR, raw.is_little_endian
        tell, length = raw.value_tell, raw.length
    else:
        file_vr = None if implicit else raw.VR
        tell, length = raw.file_tell, (report.length if report is not None else None)
    header = element_header_length(file_vr, bool(implicit))
    offset = base + tell - header if (offsets_known and tell is not None) else None
    if length is None and offset is not None and path is not None and not getattr(raw, "is_undefined_length", False):
        with open(path, "rb") as handle:
            length = length_in_file(handle, offset, file_vr, bool(implicit), little is not False)
    if length == UNDEFINED_LENGTH:
        length = None
    try:
        dict_vr, _vm, name, _retired, keyword = get_entry(tag)
    except KeyError:
        dict_vr, name, keyword = "UN", ("Private tag" if (tag >> 16) & 1 else "Unknown element"), ""
    vr = file_vr or (raw.VR if not isinstance(raw, RawDataElement) else None) or dict_vr
    if report is not None:
        value = report.value or ""
        name = report.name or name
    elif isinstance(raw, RawDataElement) and raw.value is not None and " " not in vr:
        fast = raw_value_text(raw.value, vr, little is not False, True)
        value = fast[0] if fast else ""
    elif isinstance(raw, RawDataElement) and raw.value is None and length:
        value = f"<{length} bytes, not read>"
    else:
        try:
            converted = ds[tag]
            value = value_text(converted.value, converted.VR)
        except Exception:  # noqa: BLE001 - a damaged value is shown as such
            value = "<unreadable>"
    return ElementAnatomy(tag_text(tag), keyword, name, vr, offset, header, length, value)


def _number(ds, keyword: str) -> int | None:
    try:
        value = ds.get(keyword)
        if value is None or value == "":
            return None
        return int(value)
    except (TypeError, ValueError):
        return None


def _pixel_summary(instance: ReadInstance, ts: TransferSyntaxInfo) -> PixelSummary | None:
    ds = instance.dataset
    tag = next((t for t in PIXEL_DATA_TAGS if t in ds), None)
    if tag is None:
        return None
    raw = ds.get_item(tag, keep_deferred=True)
    implicit = ds.original_encoding[0]
    tell = raw.value_tell if isinstance(raw, RawDataElement) else raw.file_tell
    length = raw.length if isinstance(raw, RawDataElement) else None
    file_vr = None if implicit else (raw.VR or "OB")
    offset = tell - element_header_length(file_vr, bool(implicit)) if (tell is not None and instance.offsets_known) \
        else None
    rows, columns = _number(ds, "Rows"), _number(ds, "Columns")
    frames = _number(ds, "NumberOfFrames") or 1
    samples, allocated, stored = _number(ds, "SamplesPerPixel"), _number(ds, "BitsAllocated"), _number(ds, "BitsStored")
    photometric = str(ds.get("PhotometricInterpretation", "") or "")
    native = None
    if rows and columns and allocated:
        native = rows * columns * frames * (samples or 1) * allocated // 8
    encapsulated = length == UNDEFINED_LENGTH
    summary = PixelSummary(_keyword(tag), offset, None if encapsulated else length, rows, columns, frames,
                           samples, allocated, stored, photometric, encapsulated, native)
    if encapsulated and tell is not None and instance.offsets_known:
        _count_fragments(instance.path, tell, ts.little_endian, summary)
    return summary


def _keyword(tag: int) -> str:
    return {0x7FE00010: "PixelData", 0x7FE00008: "FloatPixelData", 0x7FE00009: "DoubleFloatPixelData"}[tag]


def _count_fragments(path: str, value_start: int, little: bool, summary: PixelSummary) -> None:
    """Walk the items of encapsulated pixel data: the Basic Offset Table, then the fragments."""
    order = "little" if little else "big"
    fragments, table_entries, fragment_bytes = 0, None, 0
    with open(path, "rb") as handle:
        handle.seek(value_start)
        for _ in range(MAX_FRAGMENTS + 1):
            header = handle.read(8)
            if len(header) < 8:
                break
            group = int.from_bytes(header[0:2], order)
            element = int.from_bytes(header[2:4], order)
            length = int.from_bytes(header[4:8], order)
            if (group, element) == (0xFFFE, 0xE0DD):  # sequence delimiter: end of pixel data
                break
            if (group, element) != (0xFFFE, 0xE000) or length == UNDEFINED_LENGTH:
                break
            if table_entries is None:
                table_entries = length // 4
            else:
                fragments += 1
                fragment_bytes += length
            handle.seek(length, 1)
    summary.fragments = fragments
    summary.offset_table_entries = table_entries
    summary.fragment_bytes = fragment_bytes
