"""``dicomteach diagram IOD -o FILE``: draw an IOD (entities -> modules -> attributes by type)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import DICOMTeachError
from ..exercises.diagram import ALL_TYPES, ALL_USAGES, DEFAULT_TYPES, iod_diagram, write_diagram


def _choices(text: str, allowed: tuple[str, ...], what: str) -> tuple[str, ...]:
    values = tuple(value.strip().upper() for value in text.split(",") if value.strip())
    wrong = [value for value in values if value not in allowed]
    if wrong or not values:
        raise argparse.ArgumentTypeError(f"{what} must be a comma-separated list of {', '.join(allowed)}")
    return values


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "diagram", help="draw an IOD as SVG or PNG: entities -> modules (M/C/U) -> attributes by type",
        description="Draw an IOD for printing on one page: its information entities, their modules "
        "(mandatory, conditional, user option) and each module's attributes coloured by type, with a legend. "
        "Limit what is drawn with --types and --usage to keep large IODs readable.",
    )
    parser.add_argument("iod", metavar="IOD", help='an IOD name ("CR Image"), IOD id or SOP Class UID')
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="FILE",
                        help="where to write: .svg (no dependency) or .png (needs matplotlib)")
    parser.add_argument("--types", default=DEFAULT_TYPES, metavar="T,T",
                        type=lambda text: _choices(text, ALL_TYPES, "--types"),
                        help="attribute types to draw (default: 1,1C,2,2C; all: 1,1C,2,2C,3; fewer: 1,2)")
    parser.add_argument("--usage", default=ALL_USAGES, metavar="U,U",
                        type=lambda text: _choices(text, ALL_USAGES, "--usage"),
                        help="module usages to draw (default: M,C,U)")
    parser.add_argument("--depth", type=int, default=0,
                        help="also draw sequence items this many levels deep (default 0: top level only)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.depth < 0:
        raise DICOMTeachError("--depth must be 0 or more")
    drawing = iod_diagram(args.iod, types=args.types, usages=args.usage, depth=args.depth)
    path = write_diagram(drawing, args.output)
    print(f"wrote {path}: {drawing.title}, {drawing.attribute_count} attributes, "
          f"{drawing.width:.0f} x {drawing.height:.0f} px")
    return 0
