"""The standard's conditions as facts, and the one interpreter that decides them against a data set.

``data/condition_facts.json.gz`` is written by tools/generate_standard_tables.py from dicom3tools'
tables (the ones ``dciodvfy`` compiles): which condition decides each conditional module of an IOD,
each 1C/2C attribute (by module and tag path) and where each functional group macro belongs. A
condition is a list of terms evaluated left to right, as dicom3tools does::

    [operator, negate, test, tag, argument, value selector, scope]    # or [operator, negate, "group", terms]

``operator`` is "|", "&" or "^" combining the running result with the term; ``scope`` says which data
set the test reads: "item" (the one holding the attribute), "root" (the top level) or "parent" (the data
set around the current sequence item). The generator checked every fact, so nothing here can meet an
unknown test: a damaged value in the file only makes a test false.
"""

from __future__ import annotations

import gzip
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydicom import Dataset
from pydicom.dataelem import RawDataElement, convert_raw_data_element

from ..errors import DICOMTeachError

FACTS_FILE = Path(__file__).resolve().parent / "data" / "condition_facts.json.gz"
FACTS_FORMAT = 1
REQUIRED_SUFFIX = ":required"  # a module condition without its presence tests (see tools/condition_facts.py)


@dataclass(frozen=True)
class AttributeFact:
    """What dicom3tools' tables say about one attribute of a module."""

    type: str  # the type in dicom3tools' (2024) tables; may differ from the 2026 edition's
    condition: str  # the condition's name; "" when the tables say the data cannot decide (NoCondition)
    may_be_present_otherwise: bool  # "mbpo": presence while the condition is unmet is no error


@dataclass(frozen=True)
class Verdict:
    """Is a conditional module or attribute required here? With the reason, in words."""

    required: bool | None  # True, False, or None: the data cannot tell
    condition: str  # the condition in words
    decided_by: str = ""  # what in the file decided it ("Body Part Examined is 'BREAST'"); "" when undecided
    source: str = ""  # where the condition comes from ("dicom3tools LateralityRequired", "PS3.3 C.7.6.3.1.2")
    #: when the condition holds only because the file lacks what would rule it out ("not an unpaired body part"
    #: where Body Part Examined is absent): what is absent. The verdict is then the cautious reading of the
    #: standard (dciodvfy's), not something the file shows.
    assumed: str = ""


