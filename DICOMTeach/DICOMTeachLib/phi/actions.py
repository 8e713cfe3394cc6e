"""PS3.15 Basic Application Level Confidentiality Profile actions, explained for students.

The profile (PS3.15 Annex E, Table E.1-1) gives each attribute that may identify
the patient an action code: remove it, empty it, replace it with a dummy or a
consistent new UID, or keep it. The table itself comes from
``standard().phi_action(tag)``; this module adds what the table leaves to the
reader: private elements, the repeating curve and overlay groups, how an
alternative such as "X/Z/D" resolves for a given attribute type, and words a
student can read.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from dataclasses import dataclass

import pydicom
from pydicom.datadict import dictionary_description, keyword_for_tag
from pydicom.tag import BaseTag, Tag

from ..tag_format import tag_text

#: One action code -> what it does, in words for students.
ACTION_MEANINGS: dict[str, str] = {
    "D": "replace with a dummy value of the same VR (non-zero length, no identifying content)",
    "Z": "replace with a zero-length value (or a dummy value)",
    "X": "remove the attribute",
    "K": "keep the attribute (for a sequence: keep it and de-identify its items)",
    "C": "clean: keep the meaning but replace any identifying text or values with similar non-identifying ones",
    "U": "replace the UID with a new one, the same new UID everywhere the old one appears",
}

#: Alternatives: the first code applies unless a stricter attribute type needs the next one.
ALTERNATIVE_MEANINGS: dict[str, str] = {
    "Z/D": "zero-length value (Z), but a dummy value (D) where the IOD makes it Type 1",
    "X/Z": "remove it (X), but keep it zero-length (Z) where the IOD makes it Type 2",
    "X/D": "remove it (X), but put a dummy value (D) where the IOD makes it Type 1",
    "X/Z/D": "remove it (X); zero-length (Z) where the IOD makes it Type 2; dummy (D) where Type 1",
    "X/Z/U*": "remove the sequence (X); empty it (Z) where Type 2; where Type 1, keep it "
              "and replace every UID inside with its consistent new UID (U)",
}

PRIVATE_MEANING = ("private element: removed (X) by the Basic Profile; only the Retain Safe Private "
                   "Option keeps private attributes known to be safe")
CURVE_MEANING = "curve data (group 50xx, retired): removed (X) with the whole group"
OVERLAY_MEANING = "overlay data or comments (group 60xx): removed (X), an overlay can carry burned-in text"


@dataclass(frozen=True)
class PHIAction:
    """The profile's action for one attribute, resolved and explained."""

    tag: int
    keyword: str
    name: str
    code: str  # as the table gives it: "Z", "X/Z/D", ... ("X" for private/curve/overlay; "K" when not listed)
    meaning: str  # in words
    listed: bool  # True when Table E.1-1 lists the attribute (or its repeating group)
    options: tuple[tuple[str, str], ...] = ()  # profile options that act differently: ("Retain UIDs", "K")

    @property
    def tag_text(self) -> str:
        return tag_text(self.tag)

    @property
    def is_phi(self) -> bool:
        """True when the profile does anything other than keep it."""
        return self.code != "K"


def explain_code(code: str) -> str:
    """A profile code ("D", "X/Z/D", ...) in words."""
    if code in ACTION_MEANINGS:
        return ACTION_MEANINGS[code]
    if code in ALTERNATIVE_MEANINGS:
        return ALTERNATIVE_MEANINGS[code]
    return f"profile code {code!r}"


def _is_curve(tag: int) -> bool:
    return (tag >> 16) & 0xFF00 == 0x5000


def _is_overlay_phi(tag: int) -> bool:
    return (tag >> 16) & 0xFF00 == 0x6000 and (tag & 0xFFFF) in (0x3000, 0x4000)


def _names(tag: int) -> tuple[str, str]:
    keyword = keyword_for_tag(tag) or ""
    try:
        name = dictionary_description(tag)
    except KeyError:
        name = ""
    return keyword, name


def phi_action(tag: int | BaseTag) -> PHIAction:
    """The Basic Profile action for ``tag``, with private, curve and overlay elements handled per the profile."""
    return _phi_action(int(Tag(tag)))


