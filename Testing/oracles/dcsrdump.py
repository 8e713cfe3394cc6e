"""dicom3tools' dcsrdump as an oracle for SR content trees: its dump parsed into one record per content item."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .dcmqi import dcmqi_tool

#: A content item line: tabs, '>' per level (none for the root, which starts with ': '), relationship.
_ITEM = re.compile(r"^\t*(>*)(R-)?([A-Z][A-Z ]*)?: ")
_CODE = r'\(([^,()]*),([^,()]*),"((?:[^"]|"")*)"\)'


@dataclass
class DumpItem:
    depth: int
    relationship: str
    by_reference: str  # target position, "" for a value item
    value_type: str
    concept: tuple[str, str, str] | None
    value: str  # the rest of the line after "= " (text values unquoted)


def dcsrdump(path: Path) -> list[DumpItem] | None:
    tool = dcmqi_tool("dcsrdump")
    if tool is None:
        return None
    run = subprocess.run([tool, str(path)], capture_output=True, timeout=60)
    if run.returncode != 0:
        return None
    text = (run.stdout + run.stderr).decode("latin-1")  # dcsrdump writes the dump to stderr
    records: list[str] = []
    for line in text.split("\n"):
        if _ITEM.match(line) and (line.startswith(": ") or line.lstrip("\t").startswith(">")):
            records.append(line)
        elif records:
            records[-1] += "\n" + line
    return [_parse(record) for record in records]


def _parse(record: str) -> DumpItem:
    match = _ITEM.match(record)
    depth = len(match.group(1))
    relationship = (match.group(3) or "").strip()
    rest = record[match.end():]
    if match.group(2):
        return DumpItem(depth, relationship, rest.strip(), "", None, "")
    value_type, _, rest = rest.partition(":")
    rest = rest.lstrip(" ")
    concept = None
    code = re.match(_CODE, rest)
    if code:
        concept = (code.group(1), code.group(2), code.group(3))
        rest = rest[code.end():]
    value = rest.split("= ", 1)[1] if "= " in rest else ""
    value = value.rstrip("\n")
    if value.startswith('"'):
        value = value[1:value.rfind('"')] if value.rfind('"') > 0 else value[1:]
    return DumpItem(depth, relationship, "", value_type.strip(), concept, value)
