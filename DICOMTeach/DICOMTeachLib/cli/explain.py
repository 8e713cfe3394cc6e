"""``dicomteach explain PATH...``: each instance against its IOD (text, --json, --html)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import DICOMTeachError
from . import exit_status


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "explain", help="explain DICOM files against their IOD: modules, attributes, problems, file anatomy",
        description="Explain each file: SOP class, IOD, information entities, modules (usage, condition, status), "
        "problems, and with --full every attribute (type, VR, VM, value, offset) and the file's anatomy. Folders are "
        "walked recursively. Exit 0 when every file was explained (with or without problems) or, in a folder, is not "
        "DICOM; 2 when a file named, or a DICOM file in a folder, could not be read.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="DICOM files or folders (walked recursively)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per file, one per line")
    parser.add_argument("--html", metavar="OUT", help="write one self-contained HTML page for all files")
    parser.add_argument("--mask-phi", action="store_true", help="hide PHI values (for projection in a classroom)")
    parser.add_argument("--full", action="store_true",
                        help="print everything: every attribute with value, offset and length, the file's anatomy "
                        "byte by byte, every directory record (default: summary, problems, modules, legend)")
    parser.add_argument("--problems-only", action="store_true",
                        help="show only the problems (with --json: modules and other_elements are left empty)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..explain import explain, render_text
    from ..explain.masking import apply_phi_mask
    from ..paths import walk

    explanations = []
    skipped: dict[str, str] = {}
    for found in walk(args.paths):
        path = found.path
        if found.problem:
            print(f"{path}: {found.problem}", file=sys.stderr)
            skipped[path] = found.problem
            continue
        try:
            explanation = explain(path)
            if args.mask_phi:
                explanation = apply_phi_mask(explanation)
        except DICOMTeachError as error:
            if error.path is None:  # not about the file (e.g. masking unavailable): stop, one clear line
                print(f"dicomteach explain: {error.reason}", file=sys.stderr)
                return 1
            print(f"{path}: {error.reason}", file=sys.stderr)
            skipped[path] = error.reason
            continue
        explanations.append(explanation)
        if "truncated" in explanation.problem_codes():  # explained up to the cut, but not read whole
            print(f"{path}: the file ends early (explained up to where it is cut)", file=sys.stderr)
            skipped[path] = "the file ends early"
        if args.json:
            data = explanation.to_json_dict()
            if args.problems_only:
                data["modules"], data["other_elements"] = [], []
            print(json.dumps(data))
        elif not args.html:
            print(render_text(explanation, problems_only=args.problems_only, full=args.full, legend=False))
    if explanations and not args.json and not args.html and not args.problems_only:
        from ..explain.text import render_closing

        print("\n".join(render_closing(full=args.full)))  # once, after every file
    if not explanations and not skipped:  # an empty folder: say so rather than print nothing
        print(f"dicomteach explain: no file found in {', '.join(map(str, args.paths))}", file=sys.stderr)
    if args.html:
        from ..explain.html import render_html

        try:
            Path(args.html).write_text(render_html(explanations, problems_only=args.problems_only), encoding="utf-8")
        except OSError as error:
            raise DICOMTeachError(f"cannot write the page ({error.strerror or error})", args.html) from error
        if not args.json:
            print(f"wrote {args.html} ({len(explanations)} file{'s' if len(explanations) != 1 else ''})")
    return exit_status(args.paths, skipped)
