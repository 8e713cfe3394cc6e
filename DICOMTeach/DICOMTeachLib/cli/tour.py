"""``dicomteach tour``: a short walk through DICOM on files that need no download.

Each step is a function that prints one lesson from pydicom's bundled test
files; ``STEPS`` (at the end) lists them in the order they are told.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from ..testdata import pydicom_ct_series, pydicom_test_file


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "tour", help="walk through DICOM on pydicom's bundled files (no download needed)",
        description="A short guided walk: the patient/study/series tree of real files, the mandatory "
        "attributes of an IOD, one instance explained (modules, verdicts of conditions, problems), and a "
        "series loaded into a real Slicer scene.",
    )
    parser.set_defaults(func=run)


def step_patient_study_series() -> None:
    """The information model: every file names its patient, study and series by UID."""
    from ..index import index_paths
    from .index import tree_lines

    print("1. Patient -> Study -> Series -> Instance")
    print("   Every DICOM file carries the UIDs that place it in the real world model;")
    print("   the index reads only the headers (`dicomteach index PATH`).")
    index = index_paths([*pydicom_ct_series(), pydicom_test_file("MR_small.dcm")])
    for line in tree_lines(index):
        print(f"   {line}")
    print()


def step_mandatory_attributes() -> None:
    """The course's exercise: the type 1 and 2 attributes every MR Image must carry."""
    from ..exercises.mandatory import mandatory_attributes

    print(f"{STEPS.index(step_mandatory_attributes) + 1}. Mandatory attributes of an IOD (dicomteach mandatory \"MR Image\")")
    print("   Type 1: present with a value. Type 2: present, may be empty. Only the mandatory (M) modules count.")
    answer = mandatory_attributes("MR Image")
    for line in answer.render_text(nested=False, limit=16).splitlines():
        print(f"   {line}")
    print(f"   Conditional modules that would add more: "
          f"{', '.join(module.name for module in answer.conditional_modules) or 'none'}")
    print()



def step_explain_instance() -> None:
    """One instance explained: SOP class -> IOD -> entities -> modules, the verdicts of conditions, and what the
    file gets wrong (counted by severity, as `explain` does: private elements are info, not errors)."""
    from collections import Counter

    from ..explain import explain
    from ..explain.text import verdict_text

    number = STEPS.index(step_explain_instance) + 1
    explanation = explain(pydicom_test_file("CT_small.dcm"))
    print(f"{number}. One instance explained (dicomteach explain CT_small.dcm)")
    print(f"   SOP Class {explanation.sop_class_uid} ({explanation.sop_class_name}) = the IOD "
          f"{explanation.iod[1] if explanation.iod else 'unknown'}"
          + (f" + the service {explanation.service.summary}." if explanation.service else "."))
    print(f"   Its information entities: {' > '.join(explanation.information_entities)}")
    print("   Modules: M mandatory, C conditional (required when its condition holds), U user option.")
    for module in explanation.modules:
        if module.usage == "M" or module.status != "absent":
            condition = ""
            if module.usage == "C":
                condition = {True: ", required: its condition holds", False: ", its condition does not hold",
                             None: ", its condition cannot be decided from the file"}[module.condition_result]
            print(f"   [{module.usage}] {module.ie:<18} {module.name:<26} {module.status}{condition}")
    absent = [module.name for module in explanation.modules if module.usage != "M" and module.status == "absent"]
    print(f"   Optional or conditional modules it leaves out: {', '.join(absent)}")
    print("   Attributes of type 1C/2C are required only under a condition; each gets a verdict from the file:")
    conditional = [a for module in explanation.modules if module.status != "absent" for a in module.attributes
                   if a.type in ("1C", "2C")]
    for wanted in (True, False, None):  # one of each verdict, the shortest reason
        candidates = [a for a in conditional if a.required is wanted]
        if candidates:
            attribute = min(candidates, key=lambda a: len(a.decided_by or a.condition))
            state = "absent" if attribute.status == "missing" else attribute.status
            print(f"     {attribute.tag} {attribute.keyword} (type {attribute.type}, {state}): "
                  f"{verdict_text(attribute)}")
    counts = Counter(problem.severity for problem in explanation.problems)
    shown = [p for p in explanation.problems if p.severity != "info"][:3] or explanation.problems[:3]
    print(f"   Problems: {counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info"
          + (", for example:" if shown else ""))
    for problem in shown:
        print(f"     {problem.severity} {problem.code}: {problem.message}")
    print()


def step_load_series() -> None:
    """Loading: examine a series as Slicer's DICOM browser does, then build real MRML nodes."""
    from ..examine import default_selection, examine_files
    from ..headless import MRMLEnvironment
    from ..loading import load_loadable
    from ..scene_summary import summarize_scene

    number = STEPS.index(step_load_series) + 1
    print(f"{number}. A series loaded into a real Slicer scene (dicomteach load PATH)")
    examined = examine_files([str(path) for path in pydicom_ct_series()])
    selected = default_selection(examined.loadables)
    print("   Each loadable has a confidence; per series the highest is checked [x], as Slicer's DICOM browser does.")
    print("   DICOMTeach's sit one step (0.005) below those of Slicer's own plugins, so that Slicer's are selected")
    print("   when they offer the series (`dicomteach load` prints every reason in full).")
    for loadable in examined.loadables:
        mark = "x" if loadable in selected else " "
        why = next((part for part in loadable.confidence_reason.split("; ") if part.startswith("preferred")), "")
        print(f"   [{mark}] '{loadable.name}': {loadable.kind.value}, {len(loadable.files)} file(s), "
              f"confidence {loadable.confidence}" + (f": {why}" if why else ""))
        for warning in loadable.warnings:
            print(f"     warning: {warning}")
    with MRMLEnvironment.create() as env:
        for loadable in default_selection(examined.loadables):
            load_loadable(loadable, env.scene)
        for patient in summarize_scene(env.scene):
            print(f"   Patient {patient.name}")
            for study in patient.studies:
                print(f"     Study {study.name}")
                for series in study.series:
                    for node in series.nodes:
                        details = node.details
                        print(f"       {node.class_name} '{node.name}': {details.get('dimensions')} voxels of "
                              f"{[round(v, 3) for v in details.get('spacing', [])]} mm")
    print()


STEPS: list[Callable[[], None]] = [
    step_patient_study_series,
    step_mandatory_attributes,
    step_explain_instance,
    step_load_series,
]


def run(args: argparse.Namespace) -> int:
    print("DICOMTeach tour: DICOM on real files that ship with pydicom\n")
    for step in STEPS:
        step()
    return 0
