"""The ``dicomteach`` command: DICOMTeach without the desktop app.

Each subcommand lives in its own module of this package with two functions:
``register(subparsers)`` adds its parser (one-line help, ``func=run``) and
``run(args) -> int`` does the work. Exit codes: 0 done, 2 input that could not
be read (one line per file says why), 1 anything else that went wrong.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .. import __version__
from ..errors import DICOMTeachError

# Order shown by --help.
SUBCOMMANDS = [
    "tour",
    "explain",
    "index",
    "load",
    "mandatory",
    "diagram",
    "bits",
    "lesson",
    "deidentify",
    "echo",
    "store",
    "find",
    "get",
    "web",
    "pacs",
    "conformance",
]


class _HelpFormatter(argparse.HelpFormatter):
    """Keeps each subcommand's help on its own line: argparse sizes the name column without the
    extra indent of subcommands, so longer names (deidentify) pushed their help to the next line."""

    def add_argument(self, action: argparse.Action) -> None:
        super().add_argument(action)
        for subaction in self._iter_indented_subactions(action):  # indented while iterating
            length = len(self._format_action_invocation(subaction)) + self._current_indent
            self._action_max_length = max(self._action_max_length, length)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dicomteach",
        description="Learn and use DICOM: explain instances against their IOD, index and load series "
        "into a real Slicer scene (headless), and answer the course's exercises.",
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"dicomteach {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for name in SUBCOMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    # argparse cannot take positional words after options (find ADDR --level series KEY=VALUE): a subcommand
    # that takes a list of words names it in `extras_into`, and the words after its options join it.
    into = getattr(args, "extras_into", None)
    if extras and (into is None or any(word.startswith("-") for word in extras)):
        parser.error(f"unrecognized arguments: {' '.join(extras)}")
    if extras:
        setattr(args, into, [*getattr(args, into), *extras])
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        return int(args.func(args) or 0)
    except DICOMTeachError as error:
        print(f"dicomteach {args.command}: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `dicomteach explain ... | head`
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
