"""One self-contained interactive HTML page: the breakdown tree, problems, file anatomy with its bytes.

Everything is inline (CSS, one small script, the bytes of the file's header);
nothing is fetched, so the page works offline and can be mailed. The tree is
the panel's (``panel.tree.build_tree``): Information Entity > Module >
Attribute > sequence item, collapsible, with a problems-only filter and a
search by keyword or tag. Clicking an element highlights its bytes in the hex
view; clicking a problem selects its element. When the explanation was masked
(PHI hidden), the bytes of PHI values are hidden in the hex view too.
The only links are deep links into the Innolitics DICOM browser.
"""

from __future__ import annotations

import os
from html import escape

from ..panel.tree import COLUMNS, LEGEND, TYPE_LEGEND, BreakdownTree, TreeRow, build_tree
from .html_sections import directory_html, legend_html, pixel_items_html
from .model import AttributeReport, Explanation
from .reader import element_header_length

#: Bytes of the file shown in the hex view at most (the header; pixel data is cut after its first bytes).
MAX_HEX_BYTES = 48 * 1024
PIXEL_BYTES_SHOWN = 64
MASK_TEXT = "••••"

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:1em;color:#1d2330;line-height:1.3}
h1{font-size:1.35em;margin:.2em 0}h2{font-size:1.1em;border-bottom:2px solid #d0d7e2;padding-bottom:.2em;margin-top:1.5em}
h3{font-size:1em;margin:.8em 0 .3em}
table{border-collapse:collapse;font-size:.85em;margin:.3em 0 .6em}
td,th{border:1px solid #d8dde6;padding:2px 6px;text-align:left;vertical-align:top}
th{background:#eef2f7}code,.mono{font-family:ui-monospace,"DejaVu Sans Mono",Consolas,monospace}
.layout{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:1em;align-items:start}
.side{position:sticky;top:0;max-height:98vh;overflow:auto}
.controls{display:flex;gap:.6em;align-items:center;flex-wrap:wrap;margin:.4em 0;font-size:.9em}
.controls input[type=search]{width:18em}
ul.tree,ul.tree ul{list-style:none;margin:0;padding:0}
ul.tree li.collapsed>ul{display:none}
.row{display:grid;grid-template-columns:minmax(12em,1.6fr) 7em 2.3em 12em 2.4em 2.2em minmax(5em,1.4fr) 3.4em 4em;
  font-size:.82em;border-bottom:1px solid #eef0f4;cursor:pointer;align-items:center}
.row>span{padding:1px 4px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.row.head{font-weight:bold;background:#eef2f7;cursor:default;position:sticky;top:0}
.row.selected{outline:2px solid #2f6fde;outline-offset:-2px}
.tog{display:inline-block;width:1em;color:#6b7280}
li:not(.leaf)>.row .tog::before{content:"\\25BE"}li.collapsed:not(.leaf)>.row .tog::before{content:"\\25B8"}
.st-error{background:#fde2e2}.st-warning{background:#fff1d0}.st-empty{background:#fff8e6}
.st-missing,.st-absent{background:#f0f1f4;color:#6b7280}
.k-entity>.row{font-weight:bold;background:#e9eef7}.k-module>.row{font-weight:600}
.badge{display:inline-block;border-radius:3px;padding:0 4px;font-size:.9em}
.hidden{display:none!important}
.hex{font-family:ui-monospace,"DejaVu Sans Mono",Consolas,monospace;font-size:.78em;white-space:pre;line-height:1.35}
.hex .o{color:#6b7280}.hex .b.hl{background:#ffd54a;outline:1px solid #c99a00}.hex .b.m{color:#9aa0aa}
.legend span.badge{margin-right:.2em}.legend{font-size:.8em;color:#394150}
.problems tr{cursor:pointer}.sev-error{background:#fde2e2}.sev-warning{background:#fff1d0}.sev-info{background:#eef5ff}
.muted{color:#6b7280}.byteinfo{position:sticky;top:0;background:#fff;padding:.2em 0;z-index:1}
"""

SCRIPT = """
(function(){
function ancestors(li){var out=[];var p=li.parentElement;while(p){if(p.tagName==='LI')out.push(p);p=p.parentElement;}return out;}
document.querySelectorAll('.explained').forEach(function(root){
  var tree=root.querySelector('ul.tree');if(!tree)return;  // a problems-only page has no tree
  var items=Array.prototype.slice.call(tree.querySelectorAll('li'));
  var bytes=Array.prototype.slice.call(root.querySelectorAll('.hex .b'));
  var info=root.querySelector('.byteinfo');
  function highlight(row){
    bytes.forEach(function(b){b.classList.remove('hl');});
    var start=parseInt(row.dataset.off,10),end=parseInt(row.dataset.end,10);
    if(isNaN(start)){info.textContent='This row has no bytes of its own in the file.';return;}
    var first=null;
    for(var i=start;i<end&&i<bytes.length;i++){bytes[i].classList.add('hl');if(first===null)first=bytes[i];}
    info.textContent='bytes '+start+' to '+(end-1)+': '+row.dataset.parts;
    if(first)first.scrollIntoView({block:'center'});
  }
  function select(li){
    root.querySelectorAll('.row.selected').forEach(function(r){r.classList.remove('selected');});
    var row=li.querySelector(':scope>.row');row.classList.add('selected');
    ancestors(li).forEach(function(a){a.classList.remove('collapsed');a.classList.remove('hidden');});
    li.classList.remove('hidden');row.scrollIntoView({block:'nearest'});highlight(row);
  }
  tree.addEventListener('click',function(e){
    var row=e.target.closest('.row');if(!row||row.classList.contains('head'))return;
    var li=row.parentElement;
    if(e.target.classList.contains('tog')){li.classList.toggle('collapsed');return;}
    select(li);
  });
  root.querySelectorAll('.problems tr[data-key]').forEach(function(tr){
    tr.addEventListener('click',function(){var li=tree.querySelector('li[data-key="'+tr.dataset.key+'"]');if(li)select(li);});
  });
  var search=root.querySelector('input[type=search]'),only=root.querySelector('input.only');
  function apply(){
    var q=search.value.trim().toLowerCase().replace(/[()\\s]/g,'');var problems=only.checked;
    var shown=new Set();
    items.slice().reverse().forEach(function(li){
      var self=(!q||li.dataset.s.indexOf(q)>=0)&&(!problems||li.dataset.p==='1');
      var leafish=li.classList.contains('k-attribute')||li.classList.contains('k-module');
      var child=Array.prototype.some.call(li.querySelectorAll(':scope>ul>li'),function(c){return shown.has(c);});
      var visible=(q||problems)?((self&&leafish)||child):true;
      if(visible)shown.add(li);
      li.classList.toggle('hidden',!visible);
      if((q||problems)&&child)li.classList.remove('collapsed');
    });
  }
  search.addEventListener('input',apply);only.addEventListener('change',apply);
  root.querySelector('button.expand').addEventListener('click',function(){items.forEach(function(li){li.classList.remove('collapsed');});});
  root.querySelector('button.collapse').addEventListener('click',function(){items.forEach(function(li){if(!li.classList.contains('k-entity')&&!li.classList.contains('leaf'))li.classList.add('collapsed');});});
});
})();
"""


def render_html(explanations: list[Explanation], *, problems_only: bool = False,
                title: str = "DICOMTeach: explained instances") -> str:
    """The page for one or more explanations (masked explanations give a masked page, bytes included)."""
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>{escape(title)}</title><style>{CSS}</style></head><body>", f"<h1>{escape(title)}</h1>",
             _legend()]
    for number, explanation in enumerate(explanations):
        parts.append(_explanation(explanation, number, problems_only))
    parts.append(f"<script>{SCRIPT}</script></body></html>")
    return "\n".join(parts)


def _legend() -> str:
    types = " ".join(f"<span class=badge style='background:{colour}'>{escape(code)}</span>{escape(meaning)};"
                     for code, (meaning, colour) in TYPE_LEGEND.items())
    states = " ".join(f"<span class='badge st-{style}'>{escape(style)}</span>{escape(meaning)};"
                      for style, (meaning, _colour) in LEGEND.items() if style != "present")
    # The colours of the tree here; what each letter (usage, type, PS3.15 action) means in legend_html.
    return (f"<div class=legend><p><b>Colours: types</b> {types}</p><p><b>Status</b> {states}</p></div>"
            + legend_html())


def _masked(explanation: Explanation) -> bool:
    def values(attributes: list[AttributeReport]):
        for attribute in attributes:
            yield attribute.value or ""
            for item in attribute.items:
                yield from values(item)

    every = (a for module in explanation.modules for a in module.attributes)
    return any(value.startswith(MASK_TEXT) for value in values([*every, *explanation.other_elements]))


def _explanation(explanation: Explanation, number: int, problems_only: bool) -> str:
    iod = (f"{escape(explanation.iod[1])} <span class=muted>({escape(explanation.iod[0])})</span>"
           if explanation.iod else "unknown: generic breakdown of the file's elements")
    ts = " ".join(escape(t) for t in explanation.transfer_syntax) if explanation.transfer_syntax else "unknown"
    out = [f"<section class=explained id=file{number}><h2 class=mono>{escape(explanation.path)}</h2><table>",
           f"<tr><th>SOP Class</th><td><code>{escape(explanation.sop_class_uid or '')}</code> "
           f"{escape(explanation.sop_class_name or '')}</td></tr>",
           f"<tr><th>IOD</th><td>{iod}</td></tr><tr><th>Transfer syntax</th><td>{ts}</td></tr>"]
    if explanation.service is not None:  # SOP class = IOD + service
        out.insert(3, f"<tr><th>Service</th><td>{escape(explanation.service.summary)}</td></tr>")
    if explanation.modules:
        out.append(f"<tr><th>Entities</th><td>{' &rarr; '.join(escape(e) for e in explanation.information_entities)}"
                   "</td></tr>")
    out.append("</table>")
    if explanation.directory is not None:
        out.append(directory_html(explanation.directory))
    tree = build_tree(explanation)
    out.append(_problems(tree))
    out.append(_uids_and_phi(explanation))
    if problems_only:
        out.append("</section>")
        return "\n".join(out)
    masked = _masked(explanation)
    out.append("<div class=layout><div>")
    out.append("<div class=controls><label><input class=only type=checkbox> problems only</label>"
               "<input type=search placeholder='search keyword or tag, e.g. PatientName or 0010,0010'>"
               "<button class=expand>expand all</button><button class=collapse>collapse all</button></div>")
    explicit, little = _encoding(explanation)
    head = "".join(f"<span>{escape(name)}</span>" for name in COLUMNS)
    out.append(f"<div class='row head'>{head}</div><ul class=tree>")
    for root in tree.roots:
        out.append(_row(root, 0, explanation, explicit))
    out.append("</ul></div><div class=side>")
    out.append(_anatomy(explanation, tree, masked, explicit, little))
    out.append("</div></div></section>")
    return "\n".join(out)


def _problems(tree: BreakdownTree) -> str:
    if not tree.problem_keys:
        return "<p>No problems found.</p>"
    ordered = sorted(tree.problem_keys, key=lambda pk: {"error": 0, "warning": 1}.get(pk[0].severity, 2))
    rows = "".join(
        f"<tr class=sev-{escape(p.severity)}{f' data-key={_quote(key)}' if key else ''}><td>{escape(p.severity)}</td>"
        f"<td><code>{escape(p.code)}</code></td><td class=mono>{escape(p.tag or '')}</td>"
        f"<td>{escape(p.module or '')}</td><td>{escape(p.message)}</td></tr>"
        for p, key in ordered)
    return (f"<h3>Problems ({len(tree.problem_keys)}) <span class=muted>click one to select its element</span></h3>"
            f"<table class=problems><tr><th>severity</th><th>code</th><th>tag</th><th>module</th><th>message</th>"
            f"</tr>{rows}</table>")


def _uids_and_phi(explanation: Explanation) -> str:
    """The panel's UIDs and PHI tabs, as two folded tables."""
    from ..panel.views import phi_rows, uid_rows

    uids = "".join(f"<tr><td>{escape(r.level)}</td><td>{escape(r.label)}</td><td class=mono>{escape(r.value)}</td></tr>"
                   for r in uid_rows(explanation))
    phi = "".join(f"<tr><td class=mono>{escape(r.tag)}</td><td>{escape(r.keyword)}</td><td><b>{escape(r.action)}</b></td>"
                  f"<td>{escape(r.meaning)}</td><td>{escape(r.value)}</td></tr>" for r in phi_rows(explanation))
    return (f"<details class=uids><summary><b>UIDs</b> of the patient, study, series and instance levels</summary>"
            f"<table><tr><th>level</th><th>identifier</th><th>value</th></tr>{uids}</table></details>"
            f"<details class=phi><summary><b>PHI</b>: what the PS3.15 Basic Profile does to this file's identifying "
            f"attributes</summary><table><tr><th>tag</th><th>attribute</th><th>action</th><th>what it does</th>"
            f"<th>value</th></tr>{phi}</table></details>")


def _encoding(explanation: Explanation) -> tuple[bool, bool]:
    anatomy = explanation.anatomy
    if anatomy is not None and anatomy.transfer_syntax is not None:
        return anatomy.transfer_syntax.explicit_vr, anatomy.transfer_syntax.little_endian
    return True, True


def _span(row: TreeRow, explicit: bool) -> tuple[int, int, str] | None:
    """(first byte, end, parts) of the element a row stands for."""
    if row.offset is None or row.kind != "attribute":
        return None
    is_meta = row.tag_value is not None and (row.tag_value >> 16) == 0x0002
    header = element_header_length(row.vr or None, not (explicit or is_meta))
    length = row.length if row.length is not None else 0
    if row.length is None and row.children:  # undefined-length sequence: its header only
        return row.offset, row.offset + header, f"tag, {'VR, ' if explicit else ''}undefined length"
    parts = (f"tag (4), VR (2), {'reserved (2), length (4)' if header == 12 else 'length (2)'}"
             if (explicit or is_meta) else "tag (4), length (4)")
    return row.offset, row.offset + header + length, f"{parts}, value ({length})"


def _search_text(row: TreeRow) -> str:
    tag = row.columns[1].strip("()").replace(",", "")
    text = "|".join((row.columns[0], row.tooltip.split("\n")[0], tag)).lower()
    return text.replace(" ", "").replace("(", "").replace(")", "")  # the script strips them from the query too


def _row(row: TreeRow, depth: int, explanation: Explanation, explicit: bool) -> str:
    span = _span(row, explicit)
    data = f" data-off={span[0]} data-end={span[1]} data-parts={_quote(span[2])}" if span else ""
    cells = []
    for index, text in enumerate(row.columns):
        if index == 0:
            cells.append(f"<span style='padding-left:{depth * 1.1:.1f}em' title={_quote(row.tooltip)}>"
                         f"<span class=tog></span>{escape(text)}{_link(explanation, row)}</span>")
        elif COLUMNS[index] == "Type" and row.type_code in TYPE_LEGEND:
            cells.append(f"<span><span class=badge style='background:{TYPE_LEGEND[row.type_code][1]}'>"
                         f"{escape(text)}</span></span>")
        else:
            cells.append(f"<span title={_quote(text)}>{escape(text)}</span>")
    has_problem = any(r.has_problem for r in row.walk())
    classes = [f"k-{row.kind}", "leaf" if not row.children else ""]
    if row.kind == "module" and row.style != "error":
        classes.append("collapsed")
    if row.kind == "item" or (row.kind == "attribute" and row.children):
        classes.append("collapsed")
    if row.kind == "group":
        classes.append("collapsed")
    head = (f"<li class={_quote(' '.join(c for c in classes if c))} data-key={_quote(row.key)} "
            f"data-p={'1' if has_problem else '0'} data-s={_quote(_search_text(row))}>"
            f"<div class='row st-{row.style}'{data}>{''.join(cells)}</div>")
    if not row.children:
        return head + "</li>"
    children = "".join(_row(child, depth + 1, explanation, explicit) for child in row.children)
    return f"{head}<ul>{children}</ul></li>"


def _link(explanation: Explanation, row: TreeRow) -> str:
    if explanation.iod is None or row.kind not in ("module", "attribute") or not row.key.startswith("module:"):
        return ""
    module_id = row.key.split("/")[0].removeprefix("module:")
    try:
        from ..standard import standard

        url = standard().innolitics_url(explanation.iod[0], module_id,
                                        row.tag_value if row.kind == "attribute" else None)
    except Exception:  # noqa: BLE001 - a missing link must not cost the page
        return ""
    return f" <a href={_quote(url)} title='the standard' onclick='event.stopPropagation()'>&#8599;</a>"


def _masked_bytes(explanation: Explanation, tree: BreakdownTree, explicit: bool, size: int) -> bytearray:
    """1 for each byte a masked page hides: everything after the file meta, but what the tree vouches for.

    Hiding by default matters: the tree lists only the first items of a sequence (and a DICOMDIR's records
    only as far as the breakdown goes), so bytes it does not show may hold names, dates and IDs. A row
    reveals its element's header, and its value unless the mask hid that value or it is a sequence (whose
    items reveal themselves, row by row).
    """
    anatomy = explanation.anatomy
    start_of_data = anatomy.dataset_offset if anatomy is not None and anatomy.dataset_offset is not None else 0
    hidden = bytearray(size)
    hidden[start_of_data:] = b"\x01" * max(size - start_of_data, 0)

    def reveal(start: int, end: int) -> None:
        start, end = max(start, 0), min(end, size)
        if start < end:
            hidden[start:end] = bytes(end - start)

    for row in tree.rows():
        span = _span(row, explicit)
        if span is None:
            continue
        start, end, _parts = span
        value_length = row.length or 0
        value_start = end - value_length
        reveal(start, value_start)
        is_sequence = bool(row.children) or row.vr == "SQ"
        if row.length is not None and not is_sequence and not row.columns[6].startswith(MASK_TEXT):
            reveal(value_start, end)
    return hidden


def _anatomy(explanation: Explanation, tree: BreakdownTree, masked: bool, explicit: bool, little: bool) -> str:
    from ..panel.model import anatomy_rows

    out = ["<h3>File anatomy</h3><table><tr><th>offset</th><th>part</th><th>what it is</th></tr>"]
    out += [f"<tr><td>{escape(o)}</td><td class=mono>{escape(p)}</td><td>{escape(w)}</td></tr>"
            for o, p, w in anatomy_rows(explanation)]
    out.append("</table>")
    if explanation.anatomy is not None and explanation.anatomy.pixel is not None:
        out.append(pixel_items_html(explanation.anatomy.pixel))
    out.append("<h3>Bytes <span class=muted>click an element in the tree</span></h3>"
               "<div class='byteinfo muted'>Select an element to highlight its bytes.</div>")
    out.append(_hex_view(explanation, tree, masked, explicit))
    return "\n".join(out)


def _hex_view(explanation: Explanation, tree: BreakdownTree, masked: bool, explicit: bool) -> str:
    path = explanation.path
    anatomy = explanation.anatomy
    if anatomy is None or not os.path.isfile(path) or any("deflated" in note for note in anatomy.notes):
        return "<p class=muted>The file's bytes are not shown (no file, or a deflated data set).</p>"
    limit = MAX_HEX_BYTES
    if anatomy.pixel is not None and anatomy.pixel.offset is not None:
        limit = min(limit, anatomy.pixel.offset + 12 + PIXEL_BYTES_SHOWN)
    with open(path, "rb") as handle:
        data = handle.read(limit)
    hidden = _masked_bytes(explanation, tree, explicit, len(data)) if masked else bytearray(len(data))
    lines = []
    for start in range(0, len(data), 16):
        chunk = data[start:start + 16]
        cells = "".join(
            "<span class='b m'>••</span> " if hidden[start + i] else f"<span class=b>{byte:02x}</span> "
            for i, byte in enumerate(chunk))
        text = "".join("•" if hidden[start + i] else (chr(b) if 32 <= b < 127 else ".")
                       for i, b in enumerate(chunk))
        lines.append(f"<span class=o>{start:08d}</span>  {cells}{'   ' * (16 - len(chunk))} {escape(text)}")
    note = "" if len(data) >= (explanation.anatomy.file_size or 0) else \
        f"<p class=muted>First {len(data)} of {anatomy.file_size} bytes (the header and the start of the pixel data).</p>"
    return f"<div class=hex>{chr(10).join(lines)}</div>{note}"


def _quote(text: str) -> str:
    return '"' + escape(text, quote=True) + '"'
