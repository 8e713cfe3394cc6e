"""Compile dicom3tools' condition tables into the compact condition facts explain ships.

Source: ../shared/dicom3tools-standard (dicom3tools' ``libsrc/standard``, David A. Clunie, BSD-style
licence): the tables ``dciodvfy`` compiles.

* ``condn.tpl``: named conditions in a small language. Each ``Element=`` line is one test, combined with
  the running result left to right (``Operator`` And/Or/Xor, default Or; ``Modifier="Not"`` negates the
  test); ``(`` ... ``)`` lines open and close a group that is combined the same way.
* ``iodcomp/*.tpl``: each IOD's modules with usage and the condition deciding a C (or U) module.
* ``module/*.tpl``: modules and macros, their attributes (nested sequences, ``InvokeMacro``), type,
  the condition of a 1C/2C attribute (``NoCondition`` when the data cannot decide) and ``mbpo``
  ("may be present otherwise": presence while the condition is unmet is no error).

Everything is checked here: an unknown test, operator, keyword, constant or condition name, or an
unbalanced group raises :class:`FactError`, so a bad fact fails the generator, never a user's explain.

A compiled condition is a list of terms ``[operator, negate, test, tag, argument, selector, scope]``
(a group is ``[operator, negate, "group", terms]``); see DICOMTeachLib/standard/conditions.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

OPERATORS = {"": "|", "or": "|", "and": "&", "xor": "^"}
COMPARISONS = {"==", "!=", "<", "<=", ">", ">="}

#: condn.tpl keys -> (test, scope). Scope: "item" the data set holding the attribute, "root" the top
#: level of the instance, "parent" the data set around the current sequence item.
TESTS = {
    "ElementPresent": ("present", "item"),
    "ElementPresentInRoot": ("present", "root"),
    "ElementPresentAbove": ("present", "parent"),
    "ValuePresent": ("value", "item"),
    "StringValue": ("string", "item"),
    "StringValueFromRootAttribute": ("string", "root"),
    # One line writes "StringValueFromRoot" (no "Attribute"): dciodvfy's compiler skips it, so the condition
    # is never true there; its meaning is plain, so we read it as the root form.
    "StringValueFromRoot": ("string", "root"),
    "StringValueAbove": ("string", "parent"),
    "StringConstant": ("string", "item"),
    "StringConstantFromRootAttribute": ("string", "root"),
    "BinaryValue": ("binary", "item"),
    "BinaryValueFromRootAttribute": ("binary", "root"),
    "TagValue": ("tag", "item"),
    "ElementPresentWithin": ("within", "item"),
    "ElementPresentInPathFromRoot": ("path", "root"),
    "ElementPresentInPathFromRootFirstItem": ("path_first", "root"),
    "SequencePresentInPathFromRootHasItems": ("path_items", "root"),
    "SequencePresentInPathFromRootFirstItemHasItems": ("path_first_items", "root"),
    "SequenceHasItems": ("items", "item"),
    "SequenceHasOneItem": ("one_item", "item"),
    "SequenceHasTwoItems": ("two_items", "item"),
    "SequenceHasMultipleItems": ("many_items", "item"),
    "GroupPresent": ("group_present", "item"),
}
LINE_KEYS = {"Element", "Operator", "Modifier", "ValueSelector", *TESTS}

_PAIR = re.compile(r'(\w+)="([^"]*)"')


class FactError(ValueError):
    """A condition fact that cannot be compiled: the generator stops and says where."""


@dataclass
class Tables:
    """What the generator needs from the dicom3tools folder, parsed."""

    version: str
    conditions: dict[str, list]  # name -> compiled terms
    iods: dict[str, list[tuple[str, str, str]]]  # IOD name -> [(module name, usage, condition)]
    modules: dict[str, dict[tuple[int, ...], tuple[str, str, bool]]]  # module -> path -> (type, condition, mbpo)
    macro_conditions: dict[str, dict[int, dict[str, str]]]  # module -> macro sequence tag -> {place: condition}
    sop_iods: dict[str, str]  # SOP Class UID -> IOD name
    # module -> path -> [(values name, value selector: -1 for every value)]
    enums: dict[str, dict[tuple[int, ...], list[tuple[str, int]]]] = field(default_factory=dict)
    string_values: dict[str, list[str]] = field(default_factory=dict)
    licence: str = ""  # dicom3tools' COPYRIGHT: BSD-style, kept with what is derived from the tables


def _pairs(line: str) -> dict[str, str]:
    return dict(_PAIR.findall(line.split("#", 1)[0]))


def keyword_tags(folder: Path) -> dict[str, int]:
    """dicom3tools' own dictionary (elmdict/dicom3.tpl): keyword -> tag (repeating groups at their first)."""
    tags: dict[str, int] = {}
    for line in (folder / "elmdict" / "dicom3.tpl").read_text(encoding="latin-1").splitlines():
        match = re.match(r"\(([0-9A-Fa-fx]{4}),([0-9A-Fa-fx]{4})\).*Keyword=\"(\w+)\"", line)
        if match:
            group, element, keyword = match.groups()
            tags.setdefault(keyword, int((group + element).lower().replace("x", "0"), 16))
    return tags


