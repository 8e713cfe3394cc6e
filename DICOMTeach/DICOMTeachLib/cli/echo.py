"""``dicomteach echo HOST:PORT``: C-ECHO (Verification), the association and the status explained."""

from __future__ import annotations

import argparse

from .net_options import add_peer_options, peer_from, print_exchange


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "echo", help="C-ECHO a PACS and explain the association, the command set and the status",
        description="Verify that a PACS answers (C-ECHO, Verification SOP Class): the association request, each "
        "presentation context and its result, the C-ECHO-RQ/RSP command sets and the status. Exit 0 on success, "
        "1 when the PACS rejected or failed it, 2 when it cannot be reached.")
    add_peer_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..net.dimse import echo

    return print_exchange(echo(peer_from(args)), args)
