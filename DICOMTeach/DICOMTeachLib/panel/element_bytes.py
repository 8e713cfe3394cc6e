"""One element's bytes as they sit in the file: tag, VR, length field and value, in hex with offsets.

Read straight from the file (the breakdown gives the offset of the tag), so a
student sees that ``(0010,0010)`` is stored as ``10 00 10 00`` in little endian.
A PHI value is shown as dots when the mask is on: its characters would
otherwise be readable in the hex and text columns.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import DICOMTeachError
from ..explain.reader import LONG_VRS

#: Value bytes shown at most (pixel data and big blobs are cut).
MAX_VALUE_BYTES = 256
BYTES_PER_LINE = 16


@dataclass
class BytePart:
    """A labelled run of bytes: "tag", "VR", "reserved", "length", "value"."""

    label: str
    offset: int
    data: bytes
    meaning: str
    masked: bool = False

    @property
    def hex(self) -> str:
        return "•• " * len(self.data) if self.masked else self.data.hex(" ")


@dataclass
class ElementBytes:
    offset: int
    parts: list[BytePart]
    value_length: int | None
    cut: bool  # the value is longer than what is shown

    def dump_lines(self) -> list[str]:
        """Classic hex dump lines: offset, 16 bytes in hex, the printable characters."""
        lines = []
        data = b"".join(part.data for part in self.parts)
        masked_from = next((p.offset - self.offset for p in self.parts if p.masked), None)
        for start in range(0, len(data), BYTES_PER_LINE):
            chunk = data[start:start + BYTES_PER_LINE]
            cells, text = [], []
            for index, byte in enumerate(chunk):
                hidden = masked_from is not None and start + index >= masked_from
                cells.append("••" if hidden else f"{byte:02x}")
                text.append("•" if hidden else (chr(byte) if 32 <= byte < 127 else "."))
            lines.append(f"{self.offset + start:08d}  {' '.join(cells):<47}  {''.join(text)}")
        if self.cut:
            lines.append(f"... value continues ({self.value_length} bytes in all)")
        return lines


def read_element_bytes(path: str, offset: int, vr: str, explicit_vr: bool, little_endian: bool,
                       mask_value: bool = False) -> ElementBytes:
    """The parts of the element whose tag starts at ``offset``; DICOMTeachError when the file cannot be read."""
    order = "little" if little_endian else "big"
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            head = handle.read(12)
            if len(head) < 8:
                raise DICOMTeachError(f"the file ends before the element at byte {offset}", path)
            group, element = int.from_bytes(head[0:2], order), int.from_bytes(head[2:4], order)
            parts = [BytePart("tag", offset, head[0:4], f"group {group:04X}, element {element:04X} "
                              f"({'little' if little_endian else 'big'} endian: low byte first)"
                              if little_endian else f"group {group:04X}, element {element:04X}")]
            file_vr = head[4:6].decode("latin-1") if explicit_vr and group != 0xFFFE else ""
            if explicit_vr and group != 0xFFFE:
                parts.append(BytePart("VR", offset + 4, head[4:6], f"the value representation, {file_vr}"))
                if file_vr in LONG_VRS:
                    parts.append(BytePart("reserved", offset + 6, head[6:8], "two reserved bytes (always 00 00)"))
                    field, field_offset = head[8:12], offset + 8
                else:
                    field, field_offset = head[6:8], offset + 6
            else:
                field, field_offset = head[4:8], offset + 4
            length = int.from_bytes(field, order)
            undefined = length == 0xFFFFFFFF
            parts.append(BytePart("length", field_offset, field,
                                  "undefined length: items follow until a delimiter" if undefined
                                  else f"the value is {length} byte(s) long"))
            value_offset = field_offset + len(field)
            shown = 0 if undefined else min(length, MAX_VALUE_BYTES)
            handle.seek(value_offset)
            value = handle.read(shown)
    except OSError as error:
        raise DICOMTeachError(f"cannot read the file: {error.strerror or error}", path) from error
    if value or not undefined:
        meaning = f"the value ({vr or file_vr})"
        if not mask_value:
            meaning += _decoded(value, vr or file_vr, order)
        parts.append(BytePart("value", value_offset, value, meaning, masked=mask_value))
    return ElementBytes(offset, parts, None if undefined else length, (not undefined) and length > shown)


_INTEGERS = {"US": (2, False), "SS": (2, True), "UL": (4, False), "SL": (4, True)}


def _decoded(value: bytes, vr: str, order: str) -> str:
    """What the value bytes say, for short numbers and text (the student's check of the hex)."""
    if vr in _INTEGERS and value:
        size, signed = _INTEGERS[vr]
        numbers = [int.from_bytes(value[i:i + size], order, signed=signed) for i in range(0, len(value) - size + 1, size)]
        return f" = {', '.join(map(str, numbers[:8]))}" + (" ..." if len(numbers) > 8 else "")
    if vr in ("CS", "DS", "IS", "UI", "LO", "SH", "DA", "TM", "AE", "AS", "DT") and value:
        text = value.decode("latin-1").rstrip("\x00 ")
        return f' = "{text[:60]}"'
    return ""
