"""HTML pieces of an explanation that any page can include: legends, a DICOMDIR's records, pixel data items.

Kept apart from the page itself (``html.py``) so that the page's layout can change without them.
"""

from __future__ import annotations

from html import escape

from .anatomy import MAX_PIXEL_ITEMS, PixelSummary
from .directory import DirectoryReport
from .legend import legend_sections


def legend_html() -> str:
    """What M/C/U, the attribute types and the PS3.15 action letters mean, one small table each."""
    out = ["<details class=legend><summary><b>Legend</b>: module usage, attribute types, PHI actions</summary>"]
    for title, entries in legend_sections():
        rows = "".join(f"<tr><td class=mono>{escape(letter)}</td><td>{escape(meaning)}</td></tr>"
                       for letter, meaning in entries)
        out.append(f"<table><tr><th colspan=2>{escape(title)}</th></tr>{rows}</table>")
    out.append("</details>")
    return "\n".join(out)


def directory_html(directory: DirectoryReport) -> str:
    """A DICOMDIR's record tree, every record with its offsets, drawn as the text view draws it."""
    from .text import render_directory

    lines = render_directory(directory, full=True)
    return ("<details open><summary><b>DICOMDIR records</b></summary><pre class=mono>"
            + escape("\n".join(lines)) + "</pre></details>")


def pixel_items_html(pixel: PixelSummary) -> str:
    """Encapsulated pixel data, item by item: offset table, fragments with their frame, delimiter."""
    if not pixel.items:
        return ""
    rows = [f"<details><summary>{len(pixel.items)} items: {escape(pixel.frame_mapping)}</summary><table>"
            "<tr><th>offset</th><th>item</th><th>length</th><th>frame</th></tr>"]
    for item in pixel.items[:MAX_PIXEL_ITEMS]:
        what = item.kind
        if item.kind == "offset table" and pixel.offset_table:
            what += ": " + " ".join(str(entry) for entry in pixel.offset_table[:16])
        frame = "" if item.frame is None else item.frame
        rows.append(f"<tr><td>{item.offset}</td><td>{escape(what)}</td><td>{item.length}</td><td>{frame}</td></tr>")
    if len(pixel.items) > MAX_PIXEL_ITEMS:
        rows.append(f"<tr><td colspan=4>+{len(pixel.items) - MAX_PIXEL_ITEMS} more items</td></tr>")
    rows.append("</table></details>")
    return "".join(rows)
