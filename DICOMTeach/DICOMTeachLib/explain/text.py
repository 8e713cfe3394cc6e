"""Plain-text rendering of an explanation: what the panel and the terminal show."""

from __future__ import annotations

from collections import Counter

from .anatomy import ElementAnatomy, FileAnatomy
from .model import AttributeReport, Explanation, ModuleReport, Problem

INDENT = "  "
USAGE_NAMES = {"M": "mandatory", "C": "conditional", "U": "user option"}


def render_text(explanation: Explanation, *, problems_only: bool = False, anatomy: bool = True) -> str:
    """The whole explanation as text (``problems_only``: the header and the problems)."""
    lines = _header(explanation)
    if not problems_only:
        if anatomy and explanation.anatomy is not None:
            lines += ["", *render_anatomy(explanation.anatomy)]
        lines += ["", *_modules(explanation)]
        if explanation.other_elements:
            title = "Elements no module of the IOD defines" if explanation.iod else "Elements of the file"
            lines += ["", f"{title} ({len(explanation.other_elements)})"]
            for attribute in explanation.other_elements:
                lines += _attribute(attribute, 1)
    lines += ["", *_problems(explanation.problems)]
    return "\n".join(lines) + "\n"


def _header(explanation: Explanation) -> list[str]:
    sop = f"{explanation.sop_class_uid or '(none)'}"
    if explanation.sop_class_name:
        sop += f"  {explanation.sop_class_name}"
    iod = f"{explanation.iod[1]} ({explanation.iod[0]})" if explanation.iod else "unknown: generic breakdown"
    ts = "  ".join(explanation.transfer_syntax) if explanation.transfer_syntax else "(unknown)"
    counts = Counter(problem.severity for problem in explanation.problems)
    summary = ", ".join(f"{counts[s]} {s}{'s' if counts[s] != 1 and s != 'info' else ''}"
                        for s in ("error", "warning", "info"))
    lines = [explanation.path, f"{INDENT}SOP Class        {sop}", f"{INDENT}IOD              {iod}",
             f"{INDENT}Transfer syntax  {ts}"]
    if explanation.modules:
        lines.append(f"{INDENT}Entities         {' > '.join(explanation.information_entities)}")
    lines.append(f"{INDENT}Problems         {summary}")
    return lines


def render_anatomy(anatomy: FileAnatomy) -> list[str]:
    """The file's layout, offset first, as the course draws it."""
    lines = [f"File anatomy ({anatomy.file_size} bytes)"]
    if anatomy.has_preamble:
        state = "all zero" if anatomy.preamble_all_zero else f"not all zero: {anatomy.preamble_head} …"
        lines.append(f"{INDENT}@0       preamble, 128 bytes ({state})")
        lines.append(f"{INDENT}@128     \"DICM\" prefix")
    else:
        lines.append(f"{INDENT}@0       no preamble and no \"DICM\" prefix: the data set starts at once")
    if anatomy.meta_elements:
        first = anatomy.meta_elements[0].offset
        stated = f", group length says {anatomy.meta_group_length} bytes follow (0002,0000)" \
            if anatomy.meta_group_length is not None else ""
        lines.append(f"{INDENT}@{first:<7} file meta information, group 0002, always explicit VR little endian{stated}")
        for element in anatomy.meta_elements:
            lines.append(_anatomy_line(element, 2))
            if element.meaning:
                lines.append(f"{INDENT * 3}{'':8}{element.meaning}")
    ts = anatomy.transfer_syntax
    if ts is not None:
        lines.append(f"{INDENT}Transfer syntax {ts.uid} {ts.name}:")
        lines += [f"{INDENT * 2}- {line}" for line in ts.explanation]
    where = f"@{anatomy.dataset_offset}" if anatomy.dataset_offset is not None else "@?"
    lines.append(f"{INDENT}{where:<8} data set, {len(anatomy.elements)} top-level elements")
    for element in anatomy.elements:
        lines.append(_anatomy_line(element, 2))
    pixel = anatomy.pixel
    if pixel is not None:
        size = " x ".join(str(v) if v is not None else "?" for v in (pixel.rows, pixel.columns))
        text = (f"{INDENT}Pixel data ({pixel.keyword}): {size} pixels x {pixel.frames} frame"
                f"{'s' if pixel.frames != 1 else ''} x {pixel.samples_per_pixel or '?'} sample(s) x "
                f"{pixel.bits_allocated or '?'} bits allocated ({pixel.bits_stored or '?'} stored), "
                f"{pixel.photometric or 'no photometric interpretation'}")
        lines.append(text)
        if pixel.encapsulated:
            table = ("empty Basic Offset Table" if not pixel.offset_table_entries
                     else f"Basic Offset Table with {pixel.offset_table_entries} entries")
            lines.append(f"{INDENT * 2}encapsulated: {table}, {pixel.fragments} fragment(s), "
                         f"{pixel.fragment_bytes} bytes compressed"
                         + (f" (native size {pixel.native_bytes} bytes)" if pixel.native_bytes else ""))
        else:
            lines.append(f"{INDENT * 2}native: {pixel.length} bytes"
                         + (f" (rows x columns x frames x samples x bits/8 = {pixel.native_bytes})"
                            if pixel.native_bytes is not None else ""))
    lines += [f"{INDENT}Note: {note}" for note in anatomy.notes]
    return lines


