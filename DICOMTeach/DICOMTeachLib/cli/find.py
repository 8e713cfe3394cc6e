"""``dicomteach find HOST:PORT --level series KEY=VALUE...``: C-FIND with each key's matching explained."""

from __future__ import annotations

import argparse

from .net_options import add_peer_options, items_of, peer_from, print_exchange


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "find", help="query a PACS (C-FIND) and explain the keys, the matching and the statuses",
        description="Query at a level with keys: KEY=VALUE matches (single value; * or ? wildcard; DATE1-DATE2 "
        "range; UID1\\UID2 list), KEY alone (or KEY=) asks the PACS to return it (universal matching). "
        "KEY is a keyword (PatientName) or a tag (0010,0010).")
    add_peer_options(parser, "KEY=VALUE... matching and return keys")
    parser.add_argument("--level", required=True, choices=["patient", "study", "series", "image"],
                        help="Query/Retrieve Level")
    parser.add_argument("--model", choices=["study", "patient"], default="study",
                        help="information model: Study Root (default) or Patient Root")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..net.dimse import find, parse_keys

    result = find(peer_from(args), args.level, parse_keys(items_of(args)), model=args.model)
    matches = [match.to_json_dict() for match in result.matches]
    return print_exchange(result.exchange, args, {"matches": matches})
