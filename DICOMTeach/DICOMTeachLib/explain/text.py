"""Plain-text rendering of an explanation: what the panel and the terminal show.

By default a screen or two: the summary, the problems, each module with its status
and verdict, the attributes a student must look at (required ones missing or
empty), counts for the rest, private elements once per block, a DICOMDIR's tree to
the series, and the legend. ``full`` adds every attribute with its value and
position, the file's anatomy and every directory record.
"""

from __future__ import annotations

from collections import Counter

from .anatomy import MAX_PIXEL_ITEMS, ElementAnatomy, FileAnatomy, PixelSummary
from .directory import DirectoryRecord, DirectoryReport
from .legend import legend_sections
from .model import AttributeReport, Explanation, ModuleReport, Problem

INDENT = "  "
USAGE_NAMES = {"M": "mandatory", "C": "conditional", "U": "user option"}
VERDICTS = {True: "holds for this file", False: "does not hold for this file", None: "cannot be decided from the file"}
#: Problems the default view shows elsewhere: once, with the elements outside the IOD's modules.
SHOWN_ELSEWHERE = frozenset({"private-element", "not-in-iod"})
#: Problems of one code listed in the default view, at most (the rest are counted; --full lists all).
MAX_PROBLEMS_PER_CODE = 5
#: Lines of a DICOMDIR's tree in the default view, at most.
MAX_DIRECTORY_LINES = 40
#: Standard elements outside the IOD named in the default view, at most (the rest are counted).
MAX_NAMED_OTHERS = 12


def render_text(explanation: Explanation, *, problems_only: bool = False, anatomy: bool = True,
                full: bool = False, legend: bool = True) -> str:
    """The explanation as text: readable by default, everything with ``full``; ``problems_only``: header and problems.

    ``legend=False`` leaves out the closing legend (:func:`render_closing`), for one legend after many files."""
    lines = _header(explanation)
    if problems_only:
        lines += ["", *_problems(explanation.problems)]
    elif full:
        if anatomy and explanation.anatomy is not None:
            lines += ["", *render_anatomy(explanation.anatomy)]
        if explanation.directory is not None:
            lines += ["", *render_directory(explanation.directory, full=True)]
        lines += ["", *_modules(explanation)]
        if explanation.other_elements:
            title = "Elements no module of the IOD defines" if explanation.iod else "Elements of the file"
            lines += ["", f"{title} ({len(explanation.other_elements)})"]
            for attribute in explanation.other_elements:
                lines += _attribute(attribute, 1)
        lines += ["", *_problems(explanation.problems)]
    else:
        shown = [p for p in explanation.problems if p.code not in SHOWN_ELSEWHERE]
        elsewhere = len(explanation.problems) - len(shown)
        if shown or not explanation.problems:
            lines += ["", *_problems(shown, per_code=MAX_PROBLEMS_PER_CODE)]
        else:
            lines += ["", "No problems found in the modules."]
        if elsewhere:
            lines.append(f"{INDENT}(and {elsewhere} about elements outside the IOD's modules: see the end)")
        if explanation.directory is not None:
            lines += ["", *render_directory(explanation.directory, full=False)]
        lines += ["", *_module_summaries(explanation)]
        lines += _other_elements_summary(explanation)
    if legend and not problems_only:
        lines += ["", *render_closing(full=full)]
    return "\n".join(lines) + "\n"


def render_closing(*, full: bool = False) -> list[str]:
    """What closes the text view: the legend, and (default view) where to find the rest."""
    lines = render_legend()
    return lines if full else [*lines, "", "Every attribute with its value and position, and the file's anatomy: "
                                           "explain --full"]


def render_legend() -> list[str]:
    """What the letters mean: module usage, attribute types, PS3.15 actions."""
    lines = ["Legend"]
    for title, entries in legend_sections(compact=True):
        lines.append(f"{INDENT}{title}")
        lines += [f"{INDENT * 2}{letter:<6} {meaning}" for letter, meaning in entries]
    return lines


# -- the default view ---------------------------------------------------------------------------------------


def attribute_required(attribute: AttributeReport) -> bool | None:
    """Must the file hold this attribute? Types 1 and 2 always, unless the breakdown says not here (an SR content
    item's attribute of another Value Type); 1C/2C as decided (None: cannot tell); else no."""
    decided = getattr(attribute, "required", None)
    if attribute.type in ("1", "2"):
        return decided is not False
    if attribute.type in ("1C", "2C"):
        return decided
    return False


