"""``dicomteach mandatory IOD``: the course's exercise "which attributes must every instance carry?"."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "mandatory", help="list the type 1 and 2 attributes of an IOD's mandatory modules",
        description="List every type 1 and type 2 attribute of the mandatory modules of an IOD, grouped by "
        "information entity and module (nested sequence items too), then the conditional modules and "
        "functional group macros with their condition and how many type 1/2 attributes they would add.",
    )
    parser.add_argument("iod", metavar="IOD",
                        help='an IOD name ("MR Image"), IOD id ("mr-image") or SOP Class UID')
    parser.add_argument("--top-level", action="store_true", help="leave out the attributes of sequence items")
    parser.add_argument("--json", action="store_true", help="print the answer as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..exercises.mandatory import mandatory_attributes  # here, so other commands start fast

    answer = mandatory_attributes(args.iod)
    if args.json:
        print(json.dumps(answer.to_dict(), indent=2))
    else:
        print(answer.render_text(nested=not args.top_level))
    return 0
