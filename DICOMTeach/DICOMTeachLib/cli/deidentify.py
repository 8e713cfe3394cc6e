"""``dicomteach deidentify IN... -o OUTDIR``: de-identified copies under the PS3.15 Basic Profile.

The inputs are never modified; the report says what changed in each file
(counts per action) and which files were skipped and why.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from . import exit_status

if TYPE_CHECKING:
    from ..phi.deidentify import DeidentifyReport


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "deidentify", help="write de-identified copies (PS3.15 Basic Profile); inputs are never touched",
        description="Apply the PS3.15 Basic Application Level Confidentiality Profile to DICOM files and "
        "folders (recursively) and write new files under OUTDIR, keeping the folder layout. UIDs are "
        "replaced consistently across all the files of one run, so a series stays one series and "
        "references between instances still resolve. Non-DICOM files are skipped with a reason.",
    )
    parser.add_argument("inputs", nargs="+", type=Path, metavar="IN", help="DICOM files or folders")
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="OUTDIR",
                        help="folder for the de-identified copies (must not overlap the inputs)")
    parser.add_argument("--strict-text", action="store_true",
                        help="also replace the free text the Basic Profile keeps (the Text Value of SR TEXT "
                        "items, LT/ST/UT/UC values, person names in unlisted attributes) by dummy values")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(func=run)


def report_json(report: DeidentifyReport) -> dict:
    return {
        "output_dir": str(report.output_dir),
        "uids_replaced": report.uids_replaced,
        "action_counts": report.action_counts(),
        "files": [{
            "source": str(item.source),
            "output": str(item.output),
            "action_counts": item.action_counts(),
            "changes": [{"tag": c.tag, "keyword": c.keyword, "path": c.path, "action": c.action,
                         "profile_code": c.profile_code, "old": c.old, "new": c.new} for c in item.changes],
        } for item in report.files],
        "skipped": [{"path": str(item.path), "reason": item.reason} for item in report.skipped],
        "kept_free_text": [{"path": str(source), "element": where} for source, where in report.kept_free_text],
    }


def _counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{code} {count}" for code, count in sorted(counts.items())) or "nothing"


def run(args: argparse.Namespace) -> int:
    from ..phi.actions import explain_code  # here, so other commands start fast
    from ..phi.deidentify import deidentify

    report = deidentify(args.inputs, args.output, strict_text=args.strict_text)
    if args.json:
        print(json.dumps(report_json(report), indent=2))
    else:
        print(f"De-identified {len(report.files)} file(s) into {report.output_dir} "
              f"({report.uids_replaced} UIDs replaced consistently)")
        totals = report.action_counts()
        for code in sorted(totals):
            print(f"  {code}: {totals[code]} element(s) - {explain_code(code)}")
        for item in report.files:
            print(f"  {item.source} -> {item.output}: {_counts_text(item.action_counts())}")
        for skipped in report.skipped:
            print(f"  skipped {skipped.path}: {skipped.reason}")
        if report.kept_free_text:
            files = len({source for source, _ in report.kept_free_text})
            print(f"  note: {len(report.kept_free_text)} free-text value(s) in {files} file(s) kept as the Basic "
                  "Profile keeps them (e.g. the Text Value of SR TEXT items, which it does not list); free text "
                  "is PHI until read: --strict-text replaces them")
    return exit_status(args.inputs, {str(item.path): item.reason for item in report.skipped})