def _module_summaries(explanation: Explanation) -> list[str]:
    if not explanation.modules:
        return []
    statuses = Counter(module.status for module in explanation.modules)
    lines = [f"Modules ({len(explanation.modules)}: {statuses['present']} present, {statuses['partial']} partial, "
             f"{statuses['absent']} absent)"]
    current_ie = None
    skipped: list[ModuleReport] = []
    undecided: list[ModuleReport] = []
    for module in explanation.modules:
        if module.ie != current_ie:
            lines += _not_in_file(skipped, undecided)
            skipped, undecided = [], []
            current_ie = module.ie
            lines.append(f"{module.ie} IE" if module.ie != "Functional Groups" else "Functional group macros")
        if module.status == "absent" and (module.usage == "U" or (module.usage == "C" and
                                                                   module.condition_result is False)):
            skipped.append(module)
            continue
        if module.status == "absent" and module.usage == "C" and module.condition_result is None:
            undecided.append(module)
            continue
        lines += _module_summary(module)
    lines += _not_in_file(skipped, undecided)
    return lines


def _not_in_file(skipped: list[ModuleReport], undecided: list[ModuleReport]) -> list[str]:
    """Absent modules the file does not need, and those whose condition the file cannot decide, one line each."""
    lines = []
    if undecided:
        names = ", ".join(_bare_name(module) for module in undecided)
        lines.append(f"{INDENT}not in the file, condition not decidable from the file [C]: {names}")
    if skipped:
        names = ", ".join(f"{_bare_name(module)} [{module.usage}]" for module in skipped)
        lines.append(f"{INDENT}not in the file, not required: {names}")
    return lines


def _bare_name(module: ModuleReport) -> str:
    """A functional group macro's name without where it was looked for (the line says it is not there)."""
    for suffix in (" (not in the file)", " (not needed here)"):
        if module.name.endswith(suffix):
            return module.name[: -len(suffix)]
    return module.name


def _module_summary(module: ModuleReport) -> list[str]:
    usage = USAGE_NAMES.get(module.usage, module.usage)
    head = f"{INDENT}[{module.usage}] {module.name}: {module.status}, {usage}"
    if module.usage == "C":
        head += f" ({ {True: 'required', False: 'not required', None: 'cannot tell'}[module.condition_result]})"
    listed: list[str] = []
    not_required = undecided = 0
    for attribute in module.attributes:
        needed = attribute_required(attribute)
        if attribute.status == "present" or (attribute.status == "empty" and attribute.type not in ("1", "1C")):
            continue
        if attribute.status == "missing" and needed is False:
            not_required += 1
        elif attribute.status == "missing" and needed is None:
            undecided += 1
        else:
            state = "MISSING" if attribute.status == "missing" else "EMPTY"
            # What in the file decided it, rather than the whole condition (Laterality's runs to 1,500 characters).
            why = (attribute.decided_by or attribute.condition) if attribute.type in ("1C", "2C") else ""
            listed.append(f"{INDENT * 2}{state:<8}{attribute.tag} {attribute.keyword or attribute.name} "
                          f"(type {attribute.type}{', required: ' + why if why else ''})")
    if module.status != "absent":
        present = sum(1 for a in module.attributes if a.status == "present")
        empty = sum(1 for a in module.attributes if a.status == "empty")
        counts = [f"{present} with a value"] + ([f"{empty} empty"] if empty else [])
        absent = ([f"{not_required} not required"] if not_required else []) + \
            ([f"{undecided} conditional, undecidable from the file"] if undecided else [])
        head += " - " + ", ".join(counts) + (f"; absent: {', '.join(absent)}" if absent else "")
    lines = [head]
    if module.usage == "C" and module.condition:
        lines.append(f"{INDENT * 3}condition: {module.condition} -> {VERDICTS[module.condition_result]}")
    return lines + (listed if module.status != "absent" else [])


