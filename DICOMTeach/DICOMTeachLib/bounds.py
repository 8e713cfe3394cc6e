"""Image header values checked at examine time, before anything is planned, allocated or decoded.

A header can declare what no pixel data could hold (NumberOfFrames 999999999,
Columns 0, BitsStored 40 of 16 allocated), geometry no scanner measured (a
spacing of 0 or 1e308, a NaN position), or a photometric interpretation its
codec cannot produce (JPEG 2000 data said to be YBR_FULL_422, on which a native
decoder aborts the process). Such a file is refused with the reason, so that
examine, the DICOM browser and load never act on it.
"""

from __future__ import annotations

import functools
import math
import struct
from typing import Any

from pydicom.dataelem import RawDataElement

from .errors import InvalidDicomError
from .fast_header import interned_tag
from .pixel_data import pixel_data_info

#: Plausible bounds (mm): far beyond any real image, far below overflow.
MAX_SPACING_MM = 1.0e5
MAX_POSITION_MM = 1.0e7
_BITS_ALLOCATED = {1, 8, 16, 32, 64}
_SAMPLES = {1, 3, 4}
#: Photometric interpretations each JPEG 2000 / JPEG family can produce (PS3.5 8.2).
_J2K = {"1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202",
        "1.2.840.10008.1.2.4.203"}
_J2K_PHOTOMETRIC = {"MONOCHROME1", "MONOCHROME2", "RGB", "YBR_ICT", "YBR_RCT", "PALETTE COLOR", "YBR_FULL"}
_KNOWN_PHOTOMETRIC = {"MONOCHROME1", "MONOCHROME2", "RGB", "YBR_ICT", "YBR_RCT", "PALETTE COLOR", "YBR_FULL",
                      "YBR_FULL_422", "YBR_PARTIAL_420", "YBR_PARTIAL_422", "HSV", "ARGB", "CMYK"}


_TAGS = {
    "Rows": (0x00280010, "US"), "Columns": (0x00280011, "US"), "BitsAllocated": (0x00280100, "US"),
    "BitsStored": (0x00280101, "US"), "HighBit": (0x00280102, "US"), "SamplesPerPixel": (0x00280002, "US"),
    "NumberOfFrames": (0x00280008, "IS"), "PhotometricInterpretation": (0x00280004, "CS"),
    "PixelSpacing": (0x00280030, "DS"), "ImagerPixelSpacing": (0x00181164, "DS"), "SliceThickness": (0x00180050, "DS"),
    "SpacingBetweenSlices": (0x00180088, "DS"), "ImagePositionPatient": (0x00200032, "DS"),
    "ImageOrientationPatient": (0x00200037, "DS"), "RescaleSlope": (0x00281053, "DS"),
    "RescaleIntercept": (0x00281052, "DS"), "SharedFunctionalGroupsSequence": (0x52009229, "SQ"),
    "PerFrameFunctionalGroupsSequence": (0x52009230, "SQ"),
}
#: keyword -> (the one BaseTag object of the tag, so dataset lookups skip BaseTag.__eq__; VR)
_TAGS = {keyword: (interned_tag(tag), vr) for keyword, (tag, vr) in _TAGS.items()}


def _get(ds: Any, keyword: str) -> Any:
    """A header value without pydicom's conversion when the raw bytes say it plainly (examine reads many
    headers: converting each value twice, here and in the examiner, would cost)."""
    tag, vr = _TAGS[keyword]
    try:
        element = ds._dict.get(tag)
    except AttributeError:
        return ds.get(keyword)
    if element is None:
        return None
    if type(element) is RawDataElement and element.is_little_endian and element.VR in (None, vr):
        raw = element.value
        if not raw:  # an empty value
            return None
        if vr == "US" and len(raw) == 2:
            return raw[0] | raw[1] << 8
        if vr in ("DS", "IS", "CS"):
            text = raw.decode("latin-1").strip(" \0")
            return text.split("\\") if "\\" in text else text
    return ds[tag].value


def _int(ds: Any, keyword: str) -> int | None:
    value = _get(ds, keyword)
    if value is None or value == "":
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValueError(f"{keyword} {str(value)[:40]!r} is not a number") from None


