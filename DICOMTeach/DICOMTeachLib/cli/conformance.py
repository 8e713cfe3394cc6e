"""``dicomteach conformance``: our DICOM Conformance Statement (PS3.2), generated from what the code supports."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "conformance", help="print our DICOM Conformance Statement (PS3.2 structure), generated from the code",
        description="SOP classes and roles on the network (SCU; storage SCP for C-GET/C-MOVE), presentation "
        "contexts, SOP classes loaded and their confidence, transfer syntaxes decoded; as Markdown.")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..conformance import conformance_statement

    print(conformance_statement(), end="")
    return 0
