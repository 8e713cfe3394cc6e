"""The breakdown as rows of a tree: Information Entity > Module > Attribute > sequence item > ...

The Qt panel and the HTML page only display these rows. Each row has a stable
key (so a problem can select its attribute, and the anatomy view can find an
element's bytes), the column texts, a style name for colours (see LEGEND), and
the problems that concern it.

Fields that the explain model may gain (an attribute's ``condition`` and
``required`` verdict, a problem's sequence ``path``) are read by name with a
default, so the tree shows them as soon as the model carries them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..explain.model import AttributeReport, Explanation, ModuleReport, Problem
from ..tag_format import tag_text

COLUMNS = ("Element", "Tag", "Type", "Verdict", "VR", "VM", "Value", "Length", "Offset")

#: Style name -> (what it means, background colour) for the legend and the colours of both views.
LEGEND: dict[str, tuple[str, str]] = {
    "error": ("a problem: the standard is not met", "#fde2e2"),
    "warning": ("worth knowing: retired, not in the IOD, unusual", "#fff1d0"),
    "present": ("present in the file", "#ffffff"),
    "empty": ("present with an empty value", "#fff8e6"),
    "missing": ("not in the file", "#f0f1f4"),
    "absent": ("module not in the file", "#f0f1f4"),
}
#: Type (attribute) or usage (module) -> (what it means, colour of the Type cell).
TYPE_LEGEND: dict[str, tuple[str, str]] = {
    "1": ("type 1: required, with a value", "#ffb3b3"),
    "1C": ("type 1C: required with a value when its condition holds", "#ffd0d0"),
    "2": ("type 2: required, may be empty", "#ffd79a"),
    "2C": ("type 2C: required (may be empty) when its condition holds", "#ffe6bf"),
    "3": ("type 3: optional", "#d6e6ff"),
    "M": ("module usage M: mandatory", "#ffb3b3"),
    "C": ("module usage C: conditional", "#ffd79a"),
    "U": ("module usage U: user option", "#d6e6ff"),
}


@dataclass
class TreeRow:
    """One row of the breakdown tree."""

    key: str
    kind: str  # "entity", "module", "attribute", "item", "group"
    columns: list[str]
    style: str  # a LEGEND key
    type_code: str = ""  # a TYPE_LEGEND key ("" for none)
    tooltip: str = ""
    problems: list[Problem] = field(default_factory=list)
    children: list[TreeRow] = field(default_factory=list)
    tag_value: int | None = None
    offset: int | None = None  # of the element's tag in the file
    length: int | None = None  # value length
    vr: str = ""
    hidden_missing: int = 0  # optional attributes not in the file, counted rather than listed

    @property
    def has_problem(self) -> bool:
        return any(problem.severity == "error" for problem in self.problems)

    def walk(self) -> Iterator[TreeRow]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class BreakdownTree:
    """The rows of one explanation and where each problem points."""

    roots: list[TreeRow]
    problem_keys: list[tuple[Problem, str | None]]  # each problem and the key of its row (None: file level)

    def rows(self) -> Iterator[TreeRow]:
        for root in self.roots:
            yield from root.walk()

    def row(self, key: str) -> TreeRow | None:
        return next((row for row in self.rows() if row.key == key), None)

    def parents(self) -> dict[str, str]:
        """child key -> parent key."""
        result: dict[str, str] = {}

        def visit(row: TreeRow) -> None:
            for child in row.children:
                result[child.key] = row.key
                visit(child)

        for root in self.roots:
            visit(root)
        return result


def _verdict(attribute: AttributeReport) -> str:
    """Whether the standard asks for the attribute here, then what the file holds."""
    required = getattr(attribute, "required", "unknown")  # issue 8's verdict: True, False, None
    kind = attribute.type
    if kind in ("1", "2"):
        need = "not required" if required is False else "required"  # False: of another SR Value Type
    elif kind in ("1C", "2C"):
        need = {True: "required", False: "not required", None: "cannot tell"}.get(required, "conditional")
    elif kind == "3":
        need = "optional"
    else:
        need = "not in the IOD"
    return f"{attribute.status}, {need}"


def _attribute_style(attribute: AttributeReport, problems: list[Problem]) -> str:
    if any(p.severity == "error" for p in problems):
        return "error"
    if problems:
        return "warning"
    return attribute.status


def _problem_index(explanation: Explanation) -> dict[tuple[str | None, str], list[Problem]]:
    """(module id, tag text) -> problems; module None for problems not tied to a module."""
    index: dict[tuple[str | None, str], list[Problem]] = {}
    for problem in explanation.problems:
        if problem.tag:
            index.setdefault((problem.module, problem.tag), []).append(problem)
    return index


def _attribute_row(attribute: AttributeReport, key: str, problems: list[Problem]) -> TreeRow:
    value = attribute.value if attribute.value is not None else ""
    if attribute.items:
        value = f"{len(attribute.items)} item(s)" + (f" {value}" if value else "")
    tooltip = [f"{attribute.name} {attribute.tag}"]
    condition = getattr(attribute, "condition", "")
    if condition:
        tooltip.append(f"Condition: {condition}")
    if attribute.phi_action:
        tooltip.append(f"PS3.15 action: {attribute.phi_action}")
    tooltip += [f"{p.severity}: {p.message}" for p in problems]
    return TreeRow(
        key=key, kind="attribute",
        columns=[attribute.keyword or attribute.name, attribute.tag, attribute.type or "-", _verdict(attribute),
                 attribute.vr, attribute.vm, value,
                 "" if attribute.length is None else str(attribute.length),
                 "" if attribute.offset is None else str(attribute.offset)],
        style=_attribute_style(attribute, problems), type_code=attribute.type, tooltip="\n".join(tooltip),
        problems=list(problems), tag_value=attribute.tag_value or None, offset=attribute.offset,
        length=attribute.length, vr=attribute.vr)


def _shown(attribute: AttributeReport, problems: list[Problem]) -> bool:
    """Optional attributes the file does not hold are counted, not listed (they are most of the IOD)."""
    if attribute.status != "missing" or problems:
        return True
    if attribute.type in ("1", "2", "1C", "2C"):
        return getattr(attribute, "required", None) is not False
    return False


def _attribute_rows(attributes: list[AttributeReport], prefix: str, module_id: str | None,
                    index: dict[tuple[str | None, str], list[Problem]], top_level: bool) -> tuple[list[TreeRow], int]:
    rows: list[TreeRow] = []
    hidden = 0
    for attribute in attributes:
        problems = index.get((module_id, attribute.tag), []) if top_level else []
        if not _shown(attribute, problems):
            hidden += 1
            continue
        key = f"{prefix}/{attribute.tag}"
        row = _attribute_row(attribute, key, problems)
        for number, item in enumerate(attribute.items, start=1):
            item_key = f"{key}/item{number}"
            children, item_hidden = _attribute_rows(item, item_key, module_id, index, False)
            row.children.append(TreeRow(
                key=item_key, kind="item", columns=[f"item {number}", "", "", "", "", "", "", "", ""],
                style="present", children=children, hidden_missing=item_hidden))
        rows.append(row)
    return rows, hidden


def _module_verdict(module: ModuleReport) -> str:
    if module.usage == "M":
        need = "required"
    elif module.usage == "C":
        need = {True: "required", False: "not required", None: "cannot tell"}[module.condition_result]
    else:
        need = "user option"
    return f"{module.status}, {need}"


def _module_style(module: ModuleReport, rows: list[TreeRow]) -> str:
    if any(row.has_problem for row in rows for row in row.walk()):
        return "error"
    if module.status == "absent":
        return "absent"
    return "empty" if module.status == "partial" else "present"


def build_tree(explanation: Explanation) -> BreakdownTree:
    """The breakdown rows of ``explanation`` (already masked when PHI must not show)."""
    index = _problem_index(explanation)
    roots: list[TreeRow] = []
    entity_rows: dict[str, TreeRow] = {}
    for module in explanation.modules:
        entity = entity_rows.get(module.ie)
        if entity is None:
            entity = entity_rows[module.ie] = TreeRow(
                key=f"ie:{module.ie}", kind="entity",
                columns=[f"{module.ie}" + (" IE" if module.ie != "Functional Groups" else ""),
                         "", "", "", "", "", "", "", ""], style="present")
            roots.append(entity)
        prefix = f"module:{module.id}"
        rows, hidden = _attribute_rows(module.attributes, prefix, module.id, index, True)
        if module.status == "absent" and not (module.usage == "M" or module.condition_result is True):
            # A type 1 attribute of a module the file need not have is not required: the module is not there.
            need = "cannot tell" if module.usage == "C" and module.condition_result is None else "not required"
            for row in rows:
                if row.columns[3].startswith("missing, "):
                    row.columns[3] = f"missing, {need} (module absent)"
        tooltip = [f"{module.name} ({module.id}), usage {module.usage}"]
        if module.condition:
            tooltip.append(f"Condition: {module.condition}")
        if hidden:
            tooltip.append(f"{hidden} optional attribute(s) not in the file are not listed")
        module_problems = [p for p in explanation.problems if p.module == module.id and not p.tag]
        entity.children.append(TreeRow(
            key=prefix, kind="module",
            columns=[module.name, "", module.usage, _module_verdict(module), "", "", _module_value(module, hidden),
                     "", ""],
            style=_module_style(module, rows), type_code=module.usage, tooltip="\n".join(tooltip),
            problems=module_problems, children=rows, hidden_missing=hidden))
    if explanation.other_elements:
        prefix = "other"
        rows, hidden = _attribute_rows(explanation.other_elements, prefix, None, index, True)
        title = "Elements no module of the IOD defines" if explanation.iod else "Elements of the file"
        roots.append(TreeRow(key=prefix, kind="group", columns=[title, "", "", "", "", "", f"{len(rows)} element(s)",
                                                                "", ""],
                             style="warning" if explanation.iod else "present", children=rows))
    entity_style = {row.key: ("error" if any(c.style == "error" for c in row.children) else "present")
                    for row in roots if row.kind == "entity"}
    for row in roots:
        if row.kind == "entity":
            row.style = entity_style[row.key]
    tree = BreakdownTree(roots, [])
    tree.problem_keys = [(problem, _problem_key(problem, tree)) for problem in explanation.problems]
    return tree


PER_FRAME_TAG = "(5200,9230)"


def per_frame_sequence_key(tree: BreakdownTree) -> str | None:
    """The key of the Per-Frame Functional Groups Sequence row of a module ("module:ID/(5200,9230)"), if any."""
    return next((row.key for row in tree.rows() if row.kind == "attribute" and row.key.startswith("module:")
                 and row.key.count("/") == 1 and row.key.endswith("/" + PER_FRAME_TAG)), None)


def frame_item_key(sequence_key: str, frame: int) -> str:
    return f"{sequence_key}/item{frame}"


def with_frame_item(tree: BreakdownTree, frame: int, reports: list[AttributeReport]) -> BreakdownTree:
    """A copy of ``tree`` whose Per-Frame Functional Groups Sequence also lists frame ``frame``'s item, built
    from ``reports`` (``explain.breakdown.per_frame_item``); ``tree`` itself is left as it is (it is cached).
    Item 1 is always there; other frames' items are added after it, in frame order."""
    sequence_key = per_frame_sequence_key(tree)
    if sequence_key is None:
        return tree
    key = frame_item_key(sequence_key, frame)
    if tree.row(key) is not None:
        return tree
    module_id = sequence_key.split("/", 1)[0].removeprefix("module:")
    children, hidden = _attribute_rows(reports, key, module_id, {}, False)
    item = TreeRow(key=key, kind="item", columns=[f"item {frame}", "", "", "", "", "", f"frame {frame}", "", ""],
                   style="present", tooltip=f"Per-Frame Functional Groups Sequence > item {frame}: frame {frame}",
                   children=children, hidden_missing=hidden)

    def copy_along(row: TreeRow) -> TreeRow:
        """The row, copied only where the path to the sequence passes (the rest is shared)."""
        if row.key == sequence_key:
            items = [child for child in row.children if child.kind == "item"]
            numbers = [int(child.key.rsplit("item", 1)[1]) for child in items]
            position = sum(1 for number in numbers if number < frame)
            others = [child for child in row.children if child.kind != "item"]
            return dataclasses.replace(row, children=items[:position] + [item] + items[position:] + others)
        if sequence_key.startswith(row.key + "/") or (row.kind == "entity" and any(
                sequence_key.startswith(child.key + "/") for child in row.children)):
            return dataclasses.replace(row, children=[copy_along(child) for child in row.children])
        return row

    roots = [copy_along(root) for root in tree.roots]
    return BreakdownTree(roots, list(tree.problem_keys))


