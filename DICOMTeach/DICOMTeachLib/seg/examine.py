"""Examine: which of the given headers are DICOM Segmentations, and what they reference.

Headers only (pixel data is never read here). A SEG whose referenced series
is not among the examined files still loads (placed by its own plane
positions); the loadable's warning says so, naming the series.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..examine import ExamineContext
from ..hierarchy import SeriesIdentity
from ..loadable import Loadable, LoadableKind
from .builder import SegPlan
from .decode import LABELMAP_SEGMENTATION_SOP_CLASS, SEG_SOP_CLASSES

#: Above the scalar volume plugin's, as Slicer's own SEG plugin (0.95).
SEG_CONFIDENCE = 0.95
SLIDE_SEG_CONFIDENCE = 0.1


def referenced_series(dataset: Any) -> dict[str, list[str]]:
    """Referenced SeriesInstanceUID -> its referenced SOP instance UIDs (ReferencedSeriesSequence)."""
    series: dict[str, list[str]] = {}
    for item in dataset.get("ReferencedSeriesSequence", []) or []:
        uids = [str(instance.get("ReferencedSOPInstanceUID", ""))
                for instance in item.get("ReferencedInstanceSequence", []) or []]
        series.setdefault(str(item.get("SeriesInstanceUID", "")), []).extend(uid for uid in uids if uid)
    return series


def unresolved_reference_warnings(references: dict[str, list[str]], known_instances: set[str],
                                  what: str, context: ExamineContext | None = None) -> list[str]:
    """One warning per referenced series that is neither (fully) among the examined files nor available elsewhere."""
    available = context.available_instances if context else ()
    warnings = []
    for series_uid, instances in references.items():
        missing = [uid for uid in instances if uid not in known_instances and uid not in available]
        if not instances or not missing:
            continue
        if len(missing) == len(instances):
            warnings.append(f"referenced series {series_uid} ({len(instances)} image(s)) is not among the "
                            f"examined files: {what}")
        else:
            warnings.append(f"{len(missing)} of {len(instances)} referenced image(s) of series {series_uid} are "
                            "not among the examined files")
    return warnings


def examine_segmentations(headers: Mapping[str, Any], context: ExamineContext | None = None) -> list[Loadable]:
    """Examiner registered in examine.EXAMINERS: one loadable per SEG instance."""
    known_instances = {str(ds.get("SOPInstanceUID", "")) for ds in headers.values()}
    loadables = []
    for path, dataset in headers.items():
        sop_class = str(dataset.get("SOPClassUID", ""))
        if sop_class not in SEG_SOP_CLASSES:
            continue
        references = referenced_series(dataset)
        referenced_instances = [uid for uids in references.values() for uid in uids]
        warnings = unresolved_reference_warnings(
            references, known_instances, "the segmentation will be placed by its own plane positions", context)
        if not references:
            warnings.append("the SEG references no series (ReferencedSeriesSequence is missing)")
        slide = "TotalPixelMatrixRows" in dataset
        if slide:
            warnings.append("slide microscopy segmentation: not loadable as a volume")
        segment_count = len(dataset.get("SegmentSequence", []) or [])
        kind = "labelmap" if sop_class == LABELMAP_SEGMENTATION_SOP_CLASS else \
            str(dataset.get("SegmentationType", "BINARY"))
        identity = SeriesIdentity.from_dataset(dataset)
        loadables.append(Loadable(
            kind=LoadableKind.SEGMENTATION,
            name=str(dataset.get("SeriesDescription", "") or "") or "Segmentation",
            files=[path],
            # Slicer's browser selects by confidence alone, so a SEG we cannot place must rank low.
            confidence=SLIDE_SEG_CONFIDENCE if slide else SEG_CONFIDENCE,
            confidence_reason=("0.1: a slide microscopy SEG is in slide coordinates, not on a volume grid" if slide
                               else "0.95, as Slicer's DICOM SEG plugin gives a DICOM Segmentation object"),
            series_instance_uid=identity.series_instance_uid,
            warnings=warnings,
            notes=[f"{segment_count} segment(s), {kind}, {int(dataset.get('NumberOfFrames', 1) or 1)} frame(s)"],
            referenced_instance_uids=referenced_instances,
            selected=not slide,
            plan=SegPlan(path=path, identity=identity, referenced_series_uids=list(references),
                         referenced_instance_uids=referenced_instances,
                         frame_of_reference_uid=str(dataset.get("FrameOfReferenceUID", "") or ""),
                         header=dataset),
        ))
    return loadables
