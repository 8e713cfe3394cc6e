"""Files named on a command line and files under folders: one walk for every command.

Folders are walked recursively in sorted order. What cannot be walked or read
is reported with its reason rather than raised or silently dropped: a folder
without permission, a symbolic link that loops or points nowhere, a name that
is neither a file nor a folder (a FIFO would block a reader forever). Symbolic
links to folders are not followed (a link back up the tree would never end).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Found:
    """One path met by the walk: a regular file to read (``problem`` empty) or something skipped and why."""

    path: str
    #: the path given by the caller (file or folder) this one was found under
    given: str
    problem: str = ""


def _problem_of(path: str) -> str:
    """Why ``path`` cannot be read as a file ("" when it is a regular file)."""
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        if os.path.islink(path):
            return f"a symbolic link that cannot be followed ({error.strerror or error})"
        return "no such file or folder" if isinstance(error, FileNotFoundError) else \
            f"cannot read it ({error.strerror or error})"
    if stat.S_ISDIR(mode):
        return ""
    if not stat.S_ISREG(mode):
        return "not a regular file (a device, socket or pipe)"
    if not os.access(path, os.R_OK):
        return "cannot read it (permission denied)"
    return ""


def walk(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Found]:
    """Every file named and every file under the folders named, with what could not be read."""
    for given in map(str, paths):
        problem = _problem_of(given)
        if problem or not os.path.isdir(given):
            yield Found(given, given, problem)
            continue
        errors: list[OSError] = []
        for folder, directories, files in os.walk(given, onerror=errors.append):
            for failed in errors:
                yield Found(failed.filename or folder, given, f"cannot list the folder ({failed.strerror or failed})")
            errors.clear()
            directories.sort()
            linked = [name for name in directories if os.path.islink(os.path.join(folder, name))]
            for name in linked:
                directories.remove(name)
                yield Found(os.path.join(folder, name), given, "a symbolic link to a folder: not followed")
            for name in sorted(files):
                path = os.path.join(folder, name)
                yield Found(path, given, _problem_of(path))
        for failed in errors:  # the given folder itself could not be listed
            yield Found(failed.filename or given, given, f"cannot list the folder ({failed.strerror or failed})")


def files_and_problems(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[str], dict[str, str]]:
    """(readable files in walk order, {path: why it was skipped})."""
    files: list[str] = []
    problems: dict[str, str] = {}
    for found in walk(paths):
        if found.problem:
            problems[found.path] = found.problem
        else:
            files.append(found.path)
    return files, problems


def relative_to_given(found: Found) -> Path:
    """Where a found file goes under an output folder: ``<given folder name>/<path inside it>``, or its name."""
    if found.path == found.given:
        return Path(Path(found.path).name)
    return Path(Path(found.given).resolve().name) / Path(found.path).relative_to(found.given)
