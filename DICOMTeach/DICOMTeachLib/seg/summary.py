"""Plain descriptions of a loaded segmentation node (for ``dicomteach load --json`` and tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..headless import import_slicer

#: Slicer's terminology string fields, in order.
TERMINOLOGY_FIELDS = ("context", "category", "type", "type_modifier", "anatomic_context", "anatomic_region",
                      "anatomic_region_modifier")


def parse_terminology_entry(entry: str) -> dict[str, Any]:
    """Slicer's "TerminologyEntry" string -> {field: context name or {value, scheme, meaning} or None}."""
    parts = entry.split("~") if entry else []
    if len(parts) != len(TERMINOLOGY_FIELDS):
        return {}
    parsed: dict[str, Any] = {}
    for name, part in zip(TERMINOLOGY_FIELDS, parts, strict=True):
        if name.endswith("context"):
            parsed[name] = part
            continue
        scheme, value, meaning = (part.split("^") + ["", "", ""])[:3]
        parsed[name] = {"value": value, "scheme": scheme, "meaning": meaning} if value else None
    return parsed


@dataclass
class SegmentSummary:
    id: str
    name: str
    color: tuple[float, float, float]
    terminology: dict[str, Any]
    voxel_count: int
    tags: dict[str, str] = field(default_factory=dict)


def segment_labelmap(node: Any, segment_id: str) -> tuple[np.ndarray, np.ndarray, tuple[int, int, int]]:
    """A segment's binary voxels: (k, j, i) bool array, its IJK->RAS matrix, and the (i, j, k) extent start."""
    from vtkmodules.util import numpy_support
    from vtkmodules.vtkCommonMath import vtkMatrix4x4

    slicer = import_slicer()
    segment = node.GetSegmentation().GetSegment(segment_id)
    image = segment.GetRepresentation(slicer.vtkSegmentationConverter.GetBinaryLabelmapRepresentationName())
    matrix = vtkMatrix4x4()
    if image is None or image.GetPointData().GetScalars() is None:
        return np.zeros((0, 0, 0), dtype=bool), np.eye(4), (0, 0, 0)
    image.GetImageToWorldMatrix(matrix)
    extent = image.GetExtent()
    shape = (extent[5] - extent[4] + 1, extent[3] - extent[2] + 1, extent[1] - extent[0] + 1)
    if min(shape) <= 0:
        return np.zeros((0, 0, 0), dtype=bool), np.eye(4), (0, 0, 0)
    values = numpy_support.vtk_to_numpy(image.GetPointData().GetScalars()).reshape(shape)
    ijk_to_ras = np.array([[matrix.GetElement(r, c) for c in range(4)] for r in range(4)])
    return values == segment.GetLabelValue(), ijk_to_ras, (extent[0], extent[2], extent[4])


def segment_points_lps(node: Any, segment_id: str) -> np.ndarray:
    """(n, 3) LPS positions (mm) of the voxels inside a segment."""
    mask, ijk_to_ras, (i0, j0, k0) = segment_labelmap(node, segment_id)
    k, j, i = np.nonzero(mask)
    ijk = np.column_stack([i + i0, j + j0, k + k0]).astype(float)
    ras = ijk @ ijk_to_ras[:3, :3].T + ijk_to_ras[:3, 3]
    return ras * np.array([-1.0, -1.0, 1.0])


def describe_segmentation(node: Any) -> list[SegmentSummary]:
    """Each segment of a segmentation node: name, colour, terminology codes, voxel count."""
    import vtk

    segmentation = node.GetSegmentation()
    summaries = []
    for index in range(segmentation.GetNumberOfSegments()):
        segment_id = segmentation.GetNthSegmentID(index)
        segment = segmentation.GetSegment(segment_id)
        tags = {}
        names = vtk.vtkStringArray() if hasattr(segment, "GetTagNames") else None
        tag_map = {}
        if names is not None:
            segment.GetTagNames(names)
            tag_map = {names.GetValue(i): "" for i in range(names.GetNumberOfValues())}
        for tag in set(tag_map) | {"TerminologyEntry", "DICOM.SegmentAlgorithmType", "DICOM.SegmentAlgorithmName",
                                   "DICOM.SegmentNumber", "Description"}:
            value = vtk.mutable("")
            if segment.GetTag(tag, value):
                tags[tag] = str(value)
        mask, _, _ = segment_labelmap(node, segment_id)
        summaries.append(SegmentSummary(
            id=segment_id,
            name=segment.GetName(),
            color=tuple(round(c, 4) for c in segment.GetColor()),
            terminology=parse_terminology_entry(tags.get("TerminologyEntry", "")),
            voxel_count=int(np.count_nonzero(mask)),
            tags={k: v for k, v in tags.items() if k != "TerminologyEntry"},
        ))
    return summaries


def describe_segmentation_node(node: Any) -> dict[str, Any]:
    """scene_summary describer: the segments of a segmentation node as plain data."""
    from dataclasses import asdict

    return {"segments": [asdict(summary) for summary in describe_segmentation(node)]}
