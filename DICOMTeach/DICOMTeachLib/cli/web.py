"""``dicomteach web URL qido|wado|stow|explain``: DICOMweb requests shown as URL, headers and DICOM JSON."""

from __future__ import annotations

import argparse
import json

from ..errors import DICOMTeachError

ACTIONS = ("qido", "wado", "stow", "explain")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "web", help="DICOMweb: QIDO-RS search, WADO-RS retrieve, STOW-RS store, explain remote instances",
        description="Each request is shown as URL, headers and the DICOM JSON answer, with the DIMSE service that "
        "does the same job. qido: search (--level, KEY=VALUE keys as in find). wado: --study and --series; "
        "metadata only, or -o DIR to retrieve the instances. stow: send files. explain: explain an instance from "
        "its WADO-RS metadata, without downloading pixel data.")
    parser.add_argument("words", nargs="+", metavar="URL ACTION [KEY=VALUE|PATH...]",
                        help="the DICOMweb base URL (e.g. http://127.0.0.1:8042/dicom-web), then qido, wado, stow "
                        "or explain, then qido's query keys or stow's files and folders")
    parser.add_argument("--level", choices=["study", "series", "image"], default="study", help="qido level")
    parser.add_argument("--study", metavar="UID", help="Study Instance UID (wado, explain)")
    parser.add_argument("--series", metavar="UID", help="Series Instance UID (wado, explain)")
    parser.add_argument("--instance", metavar="UID", help="SOP Instance UID (explain; default the first)")
    parser.add_argument("-o", "--output", metavar="DIR", help="wado: retrieve the instances into this folder")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for an answer (default 10)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run, extras_into="words")


def run(args: argparse.Namespace) -> int:
    from ..net import web
    from ..net.dimse import parse_keys
    from ..net.text import render_exchange
    from .store import files_of

    if len(args.words) < 2 or args.words[1] not in ACTIONS:
        raise DICOMTeachError(f"web needs a URL and an action ({', '.join(ACTIONS)}): got {' '.join(args.words)!r}")
    args.url, args.action, args.items = args.words[0], args.words[1], args.words[2:]
    extra: dict = {}
    if args.action == "qido":
        result = web.qido(args.url, args.level, parse_keys(args.items), timeout=args.timeout)
        extra["matches"] = result.objects
    elif args.action in ("wado", "explain"):
        if not (args.study and args.series):
            raise DICOMTeachError(f"web {args.action} needs --study and --series")
        if args.action == "explain":
            from ..explain import render_text
            from ..net.remote import explain_remote

            explanation, result = explain_remote(args.url, args.study, args.series, args.instance,
                                                 timeout=args.timeout)
            if args.json:
                print(json.dumps({**explanation.to_json_dict(), "exchange": result.exchange.to_json_dict()}))
            else:
                print(render_exchange(result.exchange))
                print(render_text(explanation, anatomy=False), end="")
            return 0
        if args.output:
            result = web.wado_series(args.url, args.study, args.series, args.output, timeout=max(args.timeout, 60))
            extra["files"] = [str(path) for path in result.files]
        else:
            result = web.wado_metadata(args.url, args.study, args.series, timeout=args.timeout)
            extra["metadata"] = result.objects
    else:
        result = web.stow(args.url, files_of(args.items), timeout=max(args.timeout, 60))
        extra["stored"] = result.stored
    if args.json:
        print(json.dumps({**result.exchange.to_json_dict(), **extra}))
    else:
        print(render_exchange(result.exchange), end="")
    return 0 if result.exchange.ok else 1