def sop_class_constants(folder: Path) -> dict[str, str]:
    """Constant names used by conditions (``CTImageStorageSOPClassUID``) -> UID, from sopcl.tpl."""
    constants: dict[str, str] = {}
    for line in (folder / "sopcl.tpl").read_text(encoding="latin-1").splitlines():
        pairs = _pairs(line)
        if "Name" in pairs and "Uid" in pairs:
            kind = pairs.get("Type", "Class")
            constants[f"{pairs['Name']}SOP{kind}UID"] = pairs["Uid"]
    return constants


def compile_conditions(text: str, tags: dict[str, int], constants: dict[str, str],
                       source: str = "condn.tpl") -> dict[str, list]:
    """condn.tpl text -> name -> compiled terms. Raises FactError naming the line of any fault."""
    conditions: dict[str, list] = {}
    name: str | None = None
    stack: list[list] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        where = f"{source} line {number}"
        if not line or line == "}":  # a few stray braces, which dciodvfy's compiler skips too
            continue
        if line.startswith("Condition="):
            if name is not None:
                raise FactError(f"{where}: condition {name!r} has no ConditionEnd")
            name = _pairs(line).get("Condition")
            if not name:
                raise FactError(f"{where}: a condition without a name")
            if name in conditions:
                raise FactError(f"{where}: condition {name!r} is defined twice")
            stack = [[]]
        elif line.startswith("ConditionEnd"):
            if name is None or len(stack) != 1:
                raise FactError(f"{where}: ConditionEnd without its Condition or with an open group")
            # A condition without a test is one dicom3tools found "too difficult to check": the data cannot tell.
            conditions[name] = stack[0]
            name = None
        elif name is None:
            raise FactError(f"{where}: {line!r} outside a condition")
        elif line.startswith("("):
            stack.append([])
        elif line.startswith(")"):
            if len(stack) < 2:
                raise FactError(f"{where}: ')' without '('")
            pairs = _pairs(line)
            terms = stack.pop()
            stack[-1].append([_operator(pairs, where), _negate(pairs, where), "group", terms])
        elif line.startswith("Element="):
            stack[-1].append(_term(_pairs(line), tags, constants, where))
        elif line.startswith("InvokeMacro="):
            raise FactError(f"{where}: InvokeMacro inside a condition is not supported")
        else:
            raise FactError(f"{where}: cannot read {line!r}")
    if name is not None:
        raise FactError(f"{source}: condition {name!r} has no ConditionEnd")
    conditions = {name: merge_value_runs(terms) for name, terms in conditions.items()}
    # dciodvfy's two built-in conditions.
    conditions.setdefault("Always", [["|", 0, "constant", 0, True, -1, "item"]])
    conditions.setdefault("Never", [["|", 0, "constant", 0, False, -1, "item"]])
    return conditions


