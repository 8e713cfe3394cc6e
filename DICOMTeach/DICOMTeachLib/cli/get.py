"""``dicomteach get HOST:PORT --series UID -o DIR``: retrieve a series with C-GET (or C-MOVE with --move)."""

from __future__ import annotations

import argparse

from .net_options import add_peer_options, peer_from, print_exchange


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "get", help="retrieve a series (C-GET, or C-MOVE to our own storage SCP) and explain who connects to whom",
        description="Retrieve one series into a folder. C-GET (default): the PACS sends the instances back on our "
        "association. --move: C-MOVE; the PACS opens an association to our storage SCP (AE --move-ae on "
        "--move-port), which it must know by that AE title. Files are named SOPInstanceUID.dcm.")
    add_peer_options(parser)
    parser.add_argument("--series", required=True, metavar="UID", help="Series Instance UID")
    parser.add_argument("--study", metavar="UID", help="its Study Instance UID (with --sop-class: no C-FIND first)")
    parser.add_argument("--sop-class", action="append", metavar="UID",
                        help="a SOP Class UID of the series (repeat; with --study: no C-FIND first)")
    parser.add_argument("-o", "--output", required=True, metavar="DIR", help="folder to write the files into")
    parser.add_argument("--move", action="store_true", help="use C-MOVE to our own storage SCP instead of C-GET")
    parser.add_argument("--move-ae", default="DICOMTEACH", help="our storage SCP's AE title (default DICOMTEACH)")
    parser.add_argument("--move-port", type=int, default=11113, help="our storage SCP's port (default 11113)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..net.dimse import get, move

    peer = peer_from(args)
    if args.move:
        result = move(peer, args.series, args.output, move_ae=args.move_ae, move_port=args.move_port)
    else:
        result = get(peer, args.series, args.output, study_uid=args.study, sop_classes=args.sop_class)
    return print_exchange(result.exchange, args, {"files": [str(path) for path in result.files]})