class ConditionFacts:
    """Read access to the condition facts and their interpreter."""

    def __init__(self, data: dict[str, Any]) -> None:
        if data.get("format") != FACTS_FORMAT:
            raise DICOMTeachError(f"condition facts file has format {data.get('format')!r}, expected "
                                  f"{FACTS_FORMAT}: regenerate it", FACTS_FILE)
        self.source: str = data["source"]
        self._condition_texts: dict[str, str] = data["conditions"]
        self._sop_classes: dict[str, str] = data["sop_classes"]
        self._iods: dict[str, dict] = data["iods"]
        self._attribute_texts: dict[str, str] = data["attributes"]
        self._enum_texts: dict[str, str] = data["enums"]
        self._values: dict[str, list[str]] = data["values"]
        self.corrected: dict[str, str] = data["corrected"]  # condition name -> the clause its correction follows
        self._conditions: dict[str, list] = {}
        self._attributes: dict[str, dict[str, list]] = {}
        self._enums: dict[str, dict[str, list]] = {}
        self._words: dict[str, str] = {}
        self._attribute_facts: dict[tuple[str, tuple[int, ...]], AttributeFact | None] = {}
        self._enum_checks: dict[tuple[str, tuple[int, ...]], list[tuple[list[str], int]]] = {}
        self._lock = threading.RLock()

    @classmethod
    def from_file(cls, path: Path = FACTS_FILE) -> ConditionFacts:
        try:
            data = json.loads(gzip.decompress(path.read_bytes()))
        except (OSError, ValueError, EOFError) as error:
            raise DICOMTeachError(f"cannot read the condition facts: {error}", path) from error
        return cls(data)

    # -- facts ---------------------------------------------------------------------------------------------

    def iod_name(self, sop_class_uid: str) -> str | None:
        """dicom3tools' name of the IOD of this SOP class ("CTImage"); None when its tables lack it."""
        return self._sop_classes.get(str(sop_class_uid))

    def module_condition(self, sop_class_uid: str, module_id: str) -> tuple[str, str, bool] | None:
        """(usage, condition name, only tests the presence of the module's own attributes) of a module in the
        IOD of this SOP class; None when the tables have none."""
        iod = self._iods.get(self._sop_classes.get(str(sop_class_uid), ""))
        row = iod["modules"].get(module_id) if iod else None
        return (row[0], row[1], bool(row[2])) if row else None

    def required_condition(self, name: str) -> str:
        """The part of a module condition that says when the module is required (without dciodvfy's "or its
        attributes are present"); the name itself when there is no such part."""
        derived = f"{name}{REQUIRED_SUFFIX}"
        return derived if derived in self._condition_texts else name

    def group_places(self, sop_class_uid: str, sequence_tag: int) -> tuple[str, str] | None:
        """(condition in the shared item, condition in each per-frame item) of a functional group macro;
        "" where the IOD does not put the macro; None when the tables do not know the macro."""
        iod = self._iods.get(self._sop_classes.get(str(sop_class_uid), ""))
        row = iod["groups"].get(f"{sequence_tag:08x}") if iod else None
        return (row[0], row[1]) if row else None

    def attribute(self, module_id: str, path: tuple[int, ...]) -> AttributeFact | None:
        """The fact of a 1C/2C attribute at this tag path inside the module (sequences first)."""
        key = (module_id, path)
        if key in self._attribute_facts:
            return self._attribute_facts[key]
        rows = self._module_rows(module_id)
        row = rows.get(".".join(f"{tag:08x}" for tag in path)) if rows else None
        fact = self._attribute_facts[key] = AttributeFact(row[0], row[1], bool(row[2])) if row else None
        return fact

    def enumerated_values(self, module_id: str, path: tuple[int, ...]) -> list[tuple[list[str], int]]:
        """[(the enumerated values, which value they are for: -1 every value, 0 the first...)] of an attribute."""
        key = (module_id, path)
        if key in self._enum_checks:
            return self._enum_checks[key]
        self._enum_checks[key] = checks = self._enumerated_values(module_id, path)
        return checks

    def _enumerated_values(self, module_id: str, path: tuple[int, ...]) -> list[tuple[list[str], int]]:
        with self._lock:
            if module_id not in self._enums:
                text = self._enum_texts.get(module_id)
                self._enums[module_id] = json.loads(text) if text else {}
        checks = self._enums[module_id].get(".".join(f"{tag:08x}" for tag in path), [])
        return [(self._values[name], selector) for name, selector in checks]

    def _module_rows(self, module_id: str) -> dict[str, list]:
        with self._lock:
            rows = self._attributes.get(module_id)
            if rows is None:
                text = self._attribute_texts.get(module_id)
                rows = self._attributes[module_id] = json.loads(text) if text else {}
            return rows

    def condition_terms(self, name: str) -> list | None:
        with self._lock:
            terms = self._conditions.get(name)
            if terms is None:
                text = self._condition_texts.get(name)
                if text is None:
                    return None
                terms = self._conditions[name] = json.loads(text)
            return terms

    # -- deciding ------------------------------------------------------------------------------------------

    def decide(self, name: str, item: Dataset, root: Dataset, parent: Dataset | None = None,
               cache: dict | None = None) -> Verdict:
        """Evaluate the named condition for ``item`` (the data set holding the attribute).

        ``cache`` keeps values read from the data sets between calls on the same instance.
        """
        terms = self.condition_terms(name)
        source = f"dicom3tools condition {name}"
        if name in self.corrected:
            source += f", corrected to follow {self.corrected[name]}"
        if terms is None:
            return Verdict(None, f"condition {name} (not in the facts)", "", source)
        words = self.words(name)
        if not terms:
            return Verdict(None, words, "", source)
        evaluation = _Evaluation(item, root, parent if parent is not None else root, {} if cache is None else cache)
        result, reasons = evaluation.run(terms)
        assumed = evaluation.assumptions(terms) if result else []
        if assumed:  # those absences are the whole story: the other terms only say what kind of object it is
            reasons = [f"nothing in the file rules it out ({'; '.join(assumed)})"]
        return Verdict(result, words, "; ".join(reasons[:4]), source, "; ".join(assumed))

    def words(self, name: str) -> str:
        """The condition in words: "Image Laterality is absent and ..."."""
        with self._lock:
            text = self._words.get(name)
            if text is None:
                terms = self.condition_terms(name)
                if terms is None:
                    text = f"condition {name}"
                elif not terms:
                    text = "a condition the data cannot decide (it needs knowledge outside the file)"
                else:
                    text = _terms_text(terms)
                self._words[name] = text
            return text