def _module_value(module: ModuleReport, hidden: int) -> str:
    present = sum(1 for a in module.attributes if a.status != "missing")
    return f"{present} of {len(module.attributes)} attribute(s) in the file"


_PATH_TAG = re.compile(r"\(?([0-9A-Fa-f]{4}),([0-9A-Fa-f]{4})\)?")
_PATH_ITEM = re.compile(r"item\s*#?\s*(\d+)", re.IGNORECASE)
_PATH_INDEX = re.compile(r"\[(\d+)\]")
_PATH_KEYWORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def _path_steps(path: Any) -> list[str]:
    """A sequence path as row key steps ("(gggg,eeee)", "itemN"), whatever its spelling:
    "(0008,1140) > item 1 > (0008,1150)", "ReferencedImageSequence[0].ReferencedSOPClassUID" (0-based, as
    pydicom prints it), or a list of such steps."""
    from pydicom.datadict import tag_for_keyword

    parts = [str(step) for step in path] if isinstance(path, (list, tuple)) else \
        re.split(r"\s*(?:>|/|\.(?=[A-Za-z(]))\s*", str(path))
    steps: list[str] = []
    for part in parts:
        tag = _PATH_TAG.search(part)
        if tag:
            steps.append(f"({tag[1].upper()},{tag[2].upper()})")
        else:
            keyword = _PATH_KEYWORD.match(part.strip())
            number = tag_for_keyword(keyword[0]) if keyword and not _PATH_ITEM.match(part.strip()) else None
            if number is not None:
                steps.append(tag_text(number))
        item = _PATH_ITEM.search(part)
        index = _PATH_INDEX.search(part)
        if item:
            steps.append(f"item{int(item[1])}")
        elif index:
            steps.append(f"item{int(index[1]) + 1}")
    return steps


