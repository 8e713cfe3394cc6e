"""Options every DIMSE subcommand shares (echo, store, find, get): AE titles and timeouts."""

from __future__ import annotations

import argparse
import json

from ..net.dimse import DEFAULT_CALLED_AE, DEFAULT_CALLING_AE, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT


def add_peer_options(parser: argparse.ArgumentParser, items: str | None = None) -> None:
    """``items``: the help of positional words after HOST:PORT (keys, paths), parsed in one list with it
    because argparse cannot give options between two positional lists."""
    if items:
        parser.add_argument("address", nargs="+", metavar="HOST:PORT", help=f"the PACS, then {items}")
        parser.set_defaults(extras_into="address")
    else:
        parser.add_argument("address", metavar="HOST:PORT", help="the PACS (e.g. 127.0.0.1:4242)")
    parser.add_argument("--called-ae", default=DEFAULT_CALLED_AE,
                        help=f"the PACS's AE title (default {DEFAULT_CALLED_AE})")
    parser.add_argument("--calling-ae", default=DEFAULT_CALLING_AE,
                        help=f"our AE title (default {DEFAULT_CALLING_AE})")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"seconds to wait for an answer (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--connect-timeout", type=float, default=DEFAULT_CONNECT_TIMEOUT,
                        help=f"seconds to wait for the TCP connection (default {DEFAULT_CONNECT_TIMEOUT:g})")
    parser.add_argument("--json", action="store_true", help="print the exchange as one JSON object")


def peer_from(args: argparse.Namespace):
    from ..net.dimse import Peer

    address = args.address[0] if isinstance(args.address, list) else args.address
    return Peer.parse(address, called_ae=args.called_ae, calling_ae=args.calling_ae, timeout=args.timeout,
                      connect_timeout=args.connect_timeout)


def items_of(args: argparse.Namespace) -> list[str]:
    """The words after HOST:PORT (query keys, paths)."""
    return list(args.address[1:]) if isinstance(args.address, list) else []


def print_exchange(exchange, args: argparse.Namespace, extra: dict | None = None) -> int:
    """The exchange as text or JSON; exit 0 when it succeeded, 1 when the PACS refused or failed it."""
    from ..net.text import render_exchange

    if args.json:
        data = exchange.to_json_dict()
        data.update(extra or {})
        print(json.dumps(data))
    else:
        print(render_exchange(exchange), end="")
    return 0 if exchange.ok else 1