# -- evaluation ------------------------------------------------------------------------------------------


def _meta(ds: Dataset | None, tag: int) -> Dataset | None:
    """File meta elements (group 0002) live in the file meta information, not the data set."""
    if ds is not None and tag >> 16 == 2 and tag not in ds:
        meta = getattr(ds, "file_meta", None)
        return meta if meta is not None else ds
    return ds


def _element(ds: Dataset | None, tag: int):
    ds = _meta(ds, tag)
    if ds is None:
        return None
    try:
        return ds.get_item(tag, keep_deferred=True) if tag in ds else None
    except Exception:  # noqa: BLE001 - a damaged element counts as absent
        return None


def _values(ds: Dataset | None, tag: int, cache: dict | None = None) -> list:
    """The element's values as a list ([] when absent, empty or unreadable).

    A raw element is converted on the side, never in the data set: explain reads positions and lengths
    from the raw elements it has not converted yet.
    """
    if cache is not None:
        key = (id(ds), tag)
        if key not in cache:
            cache[key] = _values(ds, tag)
        return cache[key]
    ds = _meta(ds, tag)
    raw = _element(ds, tag)
    if raw is None:
        return []
    if isinstance(raw, RawDataElement) and raw.value is None and raw.length not in (0, None):
        if raw.VR != "SQ" and not (raw.VR in (None, "UN") and _is_sequence_tag(tag)):
            return ["<deferred>"]  # a long value not read: present with a value
        try:
            raw = ds.get_item(tag)  # a sequence's bytes are read (still raw: explain keeps its positions)
        except Exception:  # noqa: BLE001
            return []
    try:
        if isinstance(raw, RawDataElement):
            value = convert_raw_data_element(raw, encoding=getattr(ds, "_character_set", None), ds=ds).value
        else:
            value = raw.value
    except Exception:  # noqa: BLE001
        return []
    if value is None or value == "" or value == b"":
        return []
    if isinstance(value, (list, tuple)) or type(value).__name__ in ("MultiValue", "Sequence"):
        return list(value)
    return [value]


_SEQUENCE_TAGS: dict[int, bool] = {}


def _is_sequence_tag(tag: int) -> bool:
    known = _SEQUENCE_TAGS.get(tag)
    if known is None:
        from pydicom.datadict import dictionary_VR

        try:
            known = dictionary_VR(tag) == "SQ"
        except KeyError:
            known = False
        _SEQUENCE_TAGS[tag] = known
    return known


def _text(value: object) -> str:
    return str(value).strip(" \x00")


def _selected(values: list, selector: int) -> list:
    if selector < 0:
        return values
    return values[selector:selector + 1]


def _number(value: object) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


