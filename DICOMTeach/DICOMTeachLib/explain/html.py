"""One self-contained HTML page: inline CSS, no scripts, collapsible modules and sequences.

Readable offline (nothing is fetched); the only links are deep links into the
Innolitics DICOM browser for readers who want the standard's text.
"""

from __future__ import annotations

from html import escape

from .anatomy import FileAnatomy
from .model import AttributeReport, Explanation, ModuleReport, Problem

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5em;color:#1d2330;line-height:1.35}
h1{font-size:1.4em}h2{font-size:1.2em;border-bottom:2px solid #d0d7e2;padding-bottom:.2em;margin-top:2em}
h3{font-size:1.05em;margin:1.2em 0 .3em}
table{border-collapse:collapse;font-size:.88em;margin:.3em 0 .6em}
td,th{border:1px solid #d8dde6;padding:2px 6px;text-align:left;vertical-align:top}
th{background:#eef2f7}code,.mono{font-family:ui-monospace,Consolas,monospace}
details{margin:.25em 0 .25em .4em}summary{cursor:pointer}
.present{color:#17663a}.partial{color:#a15c00}.absent{color:#7a808c}
.missing{background:#fde8e8}.empty{background:#fff5dc}
.sev-error{background:#fde8e8}.sev-warning{background:#fff5dc}.sev-info{background:#eef5ff}
.badge{display:inline-block;border-radius:3px;padding:0 5px;font-size:.8em;border:1px solid #b9c2d0;margin-left:.3em}
.t1{background:#ffd9d9}.t2{background:#ffe9c7}.t3{background:#e6f0ff}.muted{color:#6b7280}
"""


def render_html(explanations: list[Explanation], *, problems_only: bool = False,
                title: str = "DICOMTeach: explained instances") -> str:
    """The page for one or more explanations."""
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>{escape(title)}</title><style>{CSS}</style></head><body>", f"<h1>{escape(title)}</h1>"]
    for explanation in explanations:
        parts.append(_explanation(explanation, problems_only))
    parts.append("</body></html>")
    return "\n".join(parts)


def _explanation(explanation: Explanation, problems_only: bool) -> str:
    iod = f"{escape(explanation.iod[1])} <span class=muted>({escape(explanation.iod[0])})</span>" \
        if explanation.iod else "unknown: generic breakdown of the file's elements"
    ts = " ".join(escape(t) for t in explanation.transfer_syntax) if explanation.transfer_syntax else "unknown"
    out = [f"<h2 class=mono>{escape(explanation.path)}</h2><table>",
           f"<tr><th>SOP Class</th><td><code>{escape(explanation.sop_class_uid or '')}</code> "
           f"{escape(explanation.sop_class_name or '')}</td></tr>",
           f"<tr><th>IOD</th><td>{iod}</td></tr><tr><th>Transfer syntax</th><td>{ts}</td></tr>"]
    if explanation.service is not None:  # SOP class = IOD + service
        out.insert(3, f"<tr><th>Service</th><td>{escape(explanation.service.summary)}</td></tr>")
    if explanation.modules:
        out.append(f"<tr><th>Entities</th><td>{' &rarr; '.join(escape(e) for e in explanation.information_entities)}"
                   "</td></tr>")
    out.append("</table>")
    out.append(_problems(explanation.problems))
    if problems_only:
        return "\n".join(out)
    if explanation.anatomy is not None:
        out.append(_anatomy(explanation.anatomy))
    out.append("<h3>Modules</h3>")
    current = None
    for module in explanation.modules:
        if module.ie != current:
            current = module.ie
            out.append(f"<h3>{escape(module.ie)}{' IE' if module.ie != 'Functional Groups' else ''}</h3>")
        out.append(_module(module, explanation))
    if explanation.other_elements:
        title = "Elements no module of the IOD defines" if explanation.iod else "Elements of the file"
        out.append(f"<details><summary>{title} ({len(explanation.other_elements)})</summary>")
        out.append(_attribute_table(explanation.other_elements, explanation, None))
        out.append("</details>")
    return "\n".join(out)


def _problems(problems: list[Problem]) -> str:
    if not problems:
        return "<p class=present>No problems found.</p>"
    rows = "".join(
        f"<tr class=sev-{escape(p.severity)}><td>{escape(p.severity)}</td><td><code>{escape(p.code)}</code></td>"
        f"<td class=mono>{escape(p.tag or '')}</td><td>{escape(p.module or '')}</td><td>{escape(p.message)}</td></tr>"
        for p in sorted(problems, key=lambda p: {"error": 0, "warning": 1}.get(p.severity, 2)))
    return (f"<h3>Problems ({len(problems)})</h3><table><tr><th>severity</th><th>code</th><th>tag</th>"
            f"<th>module</th><th>message</th></tr>{rows}</table>")


def _anatomy(anatomy: FileAnatomy) -> str:
    out = [f"<details><summary><b>File anatomy</b> ({anatomy.file_size} bytes)</summary><table>"
           "<tr><th>offset</th><th>part</th><th>what it is</th></tr>"]
    if anatomy.has_preamble:
        state = "all zero" if anatomy.preamble_all_zero else f"not all zero: <code>{escape(anatomy.preamble_head)}</code>"
        out.append(f"<tr><td>0</td><td>preamble (128 bytes)</td><td>{state}</td></tr>")
        out.append("<tr><td>128</td><td>\"DICM\"</td><td>the prefix that marks a DICOM file</td></tr>")
    else:
        out.append("<tr><td>0</td><td>no preamble</td><td>the data set starts at once (no \"DICM\")</td></tr>")
    for element in anatomy.meta_elements:
        out.append(f"<tr><td>{element.offset}</td><td class=mono>{escape(element.tag)} {escape(element.vr)} "
                   f"{escape(element.keyword)}</td><td>{escape(element.value)}<br><span class=muted>"
                   f"{escape(element.meaning)}</span></td></tr>")
    out.append("</table>")
    ts = anatomy.transfer_syntax
    if ts is not None:
        out.append(f"<p><b>Transfer syntax</b> {escape(ts.name)} (<code>{escape(ts.uid)}</code>)</p><ul>"
                   + "".join(f"<li>{escape(line)}</li>" for line in ts.explanation) + "</ul>")
    out.append(f"<details><summary>Data set: {len(anatomy.elements)} top-level elements from byte "
               f"{anatomy.dataset_offset if anatomy.dataset_offset is not None else '?'}</summary><table>"
               "<tr><th>offset</th><th>tag</th><th>VR</th><th>length</th><th>keyword</th><th>value</th></tr>")
    for element in anatomy.elements:
        length = "undefined" if element.length is None else element.length
        offset = "?" if element.offset is None else element.offset
        out.append(f"<tr><td>{offset}</td><td class=mono>{escape(element.tag)}</td><td>{escape(element.vr)}</td>"
                   f"<td>{length}</td><td>{escape(element.keyword or element.name)}</td>"
                   f"<td>{escape(element.value)}</td></tr>")
    out.append("</table></details>")
    pixel = anatomy.pixel
    if pixel is not None:
        text = (f"{pixel.rows} &times; {pixel.columns} pixels &times; {pixel.frames} frame(s) &times; "
                f"{pixel.samples_per_pixel} sample(s) &times; {pixel.bits_allocated} bits allocated "
                f"({pixel.bits_stored} stored), {escape(pixel.photometric)}")
        if pixel.encapsulated:
            text += (f"; encapsulated: {pixel.offset_table_entries or 0} offset table entries, "
                     f"{pixel.fragments} fragment(s), {pixel.fragment_bytes} bytes")
        else:
            text += f"; native: {pixel.length} bytes"
        out.append(f"<p><b>Pixel data</b> at byte {pixel.offset}: {text}</p>")
    out += [f"<p class=muted>Note: {escape(note)}</p>" for note in anatomy.notes]
    out.append("</details>")
    return "\n".join(out)


def _module(module: ModuleReport, explanation: Explanation) -> str:
    url = _link(explanation, module.id, None)
    condition = ""
    if module.usage == "C" and module.condition:
        result = {True: "holds", False: "does not hold", None: "not machine-checkable"}[module.condition_result]
        condition = f"<div class=muted>Condition: {escape(module.condition)} &rarr; <b>{result}</b></div>"
    opened = " open" if module.status == "partial" else ""
    head = (f"<details{opened}><summary><span class={module.status}>{escape(module.name)}</span>"
            f"<span class=badge>{escape(module.usage)}</span><span class=badge>{module.status}</span>"
            f"{f' <a href={_quote(url)}>standard</a>' if url else ''}</summary>{condition}")
    if module.status == "absent":
        return head + "<p class=muted>Not in this file.</p></details>"
    return head + _attribute_table(module.attributes, explanation, module.id) + "</details>"


def _attribute_table(attributes: list[AttributeReport], explanation: Explanation, module_id: str | None) -> str:
    rows = ["<table><tr><th>tag</th><th>attribute</th><th>type</th><th>VR</th><th>status</th><th>value</th>"
            "<th>offset</th><th>length</th><th>PHI</th></tr>"]
    for attribute in attributes:
        if attribute.status == "missing" and attribute.type in ("3", ""):
            continue
        rows.append(_attribute_row(attribute, explanation, module_id))
    rows.append("</table>")
    return "".join(rows)


def _attribute_row(attribute: AttributeReport, explanation: Explanation, module_id: str | None) -> str:
    url = _link(explanation, module_id, attribute.tag_value) if module_id else None
    name = escape(attribute.keyword or attribute.name)
    if url:
        name = f"<a href={_quote(url)}>{name}</a>"
    type_class = {"1": "t1", "1C": "t1", "2": "t2", "2C": "t2"}.get(attribute.type, "t3")
    value = escape(attribute.value or "")
    if attribute.items:
        nested = "".join(
            f"<details><summary>item {number}</summary>{_attribute_table(item, explanation, module_id)}</details>"
            for number, item in enumerate(attribute.items, start=1))
        value = f"{value}{nested}"
    return (f"<tr class={attribute.status}><td class=mono>{attribute.tag}</td><td>{name}</td>"
            f"<td><span class='badge {type_class}'>{escape(attribute.type or '-')}</span></td>"
            f"<td>{escape(attribute.vr)}</td><td>{attribute.status}</td><td>{value}</td>"
            f"<td>{'' if attribute.offset is None else attribute.offset}</td>"
            f"<td>{'' if attribute.length is None else attribute.length}</td>"
            f"<td>{escape(attribute.phi_action or '')}</td></tr>")


def _link(explanation: Explanation, module_id: str | None, tag: int | None) -> str | None:
    if explanation.iod is None:
        return None
    try:
        from ..standard import standard

        return standard().innolitics_url(explanation.iod[0], module_id, tag)
    except Exception:  # noqa: BLE001 - a missing link must not cost the page
        return None


def _quote(url: str) -> str:
    return '"' + escape(url, quote=True) + '"'