def merge_value_runs(terms: list) -> list:
    """Join a run of value tests of one element into one membership test (same result, one lookup).

    "X is 'A' or X is 'B' or ..." becomes "X is one of {A, B, ...}" ("string_in"), and "X is not 'A' and X is
    not 'B'" becomes "X is none of ..."; likewise for values inside a sequence's items ("within_string_in").
    A run joins only terms whose operator is the run's own ("|", or "&" for negated tests), so the result
    does not change; the first term of a condition joins with "|" because the chain starts from false.
    """
    merged: list = []
    for index, term in enumerate(terms):
        if term[2] == "group":
            merged.append([term[0], term[1], "group", merge_value_runs(term[3])])
            continue
        if term[2] not in ("string", "within_string"):
            merged.append(term)
            continue
        run_operator = "&" if term[1] else "|"
        kind = f"{term[2]}_in"
        value = term[4] if term[2] == "string" else term[4][1]
        last = merged[-1] if merged else None
        if (last is not None and last[2] == kind and last[1] == term[1] and last[3] == term[3]
                and last[5:] == term[5:] and term[0] == run_operator
                and (kind == "string_in" or last[4][0] == term[4][0])):
            (last[4] if kind == "string_in" else last[4][1]).append(value)
            continue
        if term[0] == run_operator or (index == 0 and term[0] == "|"):
            argument = [value] if kind == "string_in" else [term[4][0], [value]]
            merged.append([term[0], term[1], kind, term[3], argument, term[5], term[6]])
        else:
            merged.append(term)
    return merged


def _operator(pairs: dict[str, str], where: str) -> str:
    operator = pairs.get("Operator", "").lower()
    if operator not in OPERATORS:
        raise FactError(f"{where}: unknown operator {pairs.get('Operator')!r}")
    return OPERATORS[operator]


def _negate(pairs: dict[str, str], where: str) -> int:
    modifier = pairs.get("Modifier", "")
    if modifier not in ("", "Not"):
        raise FactError(f"{where}: unknown modifier {modifier!r}")
    return int(modifier == "Not")


def _tag(keyword: str, tags: dict[str, int], where: str) -> int:
    if keyword not in tags:
        raise FactError(f"{where}: unknown attribute keyword {keyword!r}")
    return tags[keyword]


def _term(pairs: dict[str, str], tags: dict[str, int], constants: dict[str, str], where: str) -> list:
    unknown = set(pairs) - LINE_KEYS
    if unknown:
        raise FactError(f"{where}: unknown test {', '.join(sorted(unknown))}")
    tag = _tag(pairs["Element"], tags, where)
    selector_text = pairs.get("ValueSelector", "*")
    if selector_text != "*" and not selector_text.isdigit():
        raise FactError(f"{where}: value selector {selector_text!r} is neither * nor a number")
    selector = -1 if selector_text == "*" else int(selector_text)
    tests = [key for key in pairs if key in TESTS]
    if "ElementPresentWithin" in tests and len(tests) == 2 and tests[1 - tests.index("ElementPresentWithin")] in (
            "StringValue", "StringConstant"):
        other = tests[1 - tests.index("ElementPresentWithin")]
        sequence = _tag(pairs["ElementPresentWithin"], tags, where)
        value = _string_argument(other, pairs[other], constants, where)
        return [_operator(pairs, where), _negate(pairs, where), "within_string", tag, [sequence, value], selector,
                "item"]
    if len(tests) != 1:
        raise FactError(f"{where}: expected one test, found {tests or 'none'}")
    key = tests[0]
    test, scope = TESTS[key]
    argument: object = None
    text = pairs[key]
    if test == "present" and text:
        if not re.fullmatch(r"0x[0-9a-fA-F]{4}", text):
            raise FactError(f"{where}: group mask {text!r} is not 0xhhhh")
        test, argument = "present_masked", int(text, 16)
    elif test in ("string",):
        argument = _string_argument(key, text, constants, where)
    elif test == "binary":
        parts = text.split()
        if len(parts) != 2 or parts[0] not in COMPARISONS or not re.fullmatch(r"-?\d+", parts[1]):
            raise FactError(f"{where}: binary comparison {text!r} is not '<op> <integer>'")
        argument = [parts[0], int(parts[1])]
    elif test == "tag":
        match = re.fullmatch(r"\s*0x([0-9a-fA-F]{4})\s*,\s*0x([0-9a-fA-F]{4})\s*", text)
        if not match:
            raise FactError(f"{where}: tag value {text!r} is not 0xgggg,0xeeee")
        argument = int(match[1] + match[2], 16)
    elif test in ("within", "path", "path_first", "path_items", "path_first_items"):
        argument = _tag(text, tags, where)
    elif text:
        raise FactError(f"{where}: {key} takes no value, got {text!r}")
    return [_operator(pairs, where), _negate(pairs, where), test, tag, argument, selector, scope]


