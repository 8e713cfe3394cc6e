"""``dicomteach index``: the Patient -> Study -> Series -> Instance tree of files and folders (headers only)."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from ..errors import DICOMTeachError
from . import exit_status


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "index", help="print the patient/study/series tree of DICOM files and folders (headers only)",
        description="Read the headers (never the pixel data) of files and folders (recursive) and print the "
        "Patient -> Study -> Series tree with instance counts; files that are not DICOM are counted with the reason.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="DICOM files or folders")
    parser.add_argument("--json", action="store_true", help="print the tree as JSON (with every instance)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..index import index_paths

    for path in args.paths:
        if not Path(path).exists():
            raise DICOMTeachError("no such file or folder", path)
    index = index_paths(args.paths)
    if args.json:
        print(json.dumps({"counts": index.counts, "patients": [asdict(p) for p in index.patients],
                          "skipped": index.skipped}, indent=2))
    else:
        for line in tree_lines(index):
            print(line)
    return exit_status(args.paths, index.skipped)


def tree_lines(index) -> list[str]:
    counts = index.counts
    lines = [f"{counts['patients']} patient(s), {counts['studies']} study(ies), {counts['series']} series, "
             f"{counts['instances']} instance(s); {counts['skipped']} file(s) skipped"]
    for patient in index.patients:
        lines.append(f"Patient {patient.patient_name or '(no name)'} (ID {patient.patient_id or patient.key})")
        for study in patient.studies:
            description = study.study_description or "(no description)"
            lines.append(f"  Study {description} {study.study_date} ({study.study_instance_uid})")
            for series in study.series:
                frames = sum(i.number_of_frames for i in series.instances)
                extra = f", {frames} frames" if frames != len(series.instances) else ""
                lines.append(f"    Series {series.series_number or '-'} {series.modality or '?'} "
                             f"{series.series_description or '(no description)'}: {len(series.instances)} "
                             f"instance(s){extra} ({series.series_instance_uid})")
    if index.skipped:
        lines.append("Skipped:")
        lines += [f"  {path}: {reason}" for path, reason in index.skipped.items()]
    return lines