_COMPARE = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}


def _items(ds: Dataset | None, tag: int, cache: dict | None = None) -> list:
    values = _values(ds, tag, cache)
    return [item for item in values if isinstance(item, Dataset)]


def _present_in_path(ds: Dataset, tag: int, first_only: bool, needs_items: bool, cache: dict) -> bool:
    """The element is in ``ds`` or (recursively) in an item of one of its sequences (remembered per data set)."""
    key = ("path", id(ds), tag, first_only, needs_items)
    found = cache.get(key)
    if found is None:
        found = cache[key] = _search_path(ds, tag, first_only, needs_items, cache)
    return found


def _search_path(ds: Dataset, tag: int, first_only: bool, needs_items: bool, cache: dict) -> bool:
    if tag in ds:
        return bool(_items(ds, tag, cache)) if needs_items else True
    for element_tag, raw in list(ds._dict.items()):
        if raw.VR not in ("SQ", "UN", None) or (raw.VR is None and not _is_sequence_tag(element_tag)):
            continue
        items = _items(ds, element_tag, cache)
        for item in items[:1] if first_only else items:
            if _present_in_path(item, tag, False, needs_items, cache):
                return True
    return False


#: Tests of an attribute's value (as opposed to its presence) and the attributes that identify the object.
_VALUE_TESTS = frozenset({"string", "string_in", "binary", "value", "tag", "within_string", "within_string_in"})
_IDENTIFYING_TAGS = frozenset({0x00080016, 0x00080060})  # SOP Class UID, Modality