def _string_argument(key: str, text: str, constants: dict[str, str], where: str) -> str:
    if key.startswith("StringConstant"):
        if text not in constants:
            raise FactError(f"{where}: unknown constant {text!r}")
        return constants[text]
    return text


# -- corrections ------------------------------------------------------------------------------------------

#: Conditions of the 2024-12 snapshot that say something other than the standard, rewritten in the same
#: language (compiled and checked like the rest), each with the clause it follows.
CORRECTIONS: dict[str, tuple[str, str]] = {
    # The snapshot excludes every Segmentation although a segmentation of an image without patient
    # orientation (of a CR, say) has neither Plane Orientation nor Image Orientation (Slide); the standard
    # requires Patient Orientation exactly then (dciodvfy's 2026 build agrees), and a Label Map
    # Segmentation follows the same rule.
    "PatientOrientationRequired": ("PS3.3 C.7.6.1 Table C.7-9 (General Image Module, Patient Orientation)", """
Condition="PatientOrientationRequired"
	Element="SOPClassUID" Modifier="Not" StringConstantFromRootAttribute="EnhancedMRImageStorageSOPClassUID"
	Element="SOPClassUID" Operator="And" Modifier="Not" StringConstantFromRootAttribute="EnhancedMRColorImageStorageSOPClassUID"
	Element="SOPClassUID" Operator="And" Modifier="Not" StringConstantFromRootAttribute="LegacyConvertedEnhancedMRImageStorageSOPClassUID"
	Element="SOPClassUID" Operator="And" Modifier="Not" StringConstantFromRootAttribute="MRSpectroscopyStorageSOPClassUID"
	Element="SOPClassUID" Operator="And" Modifier="Not" StringConstantFromRootAttribute="MRImageStorageSOPClassUID"
	Element="SOPClassUID" Operator="And" Modifier="Not" StringConstantFromRootAttribute="CTImageStorageSOPClassUID"
	Element="SOPClassUID" Operator="And" Modifier="Not" StringConstantFromRootAttribute="EnhancedCTImageStorageSOPClassUID"
	Element="SOPClassUID" Operator="And" Modifier="Not" StringConstantFromRootAttribute="LegacyConvertedEnhancedCTImageStorageSOPClassUID"
	Element="SOPClassUID" Operator="And" Modifier="Not" StringConstantFromRootAttribute="NuclearMedicineImageStorageSOPClassUID"
	Element="SOPClassUID" Operator="And" Modifier="Not" StringConstantFromRootAttribute="NuclearMedicineImageStorageRetiredSOPClassUID"
	Element="SOPClassUID" Operator="And" Modifier="Not" StringConstantFromRootAttribute="PETImageStorageSOPClassUID"
	Element="SOPClassUID" Operator="And" Modifier="Not" StringConstantFromRootAttribute="EnhancedPETImageStorageSOPClassUID"
	Element="SOPClassUID" Operator="And" Modifier="Not" StringConstantFromRootAttribute="LegacyConvertedEnhancedPETImageStorageSOPClassUID"
	Element="SOPClassUID" Operator="And" Modifier="Not" StringConstantFromRootAttribute="ParametricMapStorageSOPClassUID"
	Element="SOPClassUID" Operator="And" Modifier="Not" StringConstantFromRootAttribute="RTDoseStorageSOPClassUID"
	Element="SOPClassUID" Operator="And" Modifier="Not" StringConstantFromRootAttribute="VLWholeSlideMicroscopyImageStorageSOPClassUID"
	(
		(
			Element="SOPClassUID" StringConstantFromRootAttribute="SegmentationStorageSOPClassUID"
			Element="SOPClassUID" Operator="Or" StringConstantFromRootAttribute="LabelMapSegmentationStorageSOPClassUID"
		)
		(
			Element="PlaneOrientationSequence" ElementPresentInPathFromRoot="SharedFunctionalGroupsSequence"
			Element="PlaneOrientationSequence" Operator="Or" ElementPresentInPathFromRootFirstItem="PerFrameFunctionalGroupsSequence"
			Element="ImageOrientationSlide" Operator="Or" ElementPresentInRoot=""
		) Operator="And"
	) Operator="And" Modifier="Not"
ConditionEnd
"""),
}


