"""The file as the course draws it: preamble, "DICM", file meta group, data set, pixel data.

Positions are byte offsets in the file, found from where pydicom read each value
(``value_tell``) minus the element header; tests check them against the raw bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pydicom.datadict import get_entry
from pydicom.dataelem import RawDataElement
from pydicom.multival import MultiValue
from pydicom.uid import UID

from ..tag_format import tag_text
from .reader import UNDEFINED_LENGTH, ReadInstance, element_header_length, length_in_file
from .values import raw_value_text, value_text

if TYPE_CHECKING:
    from .model import Explanation, Problem

PREAMBLE_LENGTH = 128
PIXEL_DATA_TAGS = (0x7FE00010, 0x7FE00008, 0x7FE00009)  # Pixel Data, Float / Double Float Pixel Data
#: Encapsulated pixel data with more items than this is summarised without counting further.
MAX_FRAGMENTS = 100_000
#: Encapsulated pixel data items the views list one by one, at most (the rest are counted).
MAX_PIXEL_ITEMS = 200

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
    vm: int | None = None  # values in the file (VM as written); None when the value was not read


@dataclass
class PixelItem:
    """One item of encapsulated pixel data (PS3.5 A.4): the Basic Offset Table, a fragment, or the delimiter."""

    kind: str  # "offset table", "fragment", "sequence delimiter"
    offset: int  # of the item tag in the file
    length: int  # value length (0 for the delimiter)
    frame: int | None = None  # fragments: the frame they belong to (1-based), None when it cannot be told


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
    vr: str = ""  # as written, or as PS3.5 A.1 gives it for implicit VR (OW)
    items: list[PixelItem] = field(default_factory=list)  # encapsulated: every item, in file order
    offset_table: list[int] = field(default_factory=list)  # Basic Offset Table entries (bytes after the table)
    frame_mapping: str = ""  # how fragments map to frames, in words
    problems: list[str] = field(default_factory=list)  # offset table entries that point nowhere, ...
    fragment_starts: list[bytes] = field(default_factory=list, repr=False)  # first bytes of each fragment


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
                         f"(starts {preamble[:4].hex(' ')} = '{_printable(preamble[:4])}'; PS3.10 allows it, "
                         "e.g. for TIFF)")
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
    return explanation.top_level_attributes() if explanation is not None else {}


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
    if implicit and file_vr is None:
        vr = implicit_vr(int(tag), vr)
    raw_bytes = raw.value if isinstance(raw, RawDataElement) and isinstance(raw.value, bytes) else None
    converted_value = None if isinstance(raw, RawDataElement) else raw.value
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
            converted_value = converted.value
            value = value_text(converted.value, converted.VR)
        except Exception:  # noqa: BLE001 - a damaged value is shown as such
            value = "<unreadable>"
    vm = value_multiplicity(vr, length, raw_bytes, converted_value,
                            read=not (isinstance(raw, RawDataElement) and raw.value is None))
    return ElementAnatomy(tag_text(tag), keyword, name, vr, offset, header, length, value, vm=vm)


#: PS3.5 A.1: with implicit VR little endian, Pixel Data and Overlay Data are OW.
def implicit_vr(tag: int, dictionary_vr: str) -> str:
    """The VR an implicit VR file gives an element whose dictionary VR is ambiguous ("OB or OW")."""
    if " or " in dictionary_vr and (tag == 0x7FE00010 or (tag & 0xFF00FFFF) == 0x60003000):
        return "OW"
    return dictionary_vr


#: Bytes per value of the binary VRs: their VM is the length divided by this.
BINARY_VALUE_SIZES = {"US": 2, "SS": 2, "US or SS": 2, "UL": 4, "SL": 4, "FL": 4, "FD": 8, "AT": 4, "SV": 8, "UV": 8}
#: VRs whose value is always one value (PS3.5 6.4: "VM is always 1").
SINGLE_VALUE_VRS = frozenset({"LT", "ST", "UT", "UR", "OB", "OD", "OF", "OL", "OV", "OW", "UN", "SQ", "OB or OW"})


def value_multiplicity(vr: str, length: int | None, raw_bytes: bytes | None, value: object,
                       read: bool = True) -> int | None:
    """How many values the element holds (its VM as written): backslashes, or length / value size."""
    if length == 0:
        return 0
    size = BINARY_VALUE_SIZES.get(vr)
    if size is not None:
        return length // size if length is not None else None
    if vr in SINGLE_VALUE_VRS:
        return 1
    if raw_bytes is not None:
        return raw_bytes.count(b"\\") + 1  # text VRs separate values with a backslash (PS3.5 6.4)
    if not read:
        return None
    if isinstance(value, (list, tuple, MultiValue)):
        return len(value)
    return None if value is None else 1


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
    if file_vr is None:
        try:
            vr = implicit_vr(tag, get_entry(tag)[0])
        except KeyError:
            vr = "OW"
    else:
        vr = file_vr
    summary = PixelSummary(_keyword(tag), offset, None if encapsulated else length, rows, columns, frames,
                           samples, allocated, stored, photometric, encapsulated, native, vr=vr)
    if encapsulated and tell is not None and instance.offsets_known:
        _walk_fragments(instance.path, tell, ts.little_endian, summary)
        _map_fragments_to_frames(summary, _extended_offsets(ds))
    return summary


def _keyword(tag: int) -> str:
    return {0x7FE00010: "PixelData", 0x7FE00008: "FloatPixelData", 0x7FE00009: "DoubleFloatPixelData"}[tag]


#: First bytes of a compressed frame: JPEG SOI, JPEG 2000 codestream SOC, JP2 box header (PS3.5 A.4, ISO 10918/15444).
FRAME_START_MARKERS = (b"\xff\xd8", b"\xff\x4f\xff\x51", b"\x00\x00\x00\x0cjP")


def _walk_fragments(path: str, value_start: int, little: bool, summary: PixelSummary) -> None:
    """Walk the items of encapsulated pixel data: the Basic Offset Table, the fragments, the delimiter."""
    order = "little" if little else "big"
    fragments, table_entries, fragment_bytes = 0, None, 0
    starts = summary.fragment_starts
    with open(path, "rb") as handle:
        handle.seek(value_start)
        position = value_start
        for _ in range(MAX_FRAGMENTS + 1):
            header = handle.read(8)
            if len(header) < 8:
                summary.problems.append(f"the file ends at byte {position} before the sequence delimiter "
                                        "(FFFE,E0DD) that must close encapsulated pixel data")
                break
            group = int.from_bytes(header[0:2], order)
            element = int.from_bytes(header[2:4], order)
            length = int.from_bytes(header[4:8], order)
            if (group, element) == (0xFFFE, 0xE0DD):  # sequence delimiter: end of pixel data
                summary.items.append(PixelItem("sequence delimiter", position, length))
                break
            if (group, element) != (0xFFFE, 0xE000) or length == UNDEFINED_LENGTH:
                summary.problems.append(f"byte {position} holds ({group:04X},{element:04X}) where an item "
                                        "(FFFE,E000) of defined length was expected")
                break
            if table_entries is None:
                table_entries = length // 4
                summary.items.append(PixelItem("offset table", position, length))
                table = handle.read(length)
                summary.offset_table = [int.from_bytes(table[i:i + 4], order) for i in range(0, len(table) - 3, 4)]
                position += 8 + length
                continue
            fragments += 1
            fragment_bytes += length
            summary.items.append(PixelItem("fragment", position, length))
            starts.append(handle.read(min(length, 4)))
            handle.seek(position + 8 + length)
            position += 8 + length
    summary.fragments = fragments
    summary.offset_table_entries = table_entries
    summary.fragment_bytes = fragment_bytes


def _extended_offsets(ds) -> list[int]:
    """Extended Offset Table (7FE0,0001), 64-bit offsets used instead of an empty Basic Offset Table."""
    if 0x7FE00001 not in ds:
        return []
    try:
        data = ds[0x7FE00001].value
    except Exception:  # noqa: BLE001 - a damaged table is treated as absent
        return []
    if not isinstance(data, (bytes, bytearray)):
        return []
    order = "little" if ds.original_encoding[1] is not False else "big"
    return [int.from_bytes(data[i:i + 8], order) for i in range(0, len(data) - 7, 8)]


def _map_fragments_to_frames(summary: PixelSummary, extended: list[int]) -> None:
    """Which fragments make which frame (PS3.5 A.4): fragments are not frames."""
    fragments = [item for item in summary.items if item.kind == "fragment"]
    starts = summary.fragment_starts
    if not fragments:
        summary.frame_mapping = "no fragments: there is no compressed frame"
        return
    first = fragments[0].offset
    relative = {item.offset - first: item for item in fragments}
    table, source = (summary.offset_table, "Basic Offset Table") if summary.offset_table else \
        (extended, "Extended Offset Table (7FE0,0001)")
    frames = summary.frames
    if table:
        for entry in table:
            if entry not in relative:
                summary.problems.append(f"{source} entry {entry} does not point at a fragment's item tag "
                                        f"(offsets count from byte {first}, the first fragment's tag)")
        if len(table) != frames:
            summary.problems.append(f"the {source} has {len(table)} entries for {frames} frame(s): "
                                    "it must have one per frame")
        bounds = sorted(set(table) & set(relative))
        for item in fragments:
            position = item.offset - first
            before = [index for index, bound in enumerate(bounds) if bound <= position]
            item.frame = before[-1] + 1 if before else None
        summary.frame_mapping = (f"the {source} gives where each frame's first fragment starts, counted from "
                                 f"the first fragment's tag (byte {first}); a frame is that fragment and those "
                                 "up to the next entry")
    elif frames == 1:
        for item in fragments:
            item.frame = 1
        summary.frame_mapping = ("one frame: every fragment belongs to it (a frame may be split into "
                                 "several fragments)")
    elif len(fragments) == frames:
        for number, item in enumerate(fragments, start=1):
            item.frame = number
        summary.frame_mapping = ("empty offset table, as many fragments as frames: each frame is one fragment "
                                 "(a fragment never holds more than one frame)")
    else:
        marked = [number for number, start in enumerate(starts) if start.startswith(FRAME_START_MARKERS)]
        if len(marked) == frames and marked[:1] == [0]:
            frame = 0
            for number, item in enumerate(fragments):
                frame += number in marked
                item.frame = frame
            summary.frame_mapping = (f"empty offset table, {len(fragments)} fragments for {frames} frames: a "
                                     "frame starts at each fragment that begins with a codestream start marker "
                                     "(JPEG FFD8, JPEG 2000 FF4F), as decoders find them")
        else:
            summary.frame_mapping = (f"empty offset table, {len(fragments)} fragments for {frames} frames: "
                                     "which fragments make which frame cannot be told without decoding")


def layout_problems(explanation: Explanation, instance: ReadInstance) -> list[Problem]:
    """What the bytes do against PS3.5/PS3.10: odd value lengths, a file meta that contradicts the data set,
    encapsulated pixel data whose items do not add up."""
    from .model import Problem

    problems: list[Problem] = []
    seen: set[int] = set()
    located = []
    if explanation.anatomy is not None:
        located += [(e.tag, e.keyword or e.name, e.offset, e.length) for e in explanation.anatomy.meta_elements]
    located += [(a.tag, a.keyword or a.name, a.offset, a.length) for a in _all_reports(explanation)]
    little = instance.dataset.original_encoding[1] is not False
    for tag, label, offset, length in located:
        if offset is None or offset in seen or length is None or length % 2 == 0:
            continue
        seen.add(offset)
        if not _tag_written_at(instance.path, offset, tag, little or tag.startswith("(0002,")):
            continue  # a position we cannot confirm is no ground for a problem
        problems.append(Problem("error", "odd-length", tag, label or None, None,
                                f"{tag} {label} at byte {offset} has an odd value length ({length}): every value "
                                "length is even, values are padded to an even length (PS3.5 7.1.1)"))
    meta = getattr(instance.dataset, "file_meta", None)
    if meta is not None and len(meta):
        for meta_keyword, keyword, meta_tag in (("MediaStorageSOPClassUID", "SOPClassUID", "(0002,0002)"),
                                                ("MediaStorageSOPInstanceUID", "SOPInstanceUID", "(0002,0003)")):
            in_meta = _uid(meta, meta_keyword)
            in_data_set = _uid(instance.dataset, keyword)
            if in_meta and in_data_set and in_meta != in_data_set:
                problems.append(Problem(
                    "error", "meta-uid-mismatch", meta_tag, meta_keyword, None,
                    f"file meta {meta_keyword} {in_meta} differs from the data set's {keyword} {in_data_set}: "
                    "PS3.10 7.1 requires the same UID in both"))
    pixel = explanation.anatomy.pixel if explanation.anatomy is not None else None
    if pixel is not None:
        for message in pixel.problems:
            problems.append(Problem("error", "encapsulation", tag_text(0x7FE00010), pixel.keyword, None,
                                    f"encapsulated pixel data: {message} (PS3.5 A.4)"))
    return problems


def _tag_written_at(path: str, offset: int, tag: str, little: bool) -> bool:
    """The file holds ``tag`` ("(gggg,eeee)") at ``offset``."""
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            data = handle.read(4)
    except (OSError, ValueError):
        return False
    order = "little" if little else "big"
    return len(data) == 4 and tag_text(int.from_bytes(data[0:2], order) << 16 | int.from_bytes(data[2:4], order)) == tag


def _uid(ds, keyword: str) -> str:
    try:
        value = ds.get(keyword)
    except Exception:  # noqa: BLE001 - a damaged UID is reported by the value checks
        return ""
    return str(value).strip("\x00 ") if value else ""


def _all_reports(explanation: Explanation):
    """Every attribute report at any depth (modules, sequence items, other elements)."""
    stack = [a for module in explanation.modules for a in module.attributes] + list(explanation.other_elements)
    while stack:
        report = stack.pop()
        if report.status != "missing":
            yield report
        for item in report.items:
            stack.extend(item)


def _printable(data: bytes) -> str:
    """Bytes as the characters a hex viewer shows beside them: ASCII letters as such, anything else as '.'."""
    return "".join(chr(byte) if 32 <= byte < 127 else "." for byte in data)