def _other_elements_summary(explanation: Explanation) -> list[str]:
    others = explanation.other_elements
    if not others:
        return []
    standard = [a for a in others if not (a.tag_value >> 16) & 1]
    private = [a for a in others if (a.tag_value >> 16) & 1]
    lines = [""]
    if standard:
        title = "Standard elements this IOD does not define" if explanation.iod else "Elements of the file"
        warned = sum(1 for p in explanation.problems if p.code == "not-in-iod")
        count = f"{len(standard)}, {warned} warning{'s' if warned != 1 else ''}" if warned else f"{len(standard)}"
        names = ", ".join(a.keyword or a.tag for a in standard[:MAX_NAMED_OTHERS])
        more = f" and {len(standard) - MAX_NAMED_OTHERS} more" if len(standard) > MAX_NAMED_OTHERS else ""
        lines.append(f"{title} ({count}): {names}{more}")
    if private:
        blocks = [p for p in explanation.problems if p.code == "private-element"]
        lines.append(f"Private elements ({len(private)}, in {len(blocks)} block{'s' if len(blocks) != 1 else ''})")
        lines += [f"{INDENT}{block.message}" for block in blocks]
    return lines


# -- a DICOMDIR -----------------------------------------------------------------------------------------------


def render_directory(directory: DirectoryReport, *, full: bool = False) -> list[str]:
    """The record tree: to the series by default (instances counted), every record with its offsets in full."""
    counts = ", ".join(f"{count} {kind}" for kind, count in directory.counts().items()) or "no records"
    files = directory.referenced_files
    missing = sum(1 for record in files if record.file_exists is False)
    lines = [f"DICOMDIR: file-set {directory.file_set_id or '(no File-set ID)'}, {len(directory.records)} "
             f"directory records ({counts})",
             f"{INDENT}{len(files)} referenced file{'s' if len(files) != 1 else ''}"
             + (f", {missing} missing" if missing else (", all present" if files else ""))
             + (f"; the file meta of {directory.files_opened} compared with their records"
                if directory.files_opened else ""),
             f"{INDENT}root records from byte {directory.first_offset} to {directory.last_offset}; "
             f"{directory.offsets_checked} offsets followed and checked against the items' positions"]
    tree = [line for record in directory.roots for line in _record_lines(record, 1, full)]
    if not full and len(tree) > MAX_DIRECTORY_LINES:
        hidden = len(tree) - MAX_DIRECTORY_LINES
        tree = tree[:MAX_DIRECTORY_LINES] + [f"{INDENT}… {hidden} more lines of the tree (explain --full lists "
                                             "every record)"]
    return lines + tree


def _record_lines(record: DirectoryRecord, depth: int, full: bool) -> list[str]:
    where = f"@{record.offset}" if record.offset is not None else "@?"
    unused = "" if record.in_use else " (inactive record)"
    line = f"{INDENT * depth}{where:<8} {record.record_type:<8} {record.keys_text}{unused}"
    if record.file_id:
        line += f" -> {record.file_id} ({'present' if record.file_exists else 'MISSING' if record.file_exists is False else 'not looked for'})"
    if full:
        line += f"  [next @{record.next_offset}, lower @{record.lower_offset}]"
    lines = [line.rstrip()]
    leaves = [child for child in record.children if not child.children]
    if not full and record.record_type == "SERIES" and leaves:
        kinds = Counter(child.record_type for child in leaves)
        absent = sum(1 for child in leaves if child.file_exists is False)
        described = ", ".join(f"{count} {kind}" for kind, count in kinds.items())
        lines.append(f"{INDENT * (depth + 1)}{described} record(s)"
                     + (f", {absent} file(s) missing" if absent else ""))
        for child in record.children:
            if child.children:
                lines += _record_lines(child, depth + 1, full)
        return lines
    for child in record.children:
        lines += _record_lines(child, depth + 1, full)
    return lines


# -- the full view --------------------------------------------------------------------------------------------