def _numbers(value: Any) -> list[float]:
    if value is None or value == "":
        return []
    items = value if isinstance(value, (list, tuple)) or hasattr(value, "__iter__") and not isinstance(value, str) \
        else [value]
    return [float(item) for item in items if str(item).strip() != ""]


def _check_geometry(item: Any, where: str) -> None:
    for keyword in ("PixelSpacing", "ImagerPixelSpacing"):
        spacing = _numbers(_get(item, keyword))
        if any(not (0 < abs(v) <= MAX_SPACING_MM) for v in spacing):  # NaN fails the comparison too
            raise ValueError(f"{keyword} {spacing} {where}is not a usable spacing (must be > 0 and finite)")
    for keyword in ("SliceThickness", "SpacingBetweenSlices"):
        values = _numbers(_get(item, keyword))
        if any(not (abs(v) <= MAX_SPACING_MM) for v in values):
            raise ValueError(f"{keyword} {values} {where}is not a finite distance")
    position = _numbers(_get(item, "ImagePositionPatient"))
    if any(not (abs(v) <= MAX_POSITION_MM) for v in position):
        raise ValueError(f"ImagePositionPatient {position} {where}is not a finite position")
    orientation = _numbers(_get(item, "ImageOrientationPatient"))
    if orientation:
        if any(not (abs(v) <= 2) for v in orientation):
            raise ValueError(f"ImageOrientationPatient {orientation} {where}is not made of direction cosines")
        if len(orientation) == 6 and (math.hypot(*orientation[:3]) < 1e-6 or math.hypot(*orientation[3:]) < 1e-6):
            raise ValueError(f"ImageOrientationPatient {orientation} {where}has a zero direction")
    for keyword in ("RescaleSlope", "RescaleIntercept"):
        values = _numbers(_get(item, keyword))
        if any(not (abs(v) <= 1e30) for v in values):
            raise ValueError(f"{keyword} {values} {where}is not a finite number")


def _functional_items(ds: Any) -> list[tuple[Any, str]]:
    """(macro item, where) of the shared and per-frame functional groups that carry geometry."""
    found = []
    for sequence_keyword, label in (("SharedFunctionalGroupsSequence", "in the shared functional groups "),
                                    ("PerFrameFunctionalGroupsSequence", "in frame ")):
        for number, group in enumerate(_get(ds, sequence_keyword) or []):
            where = label if label.startswith("in the") else f"{label}{number + 1} "
            for macro in ("PixelMeasuresSequence", "PlanePositionSequence", "PlaneOrientationSequence",
                          "PixelValueTransformationSequence"):
                for item in group.get(macro) or []:
                    found.append((item, where))
    return found


def _check_sizes(ds: Any, transfer_syntax: str, file_size: int, path: str = "") -> None:
    rows, columns = _int(ds, "Rows"), _int(ds, "Columns")
    for keyword, value in (("Rows", rows), ("Columns", columns)):
        if value is not None and value <= 0:
            raise ValueError(f"{keyword} is {value}: an image has at least one {keyword[:-1].lower()}")
    bits_allocated, bits_stored = _int(ds, "BitsAllocated"), _int(ds, "BitsStored")
    high_bit, samples = _int(ds, "HighBit"), _int(ds, "SamplesPerPixel")
    if bits_allocated is not None and bits_allocated not in _BITS_ALLOCATED:
        raise ValueError(f"BitsAllocated is {bits_allocated} (1, 8, 16, 32 or 64)")
    if bits_stored is not None and not 1 <= bits_stored <= (bits_allocated or 64):
        raise ValueError(f"BitsStored is {bits_stored} with BitsAllocated {bits_allocated}")
    if high_bit is not None and not 0 <= high_bit < (bits_allocated or 64):
        raise ValueError(f"HighBit is {high_bit} with BitsAllocated {bits_allocated}")
    if samples is not None and samples not in _SAMPLES:
        raise ValueError(f"SamplesPerPixel is {samples} (1, 3 or 4)")
    frames = _int(ds, "NumberOfFrames")
    if frames is not None and frames <= 0:
        raise ValueError(f"NumberOfFrames is {frames}: at least one frame")
    info = pixel_data_info(ds)
    if frames is None or frames == 1 or not rows or not columns or info is None or not info.present:
        return
    if info.length is not None:  # native: every frame's bytes must be in the pixel data
        frame_bits = rows * columns * (samples or 1) * (bits_allocated or 16)
        if frames * frame_bits > 8 * info.length + 7:
            raise ValueError(f"NumberOfFrames {frames} of {rows}x{columns} need {frames * frame_bits // 8} bytes; "
                             f"the pixel data has {info.length}")
    elif frames > max(file_size - info.offset, 0) // 8:  # encapsulated: each frame has at least an item header
        raise ValueError(f"NumberOfFrames {frames} cannot fit in the {file_size - info.offset} bytes of "
                         f"encapsulated pixel data")
    elif path:
        fragments = _fragments_up_to(path, info.offset, frames)
        if fragments < frames:  # each frame takes one fragment at least (PS3.5 A.4)
            raise ValueError(f"NumberOfFrames {frames}, but the encapsulated pixel data holds {fragments} "
                             f"fragment(s)")


