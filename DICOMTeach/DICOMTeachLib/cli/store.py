"""``dicomteach store HOST:PORT PATH...``: C-STORE files and folders, every message explained."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path

from ..errors import DICOMTeachError
from .net_options import add_peer_options, items_of, peer_from, print_exchange


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "store", help="send DICOM files to a PACS (C-STORE) and explain the exchange",
        description="Send files (folders: every file inside, recursively) on one association, one presentation "
        "context per SOP class; show what was proposed and accepted and each C-STORE status.")
    add_peer_options(parser, "PATH... DICOM files or folders")
    parser.set_defaults(func=run)


def files_of(paths: list[str]) -> list[str]:
    files: list[str] = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(str(p) for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            files.append(str(path))
        else:
            raise DICOMTeachError("no such file or folder", path)
    return files


def run(args: argparse.Namespace) -> int:
    from ..net.dimse import store

    paths = items_of(args)
    if not paths:
        raise DICOMTeachError("store needs at least one file or folder after HOST:PORT")
    result = store(peer_from(args), files_of(paths))
    return print_exchange(result.exchange, args, {"instances": [asdict(i) for i in result.instances]})