class _Evaluation:
    def __init__(self, item: Dataset, root: Dataset, parent: Dataset, cache: dict) -> None:
        self.scopes = {"item": item, "root": root, "parent": parent}
        self.cache = cache

    def run(self, terms: list) -> tuple[bool, list[str]]:
        result = False
        outcomes: list[tuple[str, bool, str]] = []  # (operator, value, reason)
        for term in terms:
            operator, negate = term[0], term[1]
            if term[2] == "group":
                value, inner = self.run(term[3])
                # A group is the condition's substance (the body part is a paired structure): said first.
                reason = GROUP_MARK + "; ".join(inner) if inner else ""
            else:
                # The same test on the same data set recurs across conditions (SOP Class, Modality...): once.
                key = ("test", id(term), id(self.scopes[term[6]]))
                known = self.cache.get(key)
                if known is None:
                    known = self.cache[key] = self.test(term)
                value, reason = known
            if negate:
                value = not value
                if value and term[2] in ("string", "string_in") and reason and not reason.endswith(" is absent"):
                    reason = EXCLUSION_MARK + reason  # "not an ECG": true of most files, it explains little
            if operator == "&":
                result = result and value
            elif operator == "^":
                result = result != value
            else:
                result = result or value
            outcomes.append((operator, value, reason))
        return result, _decisive(outcomes, result)

    def assumptions(self, terms: list) -> list[str]:
        """For a chain of "and" terms that holds: the negated terms that hold only because what they test is
        absent ("not (Body Part Examined is one of the unpaired parts)" with no Body Part Examined)."""
        if any(term[0] != "&" for term in terms[1:]):
            return []  # an "or" may hold for another reason: no single absence carries it
        found: list[str] = []
        for term in terms:
            if not term[1] or self._identifies_the_object(term):
                continue
            absent = self._absent_only(term)
            if absent is None and self._tests_values(term):
                return []  # the file does describe it (Body Part Examined is 'BREAST'): decided by data
            found += absent or []
        return list(dict.fromkeys(found))

    @staticmethod
    def _identifies_the_object(term: list) -> bool:
        """A test of SOP Class UID or Modality says what kind of object this is, which every instance states;
        the other negated tests describe what was examined, which a file may leave unsaid."""
        return term[2] != "group" and term[3] in _IDENTIFYING_TAGS

    def _tests_values(self, term: list) -> bool:
        if term[2] == "group":
            return any(self._tests_values(inner) for inner in term[3])
        return term[2] in _VALUE_TESTS

    def _absent_only(self, term: list) -> list[str] | None:
        """What is absent when every value test in ``term`` tests something absent; None when one has data."""
        if term[2] == "group":
            found: list[str] = []
            for inner in term[3]:
                absent = self._absent_only(inner)
                if absent is None:
                    return None
                found += absent
            return found
        _, _, test, tag, argument, _selector, scope = term
        ds = self.scopes[scope]
        if test in ("string", "string_in", "binary", "value", "tag"):
            return None if _values(ds, tag, self.cache) else [f"{_name(tag)} is absent"]
        if test in ("within_string", "within_string_in"):
            sequence = argument[0]
            return None if _items(ds, sequence, self.cache) else [f"{_name(sequence)} is absent"]
        return None  # a presence test: an absence there is a fact the file states, not missing knowledge

    def test(self, term: list) -> tuple[bool, str]:
        _, _, test, tag, argument, selector, scope = term
        ds = self.scopes[scope]
        name = _name(tag)
        if test == "constant":
            return bool(argument), "always" if argument else "never"
        if test == "present":
            present = _element(ds, tag) is not None
            return present, f"{name} is {'present' if present else 'absent'}"
        if test == "present_masked":
            group, element = (tag >> 16) & argument, tag & 0xFFFF
            present = any((int(t) >> 16) & argument == group and int(t) & 0xFFFF == element and not (int(t) >> 16) & 1
                          for t in ds.keys())
            return present, f"{name} (any of its repeating groups) is {'present' if present else 'absent'}"
        if test == "group_present":
            group = tag >> 16
            present = any(int(t) >> 16 == group for t in ds.keys())
            return present, f"group {group:04X} is {'present' if present else 'absent'}"
        values = _values(ds, tag, self.cache)
        if test == "value":
            present = bool(_selected(values, selector))
            return present, f"{name} {'has' if present else 'has no'} value"
        if test == "string":
            texts = [_text(value) for value in _selected(values, selector)]
            match = argument in texts
            shown = "\\".join(_text(value) for value in values) if values else None
            return match, (f"{name} is {_quoted(shown)}" if shown is not None else f"{name} is absent")
        if test == "string_in":
            texts = [_text(value) for value in _selected(values, selector)]
            match = any(text in argument for text in texts)
            shown = "\\".join(_text(value) for value in values) if values else None
            if shown is not None and tag in _UID_TAGS:
                return match, f"{name} is {_uid_name(shown)}"
            return match, (f"{name} is {_quoted(shown)}" if shown is not None else f"{name} is absent")
        if test == "binary":
            comparison, expected = argument
            numbers = [_number(value) for value in _selected(values, 0 if selector < 0 else selector)]
            match = any(number is not None and _COMPARE[comparison](number, expected) for number in numbers)
            shown = "\\".join(_text(value) for value in values) if values else None
            return match, (f"{name} is {shown}" if shown is not None else f"{name} is absent")
        if test == "tag":
            match = any(int(value) == argument for value in _selected(values, selector)
                        if isinstance(value, int))
            return match, f"{name} {'points' if match else 'does not point'} to ({argument >> 16:04X},{argument & 0xFFFF:04X})"
        if test == "within":
            items = _items(ds, argument, self.cache)
            present = any(tag in item for item in items)
            return present, f"{name} is {'present' if present else 'absent'} in {_name(argument)}"
        if test == "within_string":
            sequence, expected = argument
            match = any(expected in [_text(value) for value in _selected(_values(item, tag, self.cache), selector)]
                        for item in _items(ds, sequence, self.cache))
            return match, f"{_name(sequence)} {'has' if match else 'has no'} item with {name} {_quoted(expected)}"
        if test == "within_string_in":
            sequence, expected = argument
            if not _items(ds, sequence, self.cache):  # said plainly, without the codes it would have to hold
                return False, f"{_name(sequence)} is absent"
            found = [text for item in _items(ds, sequence, self.cache)
                     for text in (_text(value) for value in _selected(_values(item, tag, self.cache), selector))
                     if text in expected]
            return bool(found), (f"{_name(sequence)} has an item with {name} {_quoted(found[0])}" if found else
                                 f"{_name(sequence)} has no item with {name} {_listed(expected, False)}")
        if test in ("path", "path_first", "path_items", "path_first_items"):
            items = _items(ds, argument, self.cache)
            first = test in ("path_first", "path_first_items")
            needs_items = test.endswith("_items")
            found = any(_present_in_path(item, tag, False, needs_items, self.cache)
                        for item in (items[:1] if first else items))
            where = f"{_name(argument)}{' (first item)' if first else ''}"
            return found, f"{name} is {'present' if found else 'absent'} in {where}"
        if test in ("items", "one_item", "two_items", "many_items"):
            count = len(_items(ds, tag, self.cache))
            match = {"items": count > 0, "one_item": count == 1, "two_items": count == 2,
                     "many_items": count > 1}[test]
            return match, f"{name} has {count} item{'s' if count != 1 else ''}"
        raise DICOMTeachError(f"condition facts hold an unknown test {test!r}: regenerate them", FACTS_FILE)


