"""The ``dicomteach`` command: DICOMTeach without the desktop app.

Each subcommand lives in its own module of this package with two functions:
``register(subparsers)`` adds its parser (one-line help, ``func=run``) and
``run(args) -> int`` does the work. Exit codes, the same in every command
(:func:`exit_status`): 0 done, 2 when a file named on the command line or a
DICOM file found in a folder could not be read (one line per file says why;
files in folders that are not DICOM are listed, not errors), 1 a usage error.
Library warnings are shown as one line of ours, never as raw stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import sys
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence

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


#: Reasons that say a file met while walking a folder is simply not an instance to read (listed, not an error).
NOT_AN_ERROR_PREFIXES = ("not a DICOM file", "a DICOMDIR", "a symbolic link to a folder: not followed",
                         "not a regular file", "DICOM, but without")


def exit_status(named: Iterable[str | os.PathLike[str]], skipped: Mapping[str, str]) -> int:
    """The exit code every command uses: 2 when a file named on the command line, or a DICOM file found in
    a folder, could not be read; 0 otherwise (non-DICOM files met in folders are listed, not errors)."""
    named_paths = {str(path) for path in named}
    for path, reason in skipped.items():
        if str(path) in named_paths or not reason.startswith(NOT_AN_ERROR_PREFIXES):
            return 2
    return 0


def _print_library_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A warning of a library (pydicom, numpy...) shown as one line of ours, never as raw stderr."""
    text = str(message).splitlines()[0] if str(message) else category.__name__
    print(f"dicomteach: note: {text}", file=sys.stderr)


@contextlib.contextmanager
def _our_messages() -> Iterator[None]:
    """Library warnings as our one-line notes (each once); names that are not UTF-8 printed escaped."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):  # a replaced stream (tests) may not reconfigure
            stream.reconfigure(errors="backslashreplace")
    with warnings.catch_warnings():
        warnings.simplefilter("default")  # each distinct warning once
        # ...but not deprecations: they tell developers an API will change (VTK's numpy_support under NumPy 2.5),
        # nothing about the student's files; Python hides them by default too.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        warnings.showwarning = _print_library_warning
        pydicom_logger = logging.getLogger("pydicom")
        propagate, level = pydicom_logger.propagate, pydicom_logger.level
        pydicom_logger.propagate = False  # pydicom also logs what it warns: once is enough
        pydicom_logger.setLevel(logging.CRITICAL)
        try:
            yield
        finally:
            pydicom_logger.propagate, pydicom_logger.level = propagate, level


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
    with _our_messages():
        try:
            return int(args.func(args) or 0)
        except DICOMTeachError as error:
            print(f"dicomteach {args.command}: {error}", file=sys.stderr)
            return 2
        except BrokenPipeError:  # e.g. `dicomteach explain ... | head`
            return 0
        except KeyboardInterrupt:
            print(f"dicomteach {args.command}: interrupted", file=sys.stderr)
            return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
