"""Element values as a person reads them: short, person names by component, known UIDs named."""

from __future__ import annotations

from typing import Any

from pydicom.multival import MultiValue
from pydicom.uid import UID
from pydicom.valuerep import PersonName

from ..tag_format import tag_text

#: Longest value text shown; the rest is cut with an ellipsis.
MAX_VALUE_CHARACTERS = 96

_BINARY_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN", "OB or OW", "US or OW"})


def shorten(text: str, limit: int = MAX_VALUE_CHARACTERS) -> str:
    text = text.replace("\r", " ").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def uid_text(value: str) -> str:
    """A UID with its name when the standard names it (transfer syntaxes, SOP classes, ...)."""
    uid = UID(str(value).strip("\x00 "))
    name = uid.name
    return f"{uid} ({name})" if name and name != str(uid) else str(uid)


def person_name_text(name: PersonName) -> str:
    """Person names by component: family, given, middle, prefix, suffix (empty ones left out)."""
    parts = [("family", name.family_name), ("given", name.given_name), ("middle", name.middle_name),
             ("prefix", name.name_prefix), ("suffix", name.name_suffix)]
    shown = [f"{label}: {part}" for label, part in parts if part]
    for label, group in (("ideographic", name.ideographic), ("phonetic", name.phonetic)):
        if group:
            shown.append(f"{label}: {group}")
    return ", ".join(shown) if shown else str(name)


def _one(value: Any, vr: str) -> str:
    if vr == "PN" and isinstance(value, PersonName):
        return person_name_text(value)
    if vr == "UI" and value:
        return uid_text(value)
    if vr == "AT" and isinstance(value, int):
        return tag_text(value)
    return str(value)


def value_text(value: Any, vr: str, length: int | None = None) -> str:
    """The shortened display text of an element value of ``vr``."""
    if value is None:
        return "" if not length else f"<{length} bytes, not read>"
    if isinstance(value, (bytes, bytearray)) or vr in _BINARY_VRS:
        data = bytes(value) if isinstance(value, (bytes, bytearray)) else b""
        head = " ".join(f"{byte:02x}" for byte in data[:8])
        more = " …" if len(data) > 8 else ""
        return f"<{len(data)} bytes: {head}{more}>" if data else "<0 bytes>"
    if isinstance(value, (MultiValue, list, tuple)):
        return shorten("\\".join(_one(item, vr) for item in value))
    return shorten(_one(value, vr))


# -- the fast path: display text straight from the raw bytes ----------------------------------------------
# Converting every element through pydicom costs most of an explain; for the common VRs the
# bytes can be shown directly. Anything unusual returns None and goes through pydicom.

_ASCII_VRS = frozenset({"AE", "AS", "CS", "DA", "DS", "DT", "IS", "TM", "UI"})
_TEXT_VRS = frozenset({"SH", "LO", "PN", "UC"})
_SINGLE_TEXT_VRS = frozenset({"ST", "LT", "UT", "UR"})
_NUMBER_FORMATS = {"US": "H", "SS": "h", "UL": "I", "SL": "i", "FL": "f", "FD": "d", "SV": "q", "UV": "Q"}
#: Character sets whose text is a single-byte Latin-1 decode (absent = default repertoire).
SIMPLE_CHARSETS = frozenset({"", "ISO_IR 6", "ISO_IR 100", "ISO 2022 IR 6", "ISO 2022 IR 100"})


def _person_name_from_text(text: str) -> str:
    groups = text.split("=")
    parts = groups[0].split("^")
    labels = ("family", "given", "middle", "prefix", "suffix")
    shown = [f"{label}: {part}" for label, part in zip(labels, parts, strict=False) if part]
    for label, group in zip(("ideographic", "phonetic"), groups[1:], strict=False):
        if group:
            shown.append(f"{label}: {group}")
    return ", ".join(shown) if shown else text


def raw_value_text(data: bytes, vr: str, little_endian: bool, simple_charset: bool) -> tuple[str, list] | None:
    """(display text, the values) read from the raw bytes, or None when pydicom must convert them."""
    import struct

    if vr in _NUMBER_FORMATS:
        fmt = _NUMBER_FORMATS[vr]
        size = struct.calcsize(fmt)
        if len(data) % size:
            return None
        values = list(struct.unpack(f"{'<' if little_endian else '>'}{len(data) // size}{fmt}", data))
        return shorten("\\".join(str(v) for v in values[:64])), values
    if vr == "AT":
        if len(data) % 4:
            return None
        numbers = struct.unpack(f"{'<' if little_endian else '>'}{len(data) // 2}H", data)
        tags = [f"({numbers[i]:04X},{numbers[i + 1]:04X})" for i in range(0, len(numbers), 2)]
        return shorten("\\".join(tags)), tags
    if vr in _BINARY_VRS:
        return value_text(bytes(data), vr), [data]
    if vr in _ASCII_VRS or (simple_charset and vr in _TEXT_VRS):
        text = data.decode("latin-1")
        values = [value.strip(" \x00") for value in text.split("\\")]
        if vr == "UI":
            shown = [uid_text(value) if value else "" for value in values]
        elif vr == "PN":
            shown = [_person_name_from_text(value) for value in values]
        else:
            shown = values
        return shorten("\\".join(shown)), values
    if simple_charset and vr in _SINGLE_TEXT_VRS:
        text = data.decode("latin-1").rstrip(" \x00")
        return shorten(text), [text]
    return None