def _fragments_up_to(path: str, offset: int, wanted: int) -> int:
    """How many fragments follow the Basic Offset Table of the encapsulated pixel data at ``offset`` (counting
    stops at ``wanted``): item headers are read, never the fragments."""
    count = -1  # the first item is the Basic Offset Table
    with open(path, "rb") as handle:
        handle.seek(offset)
        while count < wanted:
            header = handle.read(8)
            if len(header) < 8:
                break
            group, element, length = struct.unpack("<HHL", header)
            if (group, element) != (0xFFFE, 0xE000) or length == 0xFFFFFFFF:
                break
            count += 1
            handle.seek(length, 1)
    return max(count, 0)


def _check_photometric(ds: Any, transfer_syntax: str) -> None:
    photometric = str(_get(ds, "PhotometricInterpretation") or "").strip().upper()
    if not photometric:
        return
    if photometric not in _KNOWN_PHOTOMETRIC:
        raise ValueError(f"PhotometricInterpretation {photometric!r} is not one PS3.3 defines")
    if transfer_syntax in _J2K and photometric not in _J2K_PHOTOMETRIC:
        # a native JPEG 2000 decoder aborts the process on this contradiction: never hand it over
        raise ValueError(f"PhotometricInterpretation {photometric} contradicts JPEG 2000 compression "
                         "(which stores MONOCHROME, RGB, YBR_ICT/YBR_RCT or YBR_FULL)")
    samples = _int(ds, "SamplesPerPixel")
    implied = samples_of(photometric)
    if implied and (samples or 1) != implied:  # GDCM aborts on this contradiction too
        raise ValueError(f"PhotometricInterpretation {photometric} has {implied} sample(s) per pixel, "
                         f"SamplesPerPixel says {samples or 1}")


def samples_of(photometric: str) -> int | None:
    """The samples per pixel a photometric interpretation implies (PS3.3 C.7.6.3.1.2); None if unknown."""
    if photometric.startswith("MONOCHROME") or photometric == "PALETTE COLOR":
        return 1
    if photometric in ("ARGB", "CMYK"):
        return 4
    if photometric in _KNOWN_PHOTOMETRIC:
        return 3
    return None


@functools.lru_cache(maxsize=64)
def _is_transfer_syntax(uid: str) -> bool:
    from pydicom.uid import UID

    return UID(uid).is_transfer_syntax