def _problem_key(problem: Problem, tree: BreakdownTree) -> str | None:
    """The row a problem is about: the deepest row of its sequence path the tree shows, else module + tag."""
    keys = {row.key for row in tree.rows()}
    if problem.tag is None:
        return f"module:{problem.module}" if problem.module and f"module:{problem.module}" in keys else None
    path = getattr(problem, "path", None)
    if path:
        key = f"module:{problem.module}" if problem.module else "other"
        deepest = None
        for step in _path_steps(path):
            key += f"/{step}"
            if key in keys:
                deepest = key
        if key.endswith(problem.tag) and key in keys:
            return key
        if not key.endswith(problem.tag) and f"{key}/{problem.tag}" in keys:
            return f"{key}/{problem.tag}"
        if deepest is not None:
            return deepest
    for candidate in (f"module:{problem.module}/{problem.tag}" if problem.module else None, f"other/{problem.tag}"):
        if candidate and candidate in keys:
            return candidate
    return next((row.key for row in tree.rows() if row.kind == "attribute" and row.columns[1] == problem.tag), None)


def _tag_query(query: str) -> str | None:
    """"0010,0010", "(0010,0010)" or "00100010" -> "(0010,0010)"; None when the query is not a tag."""
    text = query.strip().strip("()").replace(" ", "")
    match = re.fullmatch(r"([0-9A-Fa-f]{4}),?([0-9A-Fa-f]{4})", text)
    return f"({match[1].upper()},{match[2].upper()})" if match else None


