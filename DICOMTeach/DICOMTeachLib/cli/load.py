"""``dicomteach load``: examine files, load what Slicer's DICOM browser would select, show the scene.

Selection follows the browser: per series, the loadables with the highest
confidence (all of them on a tie). A loadable that cannot be loaded is
reported with its reason and the rest still loads.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from typing import Any

from ..errors import DICOMTeachError
from ..loadable import Loadable
from . import exit_status


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "load", help="examine and load DICOM files into a headless Slicer scene, print the hierarchy",
        description="Examine files and folders (recursive) as Slicer's DICOM browser would, load the "
        "selected loadables (highest confidence per series) into a real MRML scene and print the "
        "patient/study/series hierarchy with the nodes.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="DICOM files or folders")
    parser.add_argument("--save", metavar="SCENE.mrb", help="write the scene as a Medical Reality Bundle")
    parser.add_argument("--json", action="store_true", help="print loadables and scene as JSON")
    parser.set_defaults(func=run)


@dataclass
class LoadReport:
    loaded: list[tuple[Loadable, list[str]]] = field(default_factory=list)
    failed: list[tuple[Loadable, str]] = field(default_factory=list)


def load_selected(loadables: list[Loadable], scene: Any, progress: Any = None) -> LoadReport:
    from ..loading import load_loadable

    report = LoadReport()
    for loadable in loadables:
        try:
            result = load_loadable(loadable, scene, progress)
        except DICOMTeachError as error:
            report.failed.append((loadable, str(error)))
            continue
        report.loaded.append((loadable, [node.GetID() for node in result.nodes]))
    return report


def _loadable_dict(loadable: Loadable, selected: bool) -> dict[str, Any]:
    return {"name": loadable.name, "kind": loadable.kind.value, "confidence": loadable.confidence,
            "confidence_reason": loadable.confidence_reason, "selected": selected,
            "series_instance_uid": loadable.series_instance_uid, "files": len(loadable.files),
            "warnings": loadable.warnings, "notes": loadable.notes}


def _progress(fraction: float, message: str) -> None:
    if sys.stderr.isatty():
        print(f"\r  {message} ({fraction:.0%})", end="\n" if fraction >= 1 else "", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from ..examine import default_selection, examine_paths
    from ..headless import MRMLEnvironment
    from ..scene_summary import summarize_scene, summary_as_dict

    for path in args.paths:
        from pathlib import Path

        if not Path(path).exists():
            raise DICOMTeachError("no such file or folder", path)
    examined = examine_paths(args.paths)
    chosen = default_selection(examined.loadables)
    chosen_ids = {id(loadable) for loadable in chosen}
    with MRMLEnvironment.create() as env:
        report = load_selected(chosen, env.scene, None if args.json else _progress)
        patients = summarize_scene(env.scene)
        saved = str(env.save_mrb(args.save)) if args.save else None
        if args.json:
            print(json.dumps({
                "loadables": [_loadable_dict(item, id(item) in chosen_ids) for item in examined.loadables],
                "unreadable": examined.unreadable,
                "not_offered": examined.not_offered,
                "failed": [{"name": item.name, "reason": reason} for item, reason in report.failed],
                "patients": summary_as_dict(patients),
                "saved": saved,
            }, indent=2))
        else:
            _print_text(examined, chosen_ids, report, patients, saved)
    return 2 if report.failed else exit_status(args.paths, examined.unreadable)


def _print_text(examined: Any, chosen_ids: set[int], report: LoadReport, patients: list[Any], saved: str | None) -> None:
    print(f"Loadables ({len(examined.loadables)}):")
    for loadable in examined.loadables:
        mark = "x" if id(loadable) in chosen_ids else " "
        print(f"  [{mark}] {loadable.confidence:.3f} {loadable.kind.value}: {loadable.name} ({len(loadable.files)} file(s))")
        print(f"        confidence {loadable.confidence_reason}")
        for warning in loadable.warnings:
            print(f"        warning: {warning}")
        for note in loadable.notes:
            print(f"        note: {note}")
    if examined.unreadable:
        print(f"Skipped ({len(examined.unreadable)} file(s) not examined):")
        for path, reason in examined.unreadable.items():
            print(f"  {path}: {reason}")
    if examined.not_offered:
        print(f"Read but not offered ({len(examined.not_offered)} file(s)):")
        for path, reason in examined.not_offered.items():
            print(f"  {path}: {reason}")
    for loadable, reason in report.failed:
        print(f"Not loaded: {loadable.name}: {reason}")
    print("Scene:")
    for patient in patients:
        # the item name shows the ID when Slicer's display setting says so (its default)
        print(f"  Patient {patient.name}" + ("" if patient.id in patient.name else f" (ID {patient.id})"))
        for study in patient.studies:
            print(f"    Study {study.name} ({study.uid})")
            for series in study.series:
                print(f"      Series {series.number} {series.modality}: {series.name}")
                for node in series.nodes:
                    details = node.details
                    extra = ""
                    if details.get("dimensions"):
                        extra = (f" {'x'.join(map(str, details['dimensions']))} {details['scalar_type']}"
                                 f" [{details['voxel_min']}, {details['voxel_max']}]")
                    print(f"        {node.class_name} {node.id} '{node.name}'{extra}")
                    sequence = details.get("sequence")
                    if sequence:
                        unit = f" ({sequence['index_unit']})" if sequence["index_unit"] else ""
                        values = ", ".join(item["index_value"] for item in sequence["items"])
                        print(f"          volume sequence '{sequence['name']}': {len(sequence['items'])} time points "
                              f"by {sequence['index_name']}{unit}: {values}")
    if saved:
        print(f"Saved {saved}")