def check_image_header(ds: Any, path: str) -> None:
    """Refuse (InvalidDicomError naming the reason) an image header no pixel data or geometry can match."""
    from .safe_read import file_caused_errors

    if _get(ds, "Rows") is None and _get(ds, "Columns") is None and _get(ds, "NumberOfFrames") is None:
        return
    meta = getattr(ds, "file_meta", None)
    syntax_element = meta._dict.get(interned_tag(0x00020010)) if meta is not None else None
    syntax_value = syntax_element.value if syntax_element is not None else ""
    transfer_syntax = (syntax_value.decode("latin-1") if isinstance(syntax_value, bytes) else str(syntax_value or "")) \
        .strip("\0 ")
    info = pixel_data_info(ds)
    if syntax_element is not None and (info is None or info.present):
        if not _is_transfer_syntax(transfer_syntax):
            raise InvalidDicomError(f"its Transfer Syntax UID {transfer_syntax[:64]!r} is not a transfer syntax: "
                                    "its pixel data cannot be read", path)
    try:
        _check_sizes(ds, transfer_syntax, info.file_size if info is not None else 0, path)
        _check_photometric(ds, transfer_syntax)
        _check_geometry(ds, "")
        for item, where in _functional_items(ds):
            _check_geometry(item, where)
    except file_caused_errors() as error:
        raise InvalidDicomError(f"the image header cannot be used: {error}", path) from error


_J2K_SIZ = struct.Struct(">HHHHIIIIIIIIH")  # SOC, SIZ marker, Lsiz, Rsiz, Xsiz, Ysiz, XOsiz, YOsiz, tiles (4), Csiz


def _codestream(fragment: bytes) -> bytes | None:
    """The JPEG 2000 codestream in a frame's first fragment (a JP2 file's 'jp2c' box is opened); None if absent."""
    if fragment[:4] == b"\xff\x4f\xff\x51":
        return fragment
    at = fragment.find(b"jp2c", 0, 4096)
    if fragment[4:8] == b"jP  " and at >= 4:
        return fragment[at + 4:]
    return None


def check_jpeg2000_frames(dataset: Any, path: str) -> None:
    """Refuse JPEG 2000 frames whose codestream contradicts the header (size, components, precision).

    A native decoder (GDCM) aborts the whole process on such a contradiction: it must never see one.
    Frames that do not start with a JPEG 2000 codestream are refused too.
    """
    from pydicom.encaps import generate_frames

    meta = getattr(dataset, "file_meta", None)
    syntax = str(meta.get("TransferSyntaxUID", "") if meta is not None else "").strip("\0 ")
    if syntax not in _J2K or "PixelData" not in dataset:
        return
    rows, columns = _int(dataset, "Rows"), _int(dataset, "Columns")
    samples, bits_stored = _int(dataset, "SamplesPerPixel") or 1, _int(dataset, "BitsStored")
    photometric = str(_get(dataset, "PhotometricInterpretation") or "").strip().upper()
    if samples_of(photometric) not in (None, samples):
        raise InvalidDicomError(f"PhotometricInterpretation {photometric} contradicts SamplesPerPixel {samples}",
                                path)
    frames = _int(dataset, "NumberOfFrames") or 1
    try:
        for number, frame in enumerate(generate_frames(dataset.PixelData, number_of_frames=frames), start=1):
            stream = _codestream(frame)
            if stream is None or len(stream) < _J2K_SIZ.size:
                raise InvalidDicomError(f"frame {number} is not a JPEG 2000 codestream", path)
            (soc, siz, _, _, x, y, x0, y0, *_, components) = _J2K_SIZ.unpack_from(stream)
            width, height = x - x0, y - y0
            if (rows, columns) != (height, width) or components != samples:
                raise InvalidDicomError(
                    f"frame {number}: the JPEG 2000 codestream holds {width}x{height} pixels with {components} "
                    f"component(s), the header says {columns}x{rows} with SamplesPerPixel {samples}", path)
            offset = _J2K_SIZ.size
            if len(stream) >= offset + 3 * components and bits_stored is not None:
                precisions = {(stream[offset + 3 * c] & 0x7F) + 1 for c in range(components)}
                if max(precisions) > max(bits_stored, 1) + 8 or max(precisions) > 38:
                    raise InvalidDicomError(f"frame {number}: JPEG 2000 precision {max(precisions)} bits against "
                                            f"BitsStored {bits_stored}", path)
    except (ValueError, struct.error) as error:
        raise InvalidDicomError(f"the encapsulated pixel data cannot be split into frames: {error}", path) from error
