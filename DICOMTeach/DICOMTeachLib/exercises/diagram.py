"""The course's second exercise: draw an IOD as entities -> modules -> attributes.

The drawing is laid out once as plain shapes (rectangles and text in pixel
coordinates) and written either as SVG (by hand, no dependency) or as PNG
(through matplotlib's Agg renderer, imported only then). Modules are packed
top to bottom into as many columns as make the page about as wide as an A4
sheet in landscape, so it prints on one page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from ..errors import DICOMTeachError, MissingDependencyError
from ..standard import AttributeRule, ModuleReference, StandardTables, standard

ALL_TYPES = ("1", "1C", "2", "2C", "3")
ALL_USAGES = ("M", "C", "U")
DEFAULT_TYPES = ("1", "1C", "2", "2C")  # the required ones; type 3 (optional) makes a page too dense to print
TYPE_COLORS = {"1": "#D55E00", "1C": "#E69F00", "2": "#0072B2", "2C": "#56B4E9", "3": "#8C8C8C", "": "#BDBDBD"}
TYPE_MEANINGS = {"1": "required, with a value", "1C": "required under a condition",
                 "2": "required, may be empty", "2C": "required under a condition, may be empty",
                 "3": "optional"}
# (fill, text colour, border) of a module header by usage.
USAGE_STYLES = {"M": ("#263238", "#FFFFFF", "#263238"), "C": ("#6A3D9A", "#FFFFFF", "#6A3D9A"),
                "U": ("#CFD8DC", "#263238", "#90A4AE")}
USAGE_MEANINGS = {"M": "mandatory", "C": "conditional", "U": "user option"}
FONT = "DejaVu Sans, Arial, Helvetica, sans-serif"

COLUMN_WIDTH = 300
COLUMN_GAP = 18
MARGIN = 20
HEADER_HEIGHT = 82
ENTITY_HEIGHT = 18
MODULE_HEIGHT = 15
ATTRIBUTE_HEIGHT = 11
MODULE_GAP = 6
INDENT = 10
PAGE_ASPECT = math.sqrt(2)  # A4 landscape
CHAR_WIDTH = 0.55  # average glyph width as a fraction of the font size (for truncating names)


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    fill: str
    stroke: str = "none"
    dashed: bool = False
    role: str = ""  # "attribute-mark", "module", "entity", "legend-mark", "frame"
    data: tuple[tuple[str, str], ...] = ()
    tooltip: str = ""


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # baseline
    text: str
    size: float
    color: str = "#212121"
    bold: bool = False
    anchor: str = "start"  # "start", "middle" or "end"


@dataclass
class Drawing:
    """Shapes in pixel coordinates, in drawing order."""

    title: str
    width: float
    height: float
    shapes: list[Rect | Text] = field(default_factory=list)  # entities, modules, attributes
    heading: list[Rect | Text] = field(default_factory=list)
    legend: list[Rect | Text] = field(default_factory=list)
    attribute_count: int = 0

    def marks(self) -> list[Rect]:
        return [shape for shape in self.shapes if isinstance(shape, Rect) and shape.role == "attribute-mark"]

    def to_svg(self) -> str:
        out = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width:.0f}" height="{self.height:.0f}" '
            f'viewBox="0 0 {self.width:.0f} {self.height:.0f}" font-family={quoteattr(FONT)}>',
            f"<title>{escape(self.title)}</title>",
            f'<rect x="0" y="0" width="{self.width:.0f}" height="{self.height:.0f}" fill="#FFFFFF"/>',
        ]
        for group, shapes in (("heading", self.heading), ("legend", self.legend), ("iod", self.shapes)):
            out.append(f'<g id="{group}">')
            out.extend(_svg_shape(shape) for shape in shapes)
            out.append("</g>")
        out.append("</svg>")
        return "\n".join(out) + "\n"

    def write_png(self, path: Path, scale: float = 2.0) -> None:
        try:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure
            from matplotlib.patches import Rectangle
        except ImportError as error:
            raise MissingDependencyError("PNG output needs matplotlib (pip install matplotlib); "
                                         "write .svg instead", path) from error
        # 72 dpi makes one pixel one point, so font sizes carry over from the SVG unchanged.
        figure = Figure(figsize=(self.width / 72, self.height / 72), dpi=72)
        FigureCanvasAgg(figure)
        axes = figure.add_axes((0, 0, 1, 1))
        axes.set_xlim(0, self.width)
        axes.set_ylim(self.height, 0)
        axes.axis("off")
        for shape in [*self.heading, *self.legend, *self.shapes]:
            if isinstance(shape, Rect):
                axes.add_patch(Rectangle(
                    (shape.x, shape.y), shape.width, shape.height,
                    facecolor="none" if shape.fill == "none" else shape.fill,
                    edgecolor="none" if shape.stroke == "none" else shape.stroke,
                    linewidth=0.8 if shape.stroke != "none" else 0, linestyle="--" if shape.dashed else "-"))
            else:
                axes.text(shape.x, shape.y, shape.text, fontsize=shape.size, color=shape.color,
                          fontweight="bold" if shape.bold else "normal", va="baseline",
                          ha={"start": "left", "middle": "center", "end": "right"}[shape.anchor],
                          family="DejaVu Sans")
        figure.savefig(path, dpi=72 * scale, facecolor="white")


def _svg_shape(shape: Rect | Text) -> str:
    if isinstance(shape, Text):
        weight = ' font-weight="bold"' if shape.bold else ""
        anchor = f' text-anchor="{shape.anchor}"' if shape.anchor != "start" else ""
        return (f'<text x="{shape.x:.1f}" y="{shape.y:.1f}" font-size="{shape.size:g}" fill="{shape.color}"'
                f"{weight}{anchor}>{escape(shape.text)}</text>")
    attributes = f'x="{shape.x:.1f}" y="{shape.y:.1f}" width="{shape.width:.1f}" height="{shape.height:.1f}" '
    attributes += f'fill="{shape.fill}"'
    if shape.stroke != "none":
        attributes += f' stroke="{shape.stroke}" stroke-width="0.8"'
        if shape.dashed:
            attributes += ' stroke-dasharray="3,2"'
    if shape.role:
        attributes += f' class="{shape.role}"'
    for key, value in shape.data:
        attributes += f" data-{key}={quoteattr(value)}"
    if shape.tooltip:
        return f"<rect {attributes}><title>{escape(shape.tooltip)}</title></rect>"
    return f"<rect {attributes}/>"


# Layout ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Row:
    kind: str  # "entity", "module", "attribute", "note"
    height: float
    entity: str = ""
    module: ModuleReference | None = None
    rule: AttributeRule | None = None
    depth: int = 0
    text: str = ""


def _rows(tables: StandardTables, key: str, types: tuple[str, ...], usages: tuple[str, ...],
          depth: int) -> tuple[str, list[_Row], int]:
    iod = tables.iod(key)
    rows: list[_Row] = []
    count = 0
    for ie in iod.information_entities:
        modules = [module for module in iod.modules_of(ie) if module.usage in usages]
        if not modules:
            continue
        rows.append(_Row("entity", ENTITY_HEIGHT, entity=ie))
        for module in modules:
            rows.append(_Row("module", MODULE_HEIGHT, entity=ie, module=module))
            shown = [(level, rule) for top in tables.module(module.module_id).attributes
                     for level, rule in top.walk() if level <= depth]
            shown = _visible(shown, types)
            for level, rule in shown:
                rows.append(_Row("attribute", ATTRIBUTE_HEIGHT, entity=ie, module=module, rule=rule, depth=level))
            count += len(shown)
            if not shown:
                rows.append(_Row("note", ATTRIBUTE_HEIGHT, entity=ie, module=module,
                                 text="no attributes of type " + ", ".join(types)))
            rows.append(_Row("gap", MODULE_GAP, entity=ie, module=module))
    return iod.name, rows, count


def _visible(walked: list[tuple[int, AttributeRule]], types: tuple[str, ...]) -> list[tuple[int, AttributeRule]]:
    """Attributes of the chosen types whose enclosing sequences are shown too."""
    shown, stack = [], []  # stack[d] = whether the sequence at depth d is shown
    for level, rule in walked:
        del stack[level:]
        visible = rule.type in types and all(stack)
        stack.append(visible)
        if visible:
            shown.append((level, rule))
    return shown


def _column_height(rows: list[_Row]) -> float:
    """A column height that makes the page about A4-landscape shaped."""
    total = sum(row.height for row in rows) * 1.04
    best = None
    for columns in range(1, 16):
        height = max(total / columns, 3 * MODULE_HEIGHT)
        width = columns * (COLUMN_WIDTH + COLUMN_GAP)
        score = abs(math.log(width / (height + HEADER_HEIGHT) / PAGE_ASPECT))
        if best is None or score < best[0]:
            best = (score, height)
    return best[1]


def iod_diagram(iod_key: str, types: tuple[str, ...] = DEFAULT_TYPES, usages: tuple[str, ...] = ALL_USAGES,
                depth: int = 0, tables: StandardTables | None = None) -> Drawing:
    """Lay out the IOD: information entities -> modules (M/C/U) -> attributes coloured by type.

    ``types`` and ``usages`` limit what is drawn; ``depth`` > 0 also draws sequence items that deep.
    """
    types = tuple(types)
    unknown = [value for value in types if value not in ALL_TYPES]
    if unknown or not types:
        raise DICOMTeachError(f"attribute types must be among {', '.join(ALL_TYPES)}, got {', '.join(types)}")
    bad_usage = [value for value in usages if value not in ALL_USAGES]
    if bad_usage or not usages:
        raise DICOMTeachError(f"module usages must be among M, C, U, got {', '.join(usages)}")
    tables = tables or standard()
    name, rows, count = _rows(tables, iod_key, types, tuple(usages), depth)
    column_height = _column_height(rows)

    shapes: list[Rect | Text] = []
    frames: list[Rect] = []
    top = MARGIN + HEADER_HEIGHT
    column, y = 0, top
    frame_start: tuple[int, float] | None = None
    current_module: ModuleReference | None = None

    def x0() -> float:
        return MARGIN + column * (COLUMN_WIDTH + COLUMN_GAP)

    def close_frame(bottom: float) -> None:
        nonlocal frame_start
        if frame_start and current_module:
            start_column, start_y = frame_start
            frames.append(Rect(MARGIN + start_column * (COLUMN_WIDTH + COLUMN_GAP), start_y, COLUMN_WIDTH,
                               bottom - start_y, "none", USAGE_STYLES[current_module.usage][2],
                               dashed=current_module.usage != "M", role="frame"))
        frame_start = None

    def module_header(module: ModuleReference, continued: bool) -> None:
        nonlocal frame_start
        fill, ink, _ = USAGE_STYLES[module.usage]
        label = module.name + (" (cont.)" if continued else "")
        shapes.append(Rect(x0(), y, COLUMN_WIDTH, MODULE_HEIGHT, fill, role="module",
                           data=(("module", module.module_id), ("usage", module.usage)),
                           tooltip=module.condition))
        shapes.append(Text(x0() + 5, y + 11, _fit(label, 9 * 1.12, COLUMN_WIDTH - 24), 9, ink, bold=True))
        shapes.append(Text(x0() + COLUMN_WIDTH - 5, y + 11, module.usage, 9, ink, bold=True, anchor="end"))
        frame_start = (column, y)

    for index, row in enumerate(rows):
        following = rows[index + 1].height if index + 1 < len(rows) else 0
        needed = row.height + (following if row.kind in ("entity", "module") else 0)
        if row.kind != "gap" and y + needed > top + column_height and y > top:
            close_frame(y)
            column, y = column + 1, top
            if row.kind in ("attribute", "note") and current_module:
                module_header(current_module, continued=True)
                y += MODULE_HEIGHT
        if row.kind == "entity":
            shapes.append(Rect(x0(), y, COLUMN_WIDTH, ENTITY_HEIGHT - 3, "#ECEFF1", role="entity",
                               data=(("entity", row.entity),)))
            shapes.append(Text(x0() + 5, y + 11.5, f"{row.entity} IE", 10.5, "#263238", bold=True))
        elif row.kind == "module":
            current_module = row.module
            module_header(row.module, continued=False)
        elif row.kind == "attribute":
            _attribute_row(shapes, row, x0(), y)
        elif row.kind == "note":
            shapes.append(Text(x0() + 10, y + 8.5, row.text, 7.5, "#757575"))
        elif row.kind == "gap":
            close_frame(y + 2)
        y += row.height
    close_frame(y)

    columns = column + 1
    width = 2 * MARGIN + columns * COLUMN_WIDTH + (columns - 1) * COLUMN_GAP
    height = top + column_height + MARGIN + 4
    used_bottom = max((shape.y + shape.height for shape in shapes if isinstance(shape, Rect)), default=top)
    height = max(height, used_bottom + MARGIN)
    drawing = Drawing(title=f"{name} IOD: information entities, modules and attributes", width=max(width, 640),
                      height=height, attribute_count=count)
    drawing.shapes = [*frames, *shapes]
    drawing.heading, drawing.legend = _header(drawing, name, types, usages, depth)
    return drawing


def _attribute_row(shapes: list[Rect | Text], row: _Row, x: float, y: float) -> None:
    rule = row.rule
    indent = x + 8 + row.depth * INDENT
    shapes.append(Rect(indent, y + 1.5, 8, 8, TYPE_COLORS.get(rule.type, TYPE_COLORS[""]), role="attribute-mark",
                       data=(("tag", rule.tag_text), ("keyword", rule.keyword), ("type", rule.type))))
    prefix = ">" * row.depth
    name_width = COLUMN_WIDTH - (indent - x) - 12 - 78
    shapes.append(Text(indent + 12, y + 9, _fit(prefix + rule.name, 8.5, name_width), 8.5))
    shapes.append(Text(x + COLUMN_WIDTH - 26, y + 9, rule.tag_text, 7, "#616161", anchor="end"))
    shapes.append(Text(x + COLUMN_WIDTH - 5, y + 9, rule.type or "-", 8, TYPE_COLORS.get(rule.type, "#616161"),
                       bold=True, anchor="end"))


def _header(drawing: Drawing, name: str, types: tuple[str, ...], usages: tuple[str, ...],
            depth: int) -> tuple[list[Rect | Text], list[Rect | Text]]:
    """(title lines, legend)."""
    heading: list[Rect | Text] = [Text(MARGIN, MARGIN + 14, f"{name} IOD", 16, "#212121", bold=True)]
    scope = (f"{drawing.attribute_count} attributes of type {', '.join(types)}"
             + (f", sequence items to depth {depth}" if depth else ", top level only")
             + f"; modules with usage {', '.join(usages)}")
    heading.append(Text(MARGIN, MARGIN + 30, scope, 9, "#616161"))
    shapes: list[Rect | Text] = []
    x, y = MARGIN, MARGIN + 48
    shapes.append(Text(x, y + 8, "Attribute type:", 8.5, bold=True))
    x += 78
    for type_ in ALL_TYPES:
        label = f"{type_} {TYPE_MEANINGS[type_]}" + ("" if type_ in types else " (not drawn)")
        shapes.append(Rect(x, y, 9, 9, TYPE_COLORS[type_], role="legend-mark", data=(("type", type_),)))
        shapes.append(Text(x + 12, y + 8, label, 8))
        x += 24 + len(label) * 8 * CHAR_WIDTH
    x, y = MARGIN, y + 15
    shapes.append(Text(x, y + 9, "Module usage:", 8.5, bold=True))
    x += 78
    for usage in ALL_USAGES:
        fill, ink, _ = USAGE_STYLES[usage]
        shapes.append(Rect(x, y, 16, 11, fill, role="legend-mark", data=(("usage", usage),)))
        shapes.append(Text(x + 8, y + 9, usage, 8, ink, bold=True, anchor="middle"))
        label = USAGE_MEANINGS[usage] + ("" if usage in usages else " (not drawn)")
        shapes.append(Text(x + 20, y + 9, label, 8))
        x += 30 + len(label) * 8 * CHAR_WIDTH
    return heading, shapes


def _fit(text: str, size: float, width: float) -> str:
    limit = max(4, int(width / (size * CHAR_WIDTH)))
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def write_diagram(drawing: Drawing, path: str | Path) -> Path:
    """Write the drawing as .svg or .png (chosen by the file's suffix)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".svg", ".png"):
        raise DICOMTeachError("the diagram can be written as .svg or .png", path)
    try:
        if suffix == ".svg":
            path.write_text(drawing.to_svg(), encoding="utf-8")
        else:
            drawing.write_png(path)
    except OSError as error:
        raise DICOMTeachError(f"cannot write the diagram: {error.strerror or error}", path) from error
    return path