def apply_corrections(conditions: dict[str, list], tags: dict[str, int], constants: dict[str, str]) -> None:
    for name, (clause, text) in CORRECTIONS.items():
        if name not in conditions:
            raise FactError(f"correction of {name!r} ({clause}): no such condition in the tables any more")
        compiled = compile_conditions(text, tags, constants, source=f"correction of {name}")
        if set(compiled) - {"Always", "Never"} != {name}:
            raise FactError(f"correction of {name!r} must define exactly that condition")
        conditions[name] = compiled[name]


# -- modules and IODs ----------------------------------------------------------------------------------


def parse_iods(folder: Path) -> tuple[dict[str, list[tuple[str, str, str]]], dict[str, str]]:
    """(IOD name -> [(module, usage, condition)], IOD name -> the condition that recognises its instances)."""
    iods: dict[str, list[tuple[str, str, str]]] = {}
    recognised_by: dict[str, str] = {}
    current: list | None = None
    for path in sorted((folder / "iodcomp").glob("*.tpl")):
        for number, raw in enumerate(path.read_text(encoding="latin-1").splitlines(), start=1):
            pairs = _pairs(raw)
            if "CompositeIOD" in pairs:
                if "Profile" in pairs:
                    current = None  # a profile's variant (Dental): not an IOD of its own
                    continue
                current = iods.setdefault(pairs["CompositeIOD"], [])
                recognised_by[pairs["CompositeIOD"]] = pairs.get("Condition", "")
            elif "Module" in pairs and current is not None:
                usage = pairs.get("Usage", "")
                if usage not in ("M", "C", "U"):
                    raise FactError(f"{path.name} line {number}: usage {usage!r} of {pairs['Module']}")
                current.append((pairs["Module"], usage, pairs.get("Condition", "")))
    return iods, recognised_by


