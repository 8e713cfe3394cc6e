"""Read each frame's plane position and segment number straight from the file's bytes.

pydicom turns every per-frame functional group item into a Dataset: for a SEG
of a few thousand frames that costs more than decoding all the pixels. The two
values a SEG frame needs (ImagePositionPatient and ReferencedSegmentNumber)
sit at known tags inside the Per-Frame Functional Groups Sequence, so we find
them with one regular expression over that sequence's bytes (or, when
pydicom has already split an undefined-length sequence into items, over each
item's still-raw elements). The result is
used only when it is unambiguous: exactly one position and one segment number
per frame and no per-frame orientation or pixel spacing; otherwise the caller
reads the groups through pydicom.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

PER_FRAME_TAG = 0x52009230
UNDEFINED_LENGTH = 0xFFFFFFFF


def _tag_bytes(group: int, element: int) -> bytes:
    return group.to_bytes(2, "little") + element.to_bytes(2, "little")


IMAGE_POSITION = _tag_bytes(0x0020, 0x0032)
SEGMENT_NUMBER = _tag_bytes(0x0062, 0x000B)
#: Their presence per frame sends us to the general path.
PER_FRAME_ONLY_IN_GENERAL_PATH = [_tag_bytes(0x0020, 0x0037), _tag_bytes(0x0028, 0x0030),
                                  _tag_bytes(0x0048, 0x021A)]


@dataclass
class ScannedFrames:
    positions: np.ndarray  # (frames, 3)
    segment_numbers: np.ndarray  # (frames,), zeros when the SEG has none per frame (labelmap)


def _region(dataset: Any, path: str) -> bytes | None:
    from pydicom.dataelem import RawDataElement

    raw = dataset._dict.get(PER_FRAME_TAG)
    if not isinstance(raw, RawDataElement) or raw.value_tell is None:
        return None  # already parsed by someone: nothing to gain
    start = raw.value_tell
    if raw.length != UNDEFINED_LENGTH:
        end = start + raw.length
    else:
        later = [element.value_tell for tag, element in dataset._dict.items()
                 if tag > PER_FRAME_TAG and isinstance(element, RawDataElement) and element.value_tell]
        end = min(later) if later else None
    with open(path, "rb") as handle:
        handle.seek(start)
        return handle.read() if end is None else handle.read(end - start)


def _scan_bytes(region: bytes, explicit: bool) -> tuple[list[bytes], list[bytes], bool]:
    """(position values, segment number values, whether a per-frame orientation/spacing is there) in raw bytes."""
    header = 2 if explicit else 4  # the value length: 2 bytes after the VR (explicit) or 4 bytes (implicit)
    position_pattern = re.escape(IMAGE_POSITION) + (rb"DS" if explicit else b"")
    values = []
    for match in re.finditer(position_pattern, region):
        size = int.from_bytes(region[match.end():match.end() + header], "little")
        values.append(region[match.end() + header:match.end() + header + size])
    number_pattern = re.escape(SEGMENT_NUMBER) + (rb"US\x02\x00" if explicit else rb"\x02\x00\x00\x00")
    numbers = [region[match.end():match.end() + 2] for match in re.finditer(number_pattern, region)]
    return values, numbers, any(region.count(tag) for tag in PER_FRAME_ONLY_IN_GENERAL_PATH)


_GENERAL_PATH_TAGS = {0x00200037, 0x00280030, 0x0048021A}


def _scan_item(item: Any, explicit: bool, values: list[bytes], numbers: list[bytes]) -> bool:
    """Collect from an already-parsed item without converting its elements; False when the general path is needed."""
    from pydicom.datadict import dictionary_VR
    from pydicom.dataelem import RawDataElement

    for tag, element in item._dict.items():
        if tag in _GENERAL_PATH_TAGS:
            return False
        if isinstance(element, RawDataElement):
            if tag == 0x00200032:
                values.append(element.value or b"")
            elif tag == 0x0062000B:
                numbers.append((element.value or b"")[:2])
            elif isinstance(element.value, bytes) and (element.VR == "SQ" or element.VR is None and tag
                                                        and _is_sequence(tag, dictionary_VR)):
                found_values, found_numbers, general = _scan_bytes(element.value, explicit)
                if general:
                    return False
                values += found_values
                numbers += found_numbers
        elif element.VR == "SQ":
            for child in element.value:
                if not _scan_item(child, explicit, values, numbers):
                    return False
        elif tag == 0x00200032:
            values.append("\\".join(str(v) for v in element.value).encode())
        elif tag == 0x0062000B:
            numbers.append(int(element.value).to_bytes(2, "little"))
    return True


def _is_sequence(tag: int, dictionary_vr) -> bool:
    try:
        return dictionary_vr(tag) == "SQ"
    except KeyError:
        return False


def _scan_parsed(dataset: Any, explicit: bool) -> tuple[list[bytes], list[bytes]] | None:
    """Per-frame items pydicom already split (an undefined-length sequence): scan each item's raw parts."""
    element = dataset._dict.get(PER_FRAME_TAG)
    if element is None or getattr(element, "VR", None) != "SQ" or not hasattr(element.value, "__iter__"):
        return None
    values: list[bytes] = []
    numbers: list[bytes] = []
    for item in element.value:
        before = (len(values), len(numbers))
        if not _scan_item(item, explicit, values, numbers):
            return None
        if len(values) - before[0] != 1 or len(numbers) - before[1] > 1:
            return None
    return values, numbers


def scan_frames(dataset: Any, path: str, frames: int, labelmap: bool) -> ScannedFrames | None:
    """Positions and segment numbers of every frame, or None when the fast read does not apply."""
    from pydicom.dataelem import RawDataElement

    meta = getattr(dataset, "file_meta", None)
    syntax = meta.get("TransferSyntaxUID") if meta is not None else None
    if syntax is None or not syntax.is_little_endian or syntax.is_deflated:
        return None
    explicit = not syntax.is_implicit_VR
    if isinstance(dataset._dict.get(PER_FRAME_TAG), RawDataElement):
        region = _region(dataset, path)
        if not region:
            return None
        values, numbers, general = _scan_bytes(region, explicit)
        if general:
            return None
    else:
        scanned = _scan_parsed(dataset, explicit)
        if scanned is None:
            return None
        values, numbers = scanned
    if len(values) != frames or (not labelmap and len(numbers) != frames) or (labelmap and numbers):
        return None
    try:
        coordinates = [float(v) for value in values for v in value.strip(b" \x00").split(b"\\")]
    except ValueError:
        return None
    if len(coordinates) != 3 * frames:
        return None
    segment_numbers = np.frombuffer(b"".join(numbers), dtype="<u2").astype(np.int64) if numbers \
        else np.zeros(frames, dtype=np.int64)
    return ScannedFrames(np.array(coordinates).reshape(frames, 3), segment_numbers)