@functools.lru_cache(maxsize=4096)  # the tables do not change within a process
def _phi_action(tag: int) -> PHIAction:
    keyword, name = _names(tag)
    from ..standard import standard

    if Tag(tag).is_private:
        creator = (tag & 0xFFFF) < 0x0100  # (gggg,0010-00FF) reserve a block: the creator itself
        row = standard().private_profile_action()
        return PHIAction(tag, keyword, "Private Creator" if creator else name or "Private element",
                         row.basic if row else "X", PRIVATE_MEANING, True,
                         tuple(sorted(row.options.items())) if row else ())
    entry = standard().phi_action(tag)
    if entry is not None:
        return PHIAction(tag, keyword, name or entry.name, entry.basic, explain_code(entry.basic), True,
                         tuple(sorted(entry.options.items())))
    if _is_curve(tag):
        return PHIAction(tag, keyword, name, "X", CURVE_MEANING, True)
    if _is_overlay_phi(tag):
        return PHIAction(tag, keyword, name, "X", OVERLAY_MEANING, True)
    return PHIAction(tag, keyword, name, "K", "not listed by the Basic Profile: kept", False)


def resolve_code(code: str, attribute_type: str | None) -> str:
    """One action for an alternative ("X/Z/D" -> "X", "Z" or "D") given the attribute's type in the IOD.

    The profile keeps the first alternative unless the IOD needs a value (Type 1 -> D or U*)
    or needs the attribute present (Type 2 -> Z). An unknown type (``None``: nested where the
    tables give no rule) takes the first alternative.

    Reference sequences ("X/Z/U*": Referenced Image, Source Image) are the exception wherever they
    are not Type 3: they keep their items with every UID replaced consistently. An empty Type 2
    Source Image Sequence would satisfy the module table but cut a SEG's frames off their source
    images, which the SEG IOD's referencing rules need (dciodvfy then reports "ReferencedSeriesSequence
    present but Instance does not reference Instances"); with U nothing identifying survives either.
    """
    kind = (attribute_type or "3").rstrip("C")
    if code == "Z" and kind == "1":  # Z allows "a non-zero length dummy value": a Type 1 attribute needs one
        return "D"
    if "/" not in code:
        return code
    choices = code.replace("*", "").split("/")
    if "U" in choices:
        return "X" if kind == "3" and attribute_type is not None else "U"
    if kind == "1" and "D" in choices:
        return "D"
    if kind in ("1", "2") and "Z" in choices:
        return "Z"
    return choices[0]


@dataclass(frozen=True)
class PHIElement:
    """An element of a data set that the profile does not simply keep."""

    path: str  # "PatientName", "ReferencedSeriesSequence[0].SeriesInstanceUID"
    action: PHIAction
    vr: str
    value: str  # the value as text (the caller masks it before showing it)


def iter_phi_elements(ds: pydicom.Dataset, prefix: str = "") -> Iterator[PHIElement]:
    """Every element of ``ds`` (nested items included) whose profile action is not "keep"."""
    for element in ds:
        action = phi_action(element.tag)
        label = element.keyword or f"({element.tag.group:04X},{element.tag.element:04X})"
        path = f"{prefix}{label}"
        if action.is_phi:
            value = "" if element.VR == "SQ" else _value_text(element)
            yield PHIElement(path, action, element.VR, value)
        if element.VR == "SQ" and not (action.is_phi and action.code == "X"):
            for index, item in enumerate(element.value or []):
                yield from iter_phi_elements(item, f"{path}[{index}].")


def _value_text(element: pydicom.DataElement) -> str:
    value = element.value
    if value is None or isinstance(value, (bytes, bytearray)):
        return "" if not value else f"<{len(value)} bytes>"
    if isinstance(value, (list, tuple, pydicom.multival.MultiValue)):
        return "\\".join(str(item) for item in value)
    return str(value)


def phi_attributes(source: pydicom.Dataset | str | os.PathLike[str]) -> list[PHIElement]:
    """The PHI-carrying attributes present in a data set or file (nested items included), in file order."""
    if not isinstance(source, pydicom.Dataset):
        from ..safe_read import read_dataset

        source = read_dataset(source, force=True)  # whole file: PHI may follow the pixel data
    return list(iter_phi_elements(source))