def row_matches(row: TreeRow, query: str) -> bool:
    """Search by keyword, name or tag (any spelling of the tag)."""
    if not query.strip():
        return True
    tag = _tag_query(query)
    if tag is not None:
        return row.columns[1] == tag
    needle = query.strip().lower()
    return needle in row.columns[0].lower() or needle in row.tooltip.lower().split("\n")[0]


def visible_keys(tree: BreakdownTree, problems_only: bool = False, query: str = "") -> set[str]:
    """Rows to show: those that match (and, with problems_only, have a problem), with their ancestors."""
    parents = tree.parents()
    shown: set[str] = set()
    for row in tree.rows():
        if row.kind not in ("attribute", "module"):
            continue
        if problems_only and not (row.problems and any(p.severity == "error" for p in row.problems)):
            continue
        if row.kind == "module" and not problems_only and query.strip() and not row_matches(row, query):
            continue
        if row.kind == "attribute" and not row_matches(row, query):
            continue
        key: str | None = row.key
        while key is not None and key not in shown:
            shown.add(key)
            key = parents.get(key)
    if not problems_only and not query.strip():
        shown |= {row.key for row in tree.rows()}
    return shown


#: Short legend texts (the long ones are in LEGEND/TYPE_LEGEND, for the page and tooltips).
_SHORT = {"1": "required, with a value", "1C": "1 if its condition holds", "2": "required, may be empty",
          "2C": "2 if its condition holds", "3": "optional", "M": "mandatory module", "C": "conditional module",
          "U": "user option", "error": "problem", "warning": "worth knowing", "empty": "empty value",
          "missing": "not in the file", "absent": "module not in the file"}


def legend_lines(short: bool = False) -> list[tuple[str, str, str]]:
    """(label, meaning, colour) for the legend under the tree."""
    lines = [(code, meaning, colour) for code, (meaning, colour) in TYPE_LEGEND.items()]
    lines += [(style, meaning, colour) for style, (meaning, colour) in LEGEND.items() if style != "present"]
    if short:
        lines = [(label, _SHORT.get(label, meaning), colour) for label, meaning, colour in lines]
    return lines