def _anatomy_line(element: ElementAnatomy, depth: int) -> str:
    where = f"@{element.offset}" if element.offset is not None else "@?"
    length = "undefined" if element.length is None else str(element.length)
    label = element.keyword or element.name
    return (f"{INDENT * depth}{where:<8} {element.tag} {element.vr:<2} len {length:<9} {label:<34} "
            f"{element.value}").rstrip()


def _modules(explanation: Explanation) -> list[str]:
    lines: list[str] = []
    current_ie = None
    for module in explanation.modules:
        if module.ie != current_ie:
            current_ie = module.ie
            lines.append(f"{module.ie} IE" if module.ie != "Functional Groups" else "Functional group macros")
        lines += _module(module)
    return lines


def _module(module: ModuleReport) -> list[str]:
    usage = USAGE_NAMES.get(module.usage, module.usage)
    head = f"{INDENT}[{module.usage}] {module.name} ({module.id}): {module.status}, {usage}"
    lines = [head]
    if module.usage == "C" and module.condition:
        result = {True: "holds for this file", False: "does not hold for this file",
                  None: "not machine-checkable"}[module.condition_result]
        because = f" ({module.decided_by})" if module.decided_by else ""
        lines.append(f"{INDENT * 3}condition: {module.condition} -> {result}{because}")
    if module.status == "absent":
        return lines
    hidden = 0
    for attribute in module.attributes:
        if attribute.status == "missing" and attribute.type == "3":
            hidden += 1
            continue
        lines += _attribute(attribute, 2)
    if hidden:
        lines.append(f"{INDENT * 2}(+{hidden} optional type 3 attribute{'s' if hidden != 1 else ''} not present)")
    return lines


def _attribute(attribute: AttributeReport, depth: int) -> list[str]:
    kind = f"type {attribute.type}" if attribute.type else "      "
    where = f"@{attribute.offset}" if attribute.offset is not None else ""
    value = ""
    if attribute.status == "missing":
        value = {True: "MISSING", False: "absent, not required", None: "absent"}[attribute.required]
    elif attribute.status == "empty":
        value = "(empty)"
    elif attribute.value is not None:
        value = attribute.value
    label = attribute.keyword or attribute.name
    phi = f"  PHI:{attribute.phi_action}" if attribute.phi_action else ""
    lines = [f"{INDENT * depth}{attribute.tag} {label:<36} {kind:<7} {attribute.vr:<2} {value}"
             f"{'  ' + where if where else ''}{phi}".rstrip()]
    if attribute.type in ("1C", "2C"):
        lines.append(f"{INDENT * (depth + 2)}{_verdict(attribute)}")
    for number, item in enumerate(attribute.items, start=1):
        lines.append(f"{INDENT * (depth + 1)}item {number}")
        for nested in item:
            if nested.status == "missing" and nested.type in ("3", ""):
                continue
            lines += _attribute(nested, depth + 2)
    return lines


def _verdict(attribute: AttributeReport) -> str:
    """The verdict of a 1C/2C attribute: required or not, and what in the file decided it."""
    if attribute.required is None:
        return "required? cannot tell from the file" + (f": {attribute.condition}" if attribute.condition else "")
    because = f" because {attribute.decided_by}" if attribute.decided_by else ""
    return f"{'required' if attribute.required else 'not required'} here{because}"


def _problems(problems: list[Problem]) -> list[str]:
    if not problems:
        return ["No problems found."]
    lines = [f"Problems ({len(problems)})"]
    order = {"error": 0, "warning": 1, "info": 2}
    for problem in sorted(problems, key=lambda p: order.get(p.severity, 3)):
        lines.append(f"{INDENT}{problem.severity:<7} {problem.code:<22} {problem.message}")
    return lines