def _header(explanation: Explanation) -> list[str]:
    sop = f"{explanation.sop_class_uid or '(none)'}"
    if explanation.sop_class_name:
        sop += f"  {explanation.sop_class_name}"
    iod = f"{explanation.iod[1]} ({explanation.iod[0]})" if explanation.iod else "unknown: generic breakdown"
    ts = "  ".join(explanation.transfer_syntax) if explanation.transfer_syntax else "(unknown)"
    counts = Counter(problem.severity for problem in explanation.problems)
    summary = ", ".join(f"{counts[s]} {s}{'s' if counts[s] != 1 and s != 'info' else ''}"
                        for s in ("error", "warning", "info"))
    lines = [explanation.path, f"{INDENT}SOP Class        {sop}", f"{INDENT}IOD              {iod}"]
    if explanation.service is not None:  # SOP class = IOD + service
        lines.append(f"{INDENT}Service          {explanation.service.summary}")
    lines.append(f"{INDENT}Transfer syntax  {ts}")
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
            lines.append(f"{INDENT * 2}encapsulated ({pixel.vr}, undefined length): {table}, {pixel.fragments} "
                         f"fragment(s), {pixel.fragment_bytes} bytes compressed"
                         + (f" (native size {pixel.native_bytes} bytes)" if pixel.native_bytes else ""))
            if pixel.frame_mapping:
                lines.append(f"{INDENT * 2}fragments -> frames: {pixel.frame_mapping}")
            lines += _pixel_items(pixel)
        else:
            lines.append(f"{INDENT * 2}native ({pixel.vr}): {pixel.length} bytes"
                         + (f" (rows x columns x frames x samples x bits/8 = {pixel.native_bytes})"
                            if pixel.native_bytes is not None else ""))
    lines += [f"{INDENT}Note: {note}" for note in anatomy.notes]
    return lines


def _pixel_items(pixel: PixelSummary) -> list[str]:
    lines = []
    for item in pixel.items[:MAX_PIXEL_ITEMS]:
        if item.kind == "offset table":
            entries = " ".join(str(entry) for entry in pixel.offset_table[:16])
            more = " …" if len(pixel.offset_table) > 16 else ""
            what = f"Basic Offset Table, {item.length} bytes" + (f": {entries}{more}" if entries else " (empty)")
        elif item.kind == "fragment":
            frame = f"frame {item.frame}" if item.frame is not None else "frame ?"
            what = f"fragment, {item.length} bytes, {frame}"
        else:
            what = "sequence delimiter: end of the pixel data"
        tag = "(FFFE,E0DD)" if item.kind == "sequence delimiter" else "(FFFE,E000)"
        lines.append(f"{INDENT * 3}@{item.offset:<8} {tag} {what}")
    if len(pixel.items) > MAX_PIXEL_ITEMS:
        lines.append(f"{INDENT * 3}(+{len(pixel.items) - MAX_PIXEL_ITEMS} more items)")
    return lines


def _anatomy_line(element: ElementAnatomy, depth: int) -> str:
    where = f"@{element.offset}" if element.offset is not None else "@?"
    length = "undefined" if element.length is None else str(element.length)
    label = element.keyword or element.name
    vm = "?" if element.vm is None else str(element.vm)
    return (f"{INDENT * depth}{where:<8} {element.tag} {element.vr:<2} len {length:<9} VM {vm:<3} {label:<34} "
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
        result = VERDICTS[module.condition_result]  # the default view's words
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
        lines.append(f"{INDENT * (depth + 2)}{verdict_text(attribute)}")
    for number, item in enumerate(attribute.items, start=1):
        lines.append(f"{INDENT * (depth + 1)}item {number}")
        for nested in item:
            if nested.status == "missing" and nested.type in ("3", ""):
                continue
            lines += _attribute(nested, depth + 2)
    return lines


def verdict_text(attribute: AttributeReport) -> str:
    """The verdict of a 1C/2C attribute: required or not, and what in the file decided it."""
    if attribute.required is None:
        return "required? cannot tell from the file" + (f": {attribute.condition}" if attribute.condition else "")
    because = f" because {attribute.decided_by}" if attribute.decided_by else ""
    return f"{'required' if attribute.required else 'not required'} here{because}"


def _problems(problems: list[Problem], per_code: int | None = None) -> list[str]:
    """Errors first; with ``per_code``, at most that many lines of one code, then how many more."""
    if not problems:
        return ["No problems found."]
    lines = [f"Problems ({len(problems)})"]
    order = {"error": 0, "warning": 1, "info": 2}
    shown: Counter[str] = Counter()
    totals = Counter(problem.code for problem in problems)
    for problem in sorted(problems, key=lambda p: order.get(p.severity, 3)):
        shown[problem.code] += 1
        if per_code is not None and shown[problem.code] > per_code:
            if shown[problem.code] == per_code + 1:
                more = totals[problem.code] - per_code
                lines.append(f"{INDENT}{problem.severity:<7} {problem.code:<22} … and {more} more "
                             "(explain --full lists them)")
            continue
        lines.append(f"{INDENT}{problem.severity:<7} {problem.code:<22} {problem.message}")
    return lines
