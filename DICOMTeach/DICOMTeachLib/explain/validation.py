"""Is a value valid for its VR? pydicom's per-VR validators, applied to each value of an element.

VRs with a fixed character repertoire or format are always checked (dates,
times, numbers as text, code strings, UIDs, AE titles, ages); the lengths of
text VRs only when the character set is single-byte (with multi-byte sets a
character is not a byte, and the limits count characters).
"""

from __future__ import annotations

from pydicom.multival import MultiValue
from pydicom.valuerep import VALIDATORS

CHECKED_VRS = frozenset({"AE", "AS", "CS", "DA", "DS", "DT", "IS", "TM", "UI"})
TEXT_VRS = frozenset({"SH", "LO", "ST", "LT", "PN"})


def _original(value: object) -> object:
    # DS and IS keep the text they were read from; validate that, not the number.
    original = getattr(value, "original_string", None)
    return original if original is not None else value


def invalid_value_reason(vr: str, value: object, text: bool = False) -> str | None:
    """Why ``value`` is not valid for ``vr``, or None when it is (or the VR is not checked).

    ``text``: also check the text VRs (the data set's character set is single-byte).
    """
    if value is None or not (vr in CHECKED_VRS or (text and vr in TEXT_VRS)):
        return None
    values = list(value) if isinstance(value, (MultiValue, list, tuple)) else [value]
    for one in values:
        one = _original(one)
        if not isinstance(one, (str, bytes)):
            one = str(one)  # a PersonName, a converted number: check the text it came from
        if isinstance(one, str):
            one = one.strip(" \x00") if vr in ("DS", "IS", "UI") else one.rstrip(" \x00")
            if not one:
                continue
        if isinstance(one, str) and one.startswith("<unreadable value"):
            return one.strip("<>")
        validator = VALIDATORS.get(vr)
        if validator is None:
            return None
        valid, message = validator(vr, one)
        if not valid:
            return message.split(" Please see")[0].strip() or f"not a valid {vr} value"
    return None
