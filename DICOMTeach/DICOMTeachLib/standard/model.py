"""What the standard's tables say, as small immutable records.

Tags are ints (``0x00100010``); for repeating groups (overlays, curves) the
tag is the group's first instance (``0x60000010``) and ``repeating`` is True.
Attribute types are the Part 3 strings "1", "1C", "2", "2C", "3"; normalized
(DIMSE-N) IODs' modules carry no type and use "".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..tag_format import tag_text

USAGE_NAMES = {"M": "Mandatory", "C": "Conditional", "U": "User option"}


@dataclass(frozen=True)
class SOPClassEntry:
    """A storage (or other) SOP class and the IOD its instances follow."""

    uid: str
    name: str
    iod_id: str
    retired: bool


@dataclass(frozen=True)
class ModuleReference:
    """A module (or functional group macro) as one IOD uses it."""

    module_id: str
    name: str
    ie: str
    usage: str  # "M", "C" or "U"
    condition: str = ""  # the standard's condition text for usage "C"; "" when none or not known

    @property
    def usage_name(self) -> str:
        return USAGE_NAMES.get(self.usage, self.usage)


@dataclass(frozen=True)
class IODDefinition:
    """An Information Object Definition: its modules in the standard's order."""

    id: str
    name: str
    modules: tuple[ModuleReference, ...]
    aliases: tuple[str, ...] = ()  # other names (older editions: "CR Image" for Computed Radiography Image)
    innolitics_id: str = ""  # the id the Innolitics browser uses for this IOD

    @property
    def information_entities(self) -> tuple[str, ...]:
        """Information entities in the order their first module appears."""
        return tuple(dict.fromkeys(module.ie for module in self.modules))

    def modules_of(self, ie: str) -> tuple[ModuleReference, ...]:
        return tuple(module for module in self.modules if module.ie == ie)


@dataclass(frozen=True)
class AttributeRule:
    """One attribute of a module (or sequence item) with its type and dictionary facts."""

    tag: int
    keyword: str
    name: str
    type: str
    vr: str
    vm: str
    retired: bool
    items: tuple[AttributeRule, ...] = ()  # attributes of the sequence's items (macros expanded)
    repeating: bool = False  # a repeating group such as (60xx,3000)

    @property
    def is_sequence(self) -> bool:
        return self.vr == "SQ"

    @property
    def tag_text(self) -> str:
        text = tag_text(self.tag)
        return text[:3] + "xx" + text[5:] if self.repeating else text

    def walk(self, depth: int = 0):
        """(depth, rule) for this rule and every nested item attribute, depth first."""
        yield depth, self
        for item in self.items:
            yield from item.walk(depth + 1)


@dataclass(frozen=True)
class ModuleDefinition:
    """A module's (or functional group macro's) attributes, top level first."""

    id: str
    name: str
    attributes: tuple[AttributeRule, ...]

    def walk(self):
        """(depth, rule) for every attribute, nested ones included."""
        for rule in self.attributes:
            yield from rule.walk()

    def find(self, keyword: str) -> AttributeRule | None:
        """The first attribute with this keyword at any depth."""
        return next((rule for _, rule in self.walk() if rule.keyword == keyword), None)


@dataclass(frozen=True)
class ProfileAction:
    """PS3.15 Annex E Basic Application Level Confidentiality Profile row of one attribute."""

    tag: int
    name: str
    basic: str  # "D", "Z", "X", "K", "C", "U", "Z/D", "X/Z", "X/D", "X/Z/D", "X/Z/U*"
    options: dict[str, str] = field(default_factory=dict)  # option column -> code
    in_standard_iod: bool = True  # the table's "In Std. Comp. IOD" column
