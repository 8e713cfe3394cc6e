"""Is a value valid for its VR? pydicom's per-VR validators, applied to each value of an element.

Only VRs with a fixed character repertoire or format are checked (dates, times,
numbers as text, code strings, UIDs, AE titles, ages): text VRs depend on the
character set and are left alone.
"""

from __future__ import annotations

from pydicom.multival import MultiValue
from pydicom.valuerep import VALIDATORS

CHECKED_VRS = frozenset({"AE", "AS", "CS", "DA", "DS", "DT", "IS", "TM", "UI", "US", "SS", "UL", "SL"})


def _original(value: object) -> object:
    # DS and IS keep the text they were read from; validate that, not the number.
    original = getattr(value, "original_string", None)
    return original if original is not None else value


def invalid_value_reason(vr: str, value: object) -> str | None:
    """Why ``value`` is not valid for ``vr``, or None when it is (or the VR is not checked)."""
    if vr not in CHECKED_VRS or value is None:
        return None
    values = list(value) if isinstance(value, (MultiValue, list, tuple)) else [value]
    for one in values:
        one = _original(one)
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
            return message.strip() or f"not a valid {vr} value"
    return None
