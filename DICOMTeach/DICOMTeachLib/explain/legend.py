"""The letters an explanation uses, in words: module usage, attribute types, PS3.15 actions.

One source for the text and the HTML views, so both say the same thing.
"""

from __future__ import annotations

from ..phi.actions import ACTION_MEANINGS, ALTERNATIVE_MEANINGS

#: Module usage in an IOD (PS3.3 A.1.3).
USAGE_LEGEND = (
    ("M", "mandatory: the module is always present"),
    ("C", "conditional: required when its condition holds (the condition says whether it may appear otherwise)"),
    ("U", "user option: the module may be present or not"),
)

#: Attribute types in a module (PS3.5 7.4).
TYPE_LEGEND = (
    ("1", "required, with a value"),
    ("1C", "like type 1 when its condition holds; must not be present when it does not"),
    ("2", "required, but may be empty (zero length) when the value is unknown"),
    ("2C", "like type 2 when its condition holds; must not be present when it does not"),
    ("3", "optional"),
)


#: The alternatives ("X/Z/D") in one line: the rule they all follow.
ALTERNATIVES_IN_SHORT = ("the first action, unless the attribute's type in the IOD needs the next: Z where type 2, "
                         "D where type 1 (X/Z/U*: a type 1 sequence is kept and its UIDs replaced)")


def phi_legend(compact: bool = False) -> tuple[tuple[str, str], ...]:
    """PS3.15 Basic Application Level Confidentiality Profile action codes (Table E.1-1)."""
    if compact:
        return (*ACTION_MEANINGS.items(), (", ".join(ALTERNATIVE_MEANINGS), ALTERNATIVES_IN_SHORT))
    return tuple(ACTION_MEANINGS.items()) + tuple(ALTERNATIVE_MEANINGS.items())


def legend_sections(compact: bool = False) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """(title, ((letter, meaning), ...)) for each legend; ``compact``: the alternatives on one line."""
    return (
        ("Module usage (PS3.3 A.1.3)", USAGE_LEGEND),
        ("Attribute type (PS3.5 7.4)", TYPE_LEGEND),
        ("PHI: PS3.15 Basic Profile action (Table E.1-1)", phi_legend(compact)),
    )