#: Prefixes that rank a reason (removed before it is shown): a group's reasons, a value a negated test excludes.
GROUP_MARK, EXCLUSION_MARK = "\x00group:", "\x00excluded:"


def _decisive(outcomes: list[tuple[str, bool, str]], result: bool) -> list[str]:
    """The reasons that settled the result: for an all-"or" chain the true terms, for an "and" chain the first
    false one, otherwise the terms that agree with the result."""
    operators = {operator for operator, _, _ in outcomes[1:]}
    if operators <= {"|"}:
        chosen = [reason for _, value, reason in outcomes if value == result]
    elif operators <= {"&"} and not result:
        chosen = next(([reason] for _, value, reason in outcomes if not value), [])
    else:
        chosen = [reason for _, value, reason in outcomes if value == result]
    # Groups first, then values ("Body Part Examined is 'BREAST'"), which say more than absences ("Image
    # Laterality is absent"); a value a negated test excludes (SOP Class UID is not an ECG's) says least.
    chosen = sorted(chosen, key=lambda reason: (not reason.startswith(GROUP_MARK),
                                                reason.startswith(EXCLUSION_MARK),
                                                " is absent" in reason or " has no " in reason))
    chosen = [reason.removeprefix(GROUP_MARK).removeprefix(EXCLUSION_MARK) for reason in chosen]
    return [reason for reason in dict.fromkeys(chosen) if reason][:4]


def _quoted(text: str) -> str:
    return f"'{text}'"


_NAMES: dict[int, str] = {}


def _name(tag: int) -> str:
    name = _NAMES.get(tag)
    if name is None:
        from pydicom.datadict import dictionary_description

        try:
            name = dictionary_description(tag)
        except KeyError:
            name = f"({tag >> 16:04X},{tag & 0xFFFF:04X})"
        _NAMES[tag] = name
    return name


# -- words -----------------------------------------------------------------------------------------------


_UID_TAGS = frozenset({0x00080016, 0x00020002, 0x00020010, 0x00081150})


def _uid_name(uid: str) -> str:
    from pydicom.uid import UID

    name = UID(uid).name
    return name if name != uid else uid


