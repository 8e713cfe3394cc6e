"""Hide PHI values for projection in a classroom.

A masked explanation keeps everything a student needs (tags, types, VRs,
lengths, statuses, the profile action) and replaces each value the Basic
Profile would not keep by a placeholder such as "•••• (PHI: Z)". Values can
also hide inside free text (a problem message quoting a value, the file
anatomy), so every string of the copy is scrubbed of the hidden values too.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from typing import Any

import pydicom

from .actions import phi_action

MASK = "••••"
#: Shorter values (a sex "M", a one-digit number) are not scrubbed from free text: they would eat ordinary words.
_MIN_SCRUB_LENGTH = 3
_TAG_TEXT = re.compile(r"^\(?([0-9A-Fa-f]{4}),([0-9A-Fa-f]{4})\)?$")


def mask_value(value: str | None, code: str) -> str:
    """The placeholder shown instead of a PHI value ("" stays "", so students still see empty values)."""
    if value is None or value == "":
        return value
    return f"{MASK} (PHI: {code})"


def _tag_of(obj: Any) -> int | None:
    """The tag of a report-like object: an int field ``tag_value``/``tag``, or "(gggg,eeee)" text."""
    for name in ("tag_value", "tag"):
        value = getattr(obj, name, None)
        if isinstance(value, int) and not isinstance(value, bool) and (value or name == "tag"):
            return value
        if isinstance(value, str) and (match := _TAG_TEXT.match(value.strip())):
            return int(match[1] + match[2], 16)
    return None


def _code_for(obj: Any, tag: int) -> str | None:
    """The profile code when ``obj``'s value is PHI, else None."""
    action = phi_action(tag)
    if action.is_phi:
        return action.code
    declared = getattr(obj, "phi_action", None)
    if isinstance(declared, str) and declared not in ("", "K"):
        return declared
    return None


class _Masker:
    def __init__(self) -> None:
        self.hidden: set[str] = set()
        self._pattern: re.Pattern[str] | bool | None = None

    def collect_and_mask(self, obj: Any) -> Any:
        """First pass: mask the value fields of PHI elements, remembering the hidden values."""
        if isinstance(obj, list):
            return [self.collect_and_mask(item) for item in obj]
        if isinstance(obj, tuple):
            return tuple(self.collect_and_mask(item) for item in obj)
        if isinstance(obj, dict):
            return {key: self.collect_and_mask(value) for key, value in obj.items()}
        if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
            return obj
        changes: dict[str, Any] = {}
        tag = _tag_of(obj) if any(f.name == "value" for f in dataclasses.fields(obj)) else None
        code = _code_for(obj, tag) if tag is not None else None
        for item in dataclasses.fields(obj):
            value = getattr(obj, item.name)
            if item.name == "value" and code is not None and isinstance(value, (str, bytes)) and value:
                self._remember(value)
                changes[item.name] = mask_value(value if isinstance(value, str) else "bytes", code)
            elif isinstance(value, (list, tuple, dict)) or dataclasses.is_dataclass(value):
                changes[item.name] = self.collect_and_mask(value)
        return dataclasses.replace(obj, **changes) if changes and _replaceable(obj) else _set(obj, changes)

    def _remember(self, value: str | bytes) -> None:
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        for part in {text, *re.split(r"[\\^=]", text)}:  # whole value, and each value / name component
            part = part.strip().rstrip(".…")
            if len(part) >= _MIN_SCRUB_LENGTH:
                self.hidden.add(part)

    def scrub(self, obj: Any) -> Any:
        """Second pass: remove hidden values quoted inside any other string."""
        if not self.hidden:
            return obj
        if isinstance(obj, str):
            return self.scrub_text(obj)
        if isinstance(obj, list):
            return [self.scrub(item) for item in obj]
        if isinstance(obj, tuple):
            return tuple(self.scrub(item) for item in obj)
        if isinstance(obj, dict):
            return {key: self.scrub(value) for key, value in obj.items()}
        if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
            return obj
        changes = {item.name: self.scrub(getattr(obj, item.name)) for item in dataclasses.fields(obj)}
        return dataclasses.replace(obj, **changes) if _replaceable(obj) else _set(obj, changes)

    def scrub_text(self, text: str) -> str:
        if self._pattern is None:
            # Longest first, so that a whole value goes before its components.
            alternatives = sorted(self.hidden, key=len, reverse=True)
            self._pattern = re.compile("|".join(map(re.escape, alternatives))) if alternatives else False
        if not self._pattern or (text.startswith(MASK) and "(PHI:" in text):
            return text
        return self._pattern.sub(MASK, text)


def _replaceable(obj: Any) -> bool:
    # dataclasses.replace re-runs __init__, which fails for fields declared init=False.
    return all(item.init for item in dataclasses.fields(obj))


def _set(obj: Any, changes: dict[str, Any]) -> Any:
    if not changes:
        return obj
    clone = copy.copy(obj)
    for name, value in changes.items():
        object.__setattr__(clone, name, value)
    return clone


def mask_explanation(explanation):
    """A copy of ``explanation`` with every PHI value hidden; the original is left unchanged."""
    masker = _Masker()
    # Both passes build new objects where anything changes and never write into the original's.
    masked = masker.collect_and_mask(explanation)
    return masker.scrub(masked)


def mask_dataset_text(ds: pydicom.Dataset, indent: str = "") -> str:
    """A dump of ``ds`` (one element per line, items indented) with PHI values hidden."""
    lines: list[str] = []
    for element in ds:
        action = phi_action(element.tag)
        head = f"{indent}({element.tag.group:04X},{element.tag.element:04X}) {element.VR} {element.keyword or element.name}"
        if element.VR == "SQ":
            if action.is_phi and action.code == "X":
                lines.append(f"{head}: {len(element.value or [])} item(s) {MASK} (PHI: X)")
                continue
            lines.append(f"{head}: {len(element.value or [])} item(s)")
            for index, item in enumerate(element.value or []):
                lines.append(f"{indent}  item {index + 1}")
                lines.append(mask_dataset_text(item, indent + "    "))
            continue
        if element.tag == 0x7FE00010 or element.VR in ("OB", "OW", "OF", "OD", "OL", "OV", "UN"):
            shown = f"<{len(element.value or b'')} bytes>" if not action.is_phi else mask_value("x", action.code)
        else:
            raw = element.value
            text = "\\".join(str(v) for v in raw) if isinstance(raw, (list, pydicom.multival.MultiValue)) else str(raw if raw is not None else "")
            shown = mask_value(text, action.code) if action.is_phi else text
        lines.append(f"{head}: {shown}")
    return "\n".join(line for line in lines if line)
