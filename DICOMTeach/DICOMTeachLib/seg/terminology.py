"""Make a SEG's own codes a terminology context, as Slicer's DICOM SEG plugin does.

A segment's "TerminologyEntry" tag names a context; Slicer's Segmentations
module looks the codes up in it. Codes absent from the built-in "DICOM master
list" would show as no terminology, so Slicer's plugin first loads the SEG's
segment descriptions (dcmqi's JSON form) as a context of their own, named
after the loadable, and falls back to the master lists when that fails. We
write the same JSON from the header and load it through the Terminologies
logic when there is one (inside Slicer; headless callers may pass slicer-core's).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from .metadata import ANATOMIC_CONTEXT, CATEGORY_CONTEXT, Code, SegmentDescription


def _code(code: Code) -> dict[str, str]:
    return {"CodeValue": code.value, "CodingSchemeDesignator": code.scheme, "CodeMeaning": code.meaning}


def segment_descriptor(segments: list[SegmentDescription]) -> dict[str, Any]:
    """dcmqi's segment descriptor JSON ("segmentAttributes") for these segments."""
    attributes = []
    for segment in segments:
        entry: dict[str, Any] = {"labelID": segment.number, "SegmentLabel": segment.label,
                                 "SegmentDescription": segment.description,
                                 "recommendedDisplayRGBValue": [round(c * 255) for c in segment.rgb]}
        for key, code in (("SegmentedPropertyCategoryCodeSequence", segment.category),
                          ("SegmentedPropertyTypeCodeSequence", segment.type),
                          ("SegmentedPropertyTypeModifierCodeSequence", segment.type_modifier),
                          ("AnatomicRegionSequence", segment.anatomic_region),
                          ("AnatomicRegionModifierSequence", segment.anatomic_region_modifier)):
            if code is not None:
                entry[key] = _code(code)
        attributes.append([entry])
    return {"segmentAttributes": attributes}


def slicer_terminologies_logic() -> Any | None:
    """The Terminologies module logic inside Slicer; None headless."""
    try:
        import slicer

        return slicer.modules.terminologies.logic()
    except (ImportError, AttributeError):
        return None


def load_contexts(logic: Any | None, name: str, segments: list[SegmentDescription]) -> tuple[str, str]:
    """(category context, anatomic context) to name in the segments' tags; the master lists when not loaded."""
    if logic is None or not segments or not all(s.category and s.type for s in segments):
        return CATEGORY_CONTEXT, ANATOMIC_CONTEXT
    with tempfile.TemporaryDirectory(prefix="dicomteach-seg-") as folder:
        path = Path(folder) / "meta.json"
        path.write_text(json.dumps(segment_descriptor(segments)))
        category = name if logic.LoadTerminologyFromSegmentDescriptorFile(name, str(path)) else CATEGORY_CONTEXT
        anatomic = ANATOMIC_CONTEXT
        if any(segment.anatomic_region for segment in segments):
            load_region = getattr(logic, "LoadRegionContextFromSegmentDescriptorFile", None) \
                or logic.LoadAnatomicContextFromSegmentDescriptorFile  # before Slicer 5.9
            anatomic = name if load_region(name, str(path)) else ANATOMIC_CONTEXT
    return category, anatomic