def _term_text(term: list) -> str:
    negate, test = term[1], term[2]
    if test == "group":
        inner = _terms_text(term[3])
        return f"not ({inner})" if negate else f"({inner})"
    _, _, _, tag, argument, selector, scope = term
    name = _name(tag)
    if selector >= 0:
        name = f"{name} value {selector + 1}"
    not_ = " not" if negate else ""
    if test == "constant":
        return "always" if bool(argument) != bool(negate) else "never"
    if test == "present":
        text = f"{name} is {'absent' if negate else 'present'}"
    elif test == "present_masked":
        text = f"{name} (in any of its groups) is {'absent' if negate else 'present'}"
    elif test == "group_present":
        text = f"group {tag >> 16:04X} is {'absent' if negate else 'present'}"
    elif test == "value":
        text = f"{name} has {'no ' if negate else ''}value"
    elif test == "string":
        value = _uid_name(argument) if tag in _UID_TAGS else _quoted(argument)
        text = f"{name} is{not_} {value}"
    elif test == "binary":
        text = f"{name} is{not_} {argument[0]} {argument[1]}".replace(" == ", " ")
    elif test == "tag":
        text = f"{name} is{not_} ({argument >> 16:04X},{argument & 0xFFFF:04X})"
    elif test == "within":
        text = f"{name} is {'absent from' if negate else 'present in'} {_name(argument)}"
    elif test == "within_string":
        text = f"{_name(argument[0])} has{' no' if negate else ''} item with {name} {_quoted(argument[1])}"
    elif test in ("path", "path_first", "path_items", "path_first_items"):
        first = " (first item)" if "first" in test else ""
        what = "has items" if test.endswith("items") else "is present"
        if negate:
            what = "has no items" if test.endswith("items") else "is absent"
        text = f"{name} {what} in {_name(argument)}{first}"
    elif test in ("items", "one_item", "two_items", "many_items"):
        count = {"items": "items", "one_item": "exactly one item", "two_items": "exactly two items",
                 "many_items": "more than one item"}[test]
        text = f"{name} has{' not' if negate else ''} {count}"
    else:
        text = f"{name} {test}"
    if scope == "root":
        text += " (top level)"
    elif scope == "parent":
        text += " (enclosing item)"
    return text


MAX_LISTED_VALUES = 6


def _listed(values: list[str], uids: bool) -> str:
    listed = ", ".join(_uid_name(value) if uids else _quoted(value) for value in values[:MAX_LISTED_VALUES])
    return listed + (f" ... ({len(values)} values)" if len(values) > MAX_LISTED_VALUES else "")


def _in_text(term: list) -> str:
    """Words of a merged membership test ("string_in", "within_string_in")."""
    _, negate, test, tag, argument, selector, scope = term
    name = _name(tag) + (f" value {selector + 1}" if selector >= 0 else "")
    if test == "string_in":
        if len(argument) == 1:
            text = f"{name} is{' not' if negate else ''} {_listed(argument, tag in _UID_TAGS)}"
        else:
            text = f"{name} is {'none' if negate else 'one'} of {_listed(argument, tag in _UID_TAGS)}"
    else:
        sequence, values = argument
        which = _listed(values, False) if len(values) == 1 else f"one of {_listed(values, False)}"
        text = f"{_name(sequence)} has {'no item' if negate else 'an item'} with {name} {which}"
    return text + (" (top level)" if scope == "root" else " (enclosing item)" if scope == "parent" else "")


def _terms_text(terms: list) -> str:
    words = {"|": "or", "&": "and", "^": "xor"}
    text = ""
    previous = None
    for index, term in enumerate(terms):
        part = _in_text(term) if term[2] in ("string_in", "within_string_in") else _term_text(term)
        if index == 0:
            text = part
            continue
        operator = term[0]
        if previous is not None and operator != previous:
            text = f"({text})"
        text = f"{text} {words[operator]} {part}"
        previous = operator
    return text


_facts: ConditionFacts | None = None
_load_lock = threading.Lock()


def condition_facts() -> ConditionFacts:
    """The condition facts, loaded once per process on first use."""
    global _facts
    if _facts is None:
        with _load_lock:
            if _facts is None:
                _facts = ConditionFacts.from_file()
    return _facts
