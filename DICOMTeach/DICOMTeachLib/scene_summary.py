"""Describe what a load put in a scene as plain data: patients -> studies -> series -> nodes.

``dicomteach load --json`` prints this and the tests compare it. Each node
class has a describer registered in :data:`DESCRIBERS` ("module:function",
taking the node and returning a dict); a class without one gets the common
fields only. Describers for other node classes (segmentations, tables) are
added by appending to the registry.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from .hierarchy import HierarchyEntry, describe_hierarchy

#: MRML class name -> "module:function"; the first class the node IsA() wins.
DESCRIBERS: dict[str, str] = {
    "vtkMRMLScalarVolumeNode": ".scene_summary:describe_volume",
    "vtkMRMLSegmentationNode": ".seg.summary:describe_segmentation_node",
    "vtkMRMLTableNode": ".sr.summary:describe_table",
    "vtkMRMLTextNode": ".sr.summary:describe_text",
    "vtkMRMLMarkupsNode": ".sr.summary:describe_markups",
}

Describer = Callable[[Any], dict[str, Any]]


def _matrix(node: Any) -> list[list[float]]:
    import vtk

    matrix = vtk.vtkMatrix4x4()
    node.GetIJKToRASMatrix(matrix)
    return [[round(matrix.GetElement(r, c), 10) for c in range(4)] for r in range(4)]


def _sequence_shown_by(node: Any) -> Any:
    """The sequence whose current item ``node`` shows (a sequence browser's proxy), else None."""
    scene = node.GetScene()
    if scene is None:
        return None
    for index in range(scene.GetNumberOfNodesByClass("vtkMRMLSequenceBrowserNode")):
        browser = scene.GetNthNodeByClass(index, "vtkMRMLSequenceBrowserNode")
        if browser.IsProxyNodeID(node.GetID()):
            return browser.GetSequenceNode(node)
    return None


def describe_sequence(sequence: Any) -> dict[str, Any]:
    """The index of a volume sequence and, per item, the same details as a volume."""
    return {
        "id": sequence.GetID(), "name": sequence.GetName(),
        "index_name": sequence.GetIndexName(), "index_unit": sequence.GetIndexUnit(),
        "items": [{"index_value": sequence.GetNthIndexValue(i), **describe_volume(sequence.GetNthDataNode(i))}
                  for i in range(sequence.GetNumberOfDataNodes())],
    }


def describe_volume(node: Any) -> dict[str, Any]:
    """Dimensions, geometry, scalar type, voxel range and a SHA-256 of the voxels of a volume node.

    The proxy volume of a volume sequence also describes its sequence, item by item.
    """
    import numpy as np
    from vtkmodules.util import numpy_support

    image = node.GetImageData()
    description: dict[str, Any] = {
        "spacing": [round(v, 10) for v in node.GetSpacing()],
        "origin": [round(v, 10) for v in node.GetOrigin()],
        "ijk_to_ras": _matrix(node),
    }
    if image is None or image.GetPointData().GetScalars() is None:
        return {**description, "dimensions": None}
    voxels = numpy_support.vtk_to_numpy(image.GetPointData().GetScalars())
    description.update(
        dimensions=list(image.GetDimensions()),
        components=image.GetNumberOfScalarComponents(),
        scalar_type=image.GetScalarTypeAsString(),
        voxel_min=voxels.min().item() if voxels.size else None,
        voxel_max=voxels.max().item() if voxels.size else None,
        sha256=hashlib.sha256(np.ascontiguousarray(voxels).data).hexdigest(),
    )
    sequence = _sequence_shown_by(node)
    if sequence is not None:
        description["sequence"] = describe_sequence(sequence)
    return description


@dataclass
class NodeSummary:
    id: str
    class_name: str
    name: str
    attributes: dict[str, str] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class SeriesSummary:
    uid: str
    name: str
    modality: str
    number: str
    nodes: list[NodeSummary] = field(default_factory=list)


@dataclass
class StudySummary:
    uid: str
    name: str
    series: list[SeriesSummary] = field(default_factory=list)


@dataclass
class PatientSummary:
    id: str
    name: str
    studies: list[StudySummary] = field(default_factory=list)


def _describer_for(node: Any) -> Describer | None:
    for class_name, spec in DESCRIBERS.items():
        if node.IsA(class_name):
            module_name, function_name = spec.split(":")
            return getattr(importlib.import_module(module_name, __package__), function_name)
    return None


def describe_node(node: Any) -> NodeSummary:
    attributes = {name: node.GetAttribute(name) for name in (node.GetAttributeNames() or ())}
    describer = _describer_for(node)
    return NodeSummary(id=node.GetID(), class_name=node.GetClassName(), name=node.GetName(),
                       attributes=attributes, details=describer(node) if describer else {})


def _series(scene: Any, entry: HierarchyEntry) -> SeriesSummary:
    nodes = []
    for item in [entry, *entry.children]:
        if item.node_id:
            nodes.append(describe_node(scene.GetNodeByID(item.node_id)))
    return SeriesSummary(uid=entry.uid, name=entry.name, modality=entry.attributes.get("DICOM.Modality", ""),
                         number=entry.attributes.get("DICOM.SeriesNumber", ""), nodes=nodes)


def summarize_scene(scene: Any) -> list[PatientSummary]:
    """The hierarchy of ``scene`` with every data node described."""
    patients = []
    for patient in describe_hierarchy(scene):
        if patient.level != "Patient":
            continue
        studies = []
        for study in patient.children:
            studies.append(StudySummary(uid=study.uid, name=study.name,
                                        series=[_series(scene, series) for series in study.children]))
        patients.append(PatientSummary(id=patient.uid, name=patient.name, studies=studies))
    return patients


def summary_as_dict(patients: list[PatientSummary]) -> list[dict[str, Any]]:
    return [asdict(patient) for patient in patients]