def parse_modules(folder: Path) -> tuple[dict[str, list], dict[str, list]]:
    """(modules, macros): name -> list of (kind, pairs, where) lines in order."""
    modules: dict[str, list] = {}
    macros: dict[str, list] = {}
    current: list | None = None
    for path in sorted((folder / "module").glob("*.tpl")):
        for number, raw in enumerate(path.read_text(encoding="latin-1").splitlines(), start=1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            where = f"module/{path.name} line {number}"
            pairs = _pairs(line)
            if line.startswith("Module="):
                current = modules.setdefault(pairs["Module"], [])
            elif line.startswith("DefineMacro="):
                current = macros.setdefault(pairs["DefineMacro"], [])
            elif line.startswith(("ModuleEnd", "MacroEnd")):
                current = None
            elif current is None:
                raise FactError(f"{where}: {line!r} outside a module or macro")
            elif line.startswith("SequenceEnd"):
                current.append(("end", pairs, where))
            elif line.startswith("Sequence="):
                current.append(("sequence", pairs, where))
            elif line.startswith("Name="):
                current.append(("name", pairs, where))
            elif line.startswith("InvokeMacro="):
                current.append(("macro", pairs, where))
            elif line.startswith("Verify="):
                pairs = _pairs(line)
                if pairs.get("StringEnumValues") and not pairs.get("Condition"):
                    current.append(("verify", pairs, where))  # an unconditional enumerated-value check
            else:
                raise FactError(f"{where}: cannot read {line!r}")
    return modules, macros


def expand(lines: list, macros: dict[str, list], tags: dict[str, int], prefix: tuple[int, ...] = (),
           seen: tuple[str, ...] = ()):
    """Yield (path, pairs, where, macro condition info) for each attribute, macros expanded.

    Also yields ("invoke", path, macro name, condition) for conditional macro invocations.
    """
    stack: list[int] = list(prefix)
    base = len(prefix)
    for kind, pairs, where in lines:
        if kind == "end":
            if len(stack) <= base:
                raise FactError(f"{where}: SequenceEnd without Sequence")
            stack.pop()
        elif kind == "verify":
            tag = tags.get(pairs["Verify"])
            if tag is not None:
                yield ("verify", (*stack, tag), pairs, where)
        elif kind in ("name", "sequence"):
            keyword = pairs.get("Name") or pairs.get("Sequence")
            tag = tags.get(keyword)
            if tag is None:
                yield ("unknown", keyword, where)
                if kind == "sequence":
                    stack.append(-1)
                continue
            path = (*stack, tag)
            yield ("attribute", path, pairs, where)
            if kind == "sequence":
                stack.append(tag)
        elif kind == "macro":
            name = pairs["InvokeMacro"]
            if name not in macros:
                raise FactError(f"{where}: unknown macro {name!r}")
            if name in seen:
                continue  # a macro that includes itself (content items): one level is enough
            yield ("invoke", tuple(stack), name, pairs.get("Condition", ""), where)
            yield from expand(macros[name], macros, tags, tuple(stack), (*seen, name))
    if len(stack) != base:
        raise FactError(f"a sequence is not closed in {lines[-1][2] if lines else '?'}")


def read_tables(folder: Path) -> Tables:
    """Parse and check the dicom3tools folder."""
    tags = keyword_tags(folder)
    constants = sop_class_constants(folder)
    conditions = compile_conditions((folder / "condn.tpl").read_text(encoding="latin-1"), tags, constants)
    apply_corrections(conditions, tags, constants)
    iods, recognised_by = parse_iods(folder)
    module_lines, macros = parse_modules(folder)
    modules: dict[str, dict[tuple[int, ...], tuple[str, str, bool]]] = {}
    macro_conditions: dict[str, dict[int, dict[str, str]]] = {}
    enums: dict[str, dict[tuple[int, ...], list[tuple[str, int]]]] = {}
    for name, lines in module_lines.items():
        attributes: dict[tuple[int, ...], tuple[str, str, bool]] = {}
        for entry in expand(lines, macros, tags):
            if entry[0] == "attribute":
                _, path, pairs, where = entry
                type_ = pairs.get("Type", "")
                condition = pairs.get("Condition", "")
                if type_ in ("1C", "2C"):
                    if condition and "NoCondition" in pairs:
                        raise FactError(f"{where}: both a condition and NoCondition")
                    if condition and condition not in conditions:
                        raise FactError(f"{where}: unknown condition name {condition!r}")
                elif condition and condition not in conditions:
                    raise FactError(f"{where}: unknown condition name {condition!r}")
                attributes.setdefault(path, (type_, condition, pairs.get("mbpo") == "true"))
            if entry[0] in ("attribute", "verify") and entry[2].get("StringEnumValues"):
                _, path, pairs, where = entry
                selector = pairs.get("ValueSelector", "*")
                check = (pairs["StringEnumValues"], -1 if selector == "*" else int(selector))
                checks = enums.setdefault(name, {}).setdefault(path, [])
                if check not in checks:
                    checks.append(check)
            elif entry[0] == "invoke":
                _, path, macro, condition, where = entry
                condition = condition or "Always"  # a macro invoked without a condition is always required there
                if condition not in conditions:
                    raise FactError(f"{where}: unknown condition name {condition!r}")
                if len(path) == 1 and path[0] in (0x52009229, 0x52009230):
                    place = "shared" if path[0] == 0x52009229 else "per_frame"
                    first = next((line for line in macros[macro] if line[0] == "sequence"), None)
                    if first is not None and first[1]["Sequence"] in tags:
                        sequence = tags[first[1]["Sequence"]]
                        macro_conditions.setdefault(name, {}).setdefault(sequence, {})[place] = condition
        modules[name] = attributes
    for iod, rows in iods.items():
        for module, _usage, condition in rows:
            if condition and condition not in conditions:
                raise FactError(f"iodcomp: IOD {iod} module {module}: unknown condition name {condition!r}")
            if module not in modules:
                raise FactError(f"iodcomp: IOD {iod} names module {module!r} that module/*.tpl lacks")
    version = (folder / "VERSION").read_text().strip() if (folder / "VERSION").exists() else "unknown"
    if not (folder / "COPYRIGHT").exists():
        raise FactError(f"{folder}: no COPYRIGHT file; its licence must travel with the facts")
    sop_iods: dict[str, str] = {}
    for iod, condition in recognised_by.items():
        if condition not in conditions:
            raise FactError(f"iodcomp: IOD {iod}: unknown condition name {condition!r}")
        for term in conditions[condition]:
            if term[2] == "string_in" and term[3] == 0x00080016 and not term[1]:
                for uid in term[4]:
                    sop_iods.setdefault(uid, iod)
    return Tables(version, conditions, iods, modules, macro_conditions, sop_iods, enums, string_values(folder),
                  (folder / "COPYRIGHT").read_text(encoding="latin-1"))


def string_values(folder: Path) -> dict[str, list[str]]:
    """strval/*.tpl: name -> the enumerated values."""
    values: dict[str, list[str]] = {}
    name = None
    for path in sorted((folder / "strval").glob("*.tpl")):
        for raw in path.read_text(encoding="latin-1").splitlines():
            line = raw.split("#", 1)[0].strip()
            match = re.match(r'StringValues="(\w+)"', line)
            if match:
                name = match[1]
                values[name] = []
            elif line.startswith("}"):
                name = None
            elif name and line:
                value = line.rstrip(",").split("=", 1)[0].strip()
                if value:
                    values[name].append(value)
    return values


# -- facts keyed by the ids of our own tables ---------------------------------------------------------

FACTS_FORMAT = 1
SHARED_GROUPS, PER_FRAME_GROUPS = 0x52009229, 0x52009230
#: dicom3tools module names that differ from the standard's module names by more than spelling.
MODULE_ALIASES = {"SupplementalPaletteColorLUT": "supplemental-palette-color-lookup-table"}
#: dicom3tools' own checks written as modules (no module of the standard): not facts about the standard.
PSEUDO_MODULE = re.compile(r"Pseudo$|^FileMetaInformation$")


def _normal(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def path_key(path: tuple[int, ...]) -> str:
    return ".".join(f"{tag:08x}" for tag in path)


def facts(tables: Tables, standard) -> dict:
    """The shipped condition facts, keyed by our module ids and attribute tag paths.

    ``standard`` is DICOMTeachLib's StandardTables (highdicom's 2026 tables): it decides which modules,
    attributes and types exist; dicom3tools' tables add the conditions.
    """
    used: set[str] = set()
    derived: dict[str, list] = {}
    iods: dict[str, dict] = {}
    module_sources: dict[str, set[str]] = {}  # our module id -> dicom3tools module names
    sop_classes: dict[str, str] = {}
    for uid, d3_iod in sorted(tables.sop_iods.items()):
        entry = standard.sop_class(uid)
        if entry is None:
            continue
        our = standard.iod(entry.iod_id)
        sop_classes[uid] = d3_iod
        if d3_iod in iods:
            continue
        by_name = {}
        for reference in our.modules:
            by_name[_normal(reference.module_id)] = reference.module_id
            by_name[_normal(reference.name)] = reference.module_id
        functional_groups = next((r.module_id for r in our.modules
                                  if r.module_id.endswith("multi-frame-functional-groups")), None)
        modules: dict[str, list] = {}
        for name, usage, condition in tables.iods[d3_iod]:
            if PSEUDO_MODULE.search(name):
                continue
            if name.startswith("MultiFrameFunctionalGroups"):
                module_id = functional_groups
            else:
                module_id = MODULE_ALIASES.get(name) or by_name.get(_normal(name))
            if module_id is None:
                continue  # a module the 2026 edition no longer has in this IOD
            module_sources.setdefault(module_id, set()).add(name)
            if condition and module_id not in modules:
                terms = tables.conditions.get(condition, [])
                required = _without_presence_tests(terms, standard, module_id)
                if required and required != terms:
                    derived[f"{condition}{REQUIRED_SUFFIX}"] = required
                modules[module_id] = [usage, condition, int(not required and bool(terms))]
                used.add(condition)
        groups: dict[str, list] = {}
        for name, _usage, _condition in tables.iods[d3_iod]:
            for sequence, places in tables.macro_conditions.get(name, {}).items():
                row = [places.get("shared", ""), places.get("per_frame", "")]
                groups.setdefault(f"{sequence:08x}", row)
                used.update(condition for condition in row if condition)
        iods[d3_iod] = {"modules": modules, "groups": groups}

    attributes: dict[str, dict[str, list]] = {}
    enums: dict[str, dict[str, list]] = {}
    fg_macro_sources: dict[int, list[tuple[int, ...]]] = {}
    for module_id, names in sorted(module_sources.items()):
        for name in sorted(names):
            for path, (type_, condition, mbpo) in tables.modules[name].items():
                key_path = path
                if path[0] in (SHARED_GROUPS, PER_FRAME_GROUPS) and len(path) > 1:
                    # A functional group macro: our tables hold it as a module of its own (its sequence first).
                    fg_macro_sources.setdefault(path[1], [])
                    target = f"macro:{path[1]:08x}"
                    key_path = path[1:]
                else:
                    target = module_id
                if type_ in ("1C", "2C") or condition:
                    row = [type_, condition, int(mbpo)]
                    attributes.setdefault(target, {}).setdefault(path_key(key_path), row)
                    if condition:
                        used.add(condition)
            for path, checks in tables.enums.get(name, {}).items():
                known = [list(check) for check in checks if check[0] in tables.string_values]
                if known and path[0] not in (SHARED_GROUPS, PER_FRAME_GROUPS):
                    enums.setdefault(module_id, {}).setdefault(path_key(path), known)
    # Functional group macros by our macro ids (the module whose first attribute is the macro's sequence).
    for iod in standard.iods():
        for reference in standard.functional_groups(iod.id):
            definition = standard.module(reference.module_id)
            if definition.attributes:
                key = f"macro:{definition.attributes[0].tag:08x}"
                if key in attributes:
                    attributes.setdefault(reference.module_id, attributes[key])
    attributes = {key: value for key, value in attributes.items() if not key.startswith("macro:")}
    missing = used - set(tables.conditions)
    if missing:
        raise FactError(f"conditions referenced but not defined: {sorted(missing)}")
    value_lists = sorted({check[0] for rows in enums.values() for checks in rows.values() for check in checks})
    # Conditions and per-module rows stay JSON text in the file, decoded on first use (a fast first explain).
    return {
        "format": FACTS_FORMAT,
        "source": f"dicom3tools {tables.version}",
        "licence": tables.licence,
        "conditions": {name: _text(({**tables.conditions, **derived})[name]) for name in sorted(used | set(derived))},
        "sop_classes": sop_classes,
        "iods": iods,
        "attributes": {module_id: _text(rows) for module_id, rows in sorted(attributes.items())},
        "enums": {module_id: _text(rows) for module_id, rows in sorted(enums.items())},
        "values": {name: tables.string_values[name] for name in value_lists},
        "corrected": {name: clause for name, (clause, _) in CORRECTIONS.items() if name in used},
    }


REQUIRED_SUFFIX = ":required"


def _without_presence_tests(terms: list, standard, module_id: str) -> list:
    """A module condition without its "or one of the module's own attributes is present" terms.

    dciodvfy's module conditions say when to verify a module: "required, or there anyway" ("RT Fraction Scheme
    has beams, or Beam Sequence is present"). Whether the module is *required* is the rest. When nothing is
    left ("NeedModuleContrastBolus": Contrast/Bolus Agent is present), the standard's condition needs
    knowledge outside the file ("contrast media was used") and the result is [].
    """
    tags = {rule.tag for rule in standard.module(module_id).attributes}

    def presence(term: list) -> bool:
        return (term[0] == "|" and not term[1] and term[2] in ("present", "value", "present_masked")
                and term[3] in tags)

    if all(term[0] == "|" for term in terms[1:]):
        kept = [term for term in terms if not presence(term)]
    else:
        kept = list(terms)
        while kept and presence(kept[-1]):
            kept.pop()
    if kept and kept[0][0] != "|":
        kept[0] = ["|", *kept[0][1:]]  # the first term starts the chain
    return kept


def _text(value) -> str:
    import json

    return json.dumps(value, separators=(",", ":"), sort_keys=True)
