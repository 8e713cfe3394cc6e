"""Build the nodes of an SR loadable: text tree, content items table, TID 1500 tables and markups.

Every SR gives a vtkMRMLTextNode (the indented content tree) and a
vtkMRMLTableNode (one row per content item). A TID 1500 report also gives a
measurements table (one row per measurement, its group's tracking identifier
and UID, finding, finding site, referenced segment linked to the loaded
segmentation's segment), a qualitative evaluations table and one markups node
per SCOORD / SCOORD3D region. The text node is the SR's series item in the
subject hierarchy; the other nodes are its children.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import LoadError
from ..headless import import_slicer
from ..hierarchy import add_series_to_hierarchy, instance_uids_of, set_instance_uids
from ..loadable import Loadable, LoadResult
from ..seg.metadata import Code
from .content import SRDocument, read_sr, render_tree
from .examine import SRPlan
from .markups import ImagePlane, UnplaceableRegion, add_markups_node, shape_from_region
from .tid1500 import MeasurementReport, read_measurement_report


@dataclass
class Table:
    """Named columns of equal length: str, or float (NaN for none)."""

    name: str
    columns: dict[str, list[Any]] = field(default_factory=dict)

    def add_row(self, **values: Any) -> None:
        for key in self.columns:
            self.columns[key].append(values.get(key, ""))

    @property
    def rows(self) -> int:
        return len(next(iter(self.columns.values()), []))


def _code_text(code: Code | None) -> str:
    return f"{code.meaning} ({code.value}, {code.scheme})" if code else ""


def _code_fields(prefix: str) -> list[str]:
    return [f"{prefix}", f"{prefix} code value", f"{prefix} coding scheme"]


def _code_values(prefix: str, code: Code | None) -> dict[str, str]:
    return {prefix: code.meaning if code else "", f"{prefix} code value": code.value if code else "",
            f"{prefix} coding scheme": code.scheme if code else ""}


def content_table(document: SRDocument) -> Table:
    names = ["Position", "Level", "Relationship", "Value type", *_code_fields("Concept"), "Value",
             "Code value", "Coding scheme", "Units", "References"]
    table = Table("content items", {name: [] for name in names})
    for item in document.items():
        code = item.code if item.value_type == "CODE" else None
        references = "; ".join(map(str, item.references))
        if item.by_reference:
            references = f"item {item.by_reference}" + ("" if item.by_reference_resolved else " (missing)")
        table.add_row(**{
            "Position": item.position, "Level": str(item.depth), "Relationship": item.relationship,
            "Value type": item.value_type or "BY-REFERENCE", **_code_values("Concept", item.concept),
            "Value": item.value_text().replace("\r", "").replace("\n", " | "),
            "Code value": code.value if code else "", "Coding scheme": code.scheme if code else "",
            "Units": item.units.value if item.units else "", "References": references,
        })
    return table


@dataclass
class SegmentLink:
    node: Any
    segment_id: str
    segment_name: str


def find_segment(scene: Any, sop_instance_uid: str, segment_number: int) -> SegmentLink | None:
    """The loaded segment a TID 1500 group refers to (SEG instance UID + segment number)."""
    import vtk

    for index in range(scene.GetNumberOfNodesByClass("vtkMRMLSegmentationNode")):
        node = scene.GetNthNodeByClass(index, "vtkMRMLSegmentationNode")
        if sop_instance_uid not in instance_uids_of(node):
            continue
        segmentation = node.GetSegmentation()
        for n in range(segmentation.GetNumberOfSegments()):
            segment = segmentation.GetNthSegment(n)
            number = vtk.mutable("")
            if segment.GetTag("DICOM.SegmentNumber", number) and str(number) == str(segment_number):
                return SegmentLink(node, segmentation.GetNthSegmentID(n), segment.GetName())
    return None


def measurements_table(report: MeasurementReport, scene: Any) -> Table:
    names = ["Group", "Tracking identifier", "Tracking UID", *_code_fields("Finding"), *_code_fields("Finding site"),
             *_code_fields("Measurement"), "Value", "Units", "Units meaning", *_code_fields("Derivation"),
             *_code_fields("Method"), "Referenced segment", "Segmentation node", "Segment ID",
             "Segmentation instance UID", "Segment number"]
    table = Table("measurements", {name: [] for name in names})
    for group in report.groups:
        link = None
        if group.referenced_segment is not None:
            link = find_segment(scene, group.referenced_segment.sop_instance_uid,
                                group.referenced_segment.segment_number)
        for measurement in group.measurements:
            reference = group.referenced_segment
            table.add_row(**{
                "Group": group.position, "Tracking identifier": group.tracking_id,
                "Tracking UID": group.tracking_uid,
                **_code_values("Finding", group.finding),
                **_code_values("Finding site", measurement.finding_site or group.finding_site),
                **_code_values("Measurement", measurement.concept),
                "Value": measurement.value if measurement.value is not None else float("nan"),
                "Units": measurement.units.value if measurement.units else "",
                "Units meaning": measurement.units.meaning if measurement.units else "",
                **_code_values("Derivation", measurement.derivation),
                **_code_values("Method", measurement.method),
                "Referenced segment": link.segment_name if link else (
                    f"segment {reference.segment_number} (segmentation not loaded)" if reference else ""),
                "Segmentation node": link.node.GetName() if link else "",
                "Segment ID": link.segment_id if link else "",
                "Segmentation instance UID": reference.sop_instance_uid if reference else "",
                "Segment number": str(reference.segment_number) if reference else "",
            })
    return table


def evaluations_table(report: MeasurementReport) -> Table:
    names = ["Group", "Tracking identifier", *_code_fields("Concept"), *_code_fields("Value"), "Text"]
    table = Table("qualitative evaluations", {name: [] for name in names})
    rows = [("", "", evaluation) for evaluation in report.evaluations]
    rows += [(group.position, group.tracking_id, evaluation) for group in report.groups
             for evaluation in group.evaluations]
    for position, tracking_id, evaluation in rows:
        table.add_row(**{"Group": position, "Tracking identifier": tracking_id,
                         **_code_values("Concept", evaluation.concept), **_code_values("Value", evaluation.value),
                         "Text": evaluation.text})
    return table


def add_table_node(scene: Any, table: Table, name: str) -> Any:
    import vtk

    node = scene.AddNewNodeByClass("vtkMRMLTableNode", name)
    vtk_table = node.GetTable()
    for column, values in table.columns.items():
        numeric = bool(values) and all(isinstance(v, float) for v in values)
        array = vtk.vtkDoubleArray() if numeric else vtk.vtkStringArray()
        array.SetName(column)
        for value in values:
            array.InsertNextValue(float(value) if numeric else str(value))
        vtk_table.AddColumn(array)
    node.Modified()
    return node


def _plane_from_volume(scene: Any, image_uid: str) -> ImagePlane | None:
    """The plane of a referenced image that is a slice of a loaded volume (DICOM.instanceUIDs in slice order)."""
    for index in range(scene.GetNumberOfNodesByClass("vtkMRMLScalarVolumeNode")):
        node = scene.GetNthNodeByClass(index, "vtkMRMLScalarVolumeNode")
        uids = instance_uids_of(node)
        if image_uid not in uids:
            continue
        import vtk

        matrix = vtk.vtkMatrix4x4()
        node.GetIJKToRASMatrix(matrix)
        m = np.array([[matrix.GetElement(r, c) for c in range(4)] for r in range(4)])
        to_lps = np.array([-1.0, -1.0, 1.0])
        k = uids.index(image_uid)
        origin = (m[:3, 3] + m[:3, 2] * k) * to_lps
        row, column = m[:3, 0] * to_lps, m[:3, 1] * to_lps
        spacing = (float(np.linalg.norm(column)), float(np.linalg.norm(row)))
        return ImagePlane(tuple(origin), tuple(row / spacing[1]), tuple(column / spacing[0]), spacing)
    return None


def load_structured_report(loadable: Loadable, scene: Any, progress: Any = None) -> LoadResult:
    """Builder registered for LoadableKind.STRUCTURED_REPORT."""
    plan: SRPlan = loadable.plan
    if not isinstance(plan, SRPlan):
        raise LoadError("this loadable was not made by the SR examiner", loadable.name)
    import_slicer()
    if progress:
        progress(0.0, f"reading {loadable.name}")
    document = read_sr(plan.path, plan.header)
    result = LoadResult()
    result.messages.extend(document.warnings)
    sh = scene.GetSubjectHierarchyNode()

    text_node = scene.AddNewNodeByClass("vtkMRMLTextNode", loadable.name)
    text_node.SetText(render_tree(document))
    set_instance_uids(text_node, plan.identity.instance_uids)
    series_item = add_series_to_hierarchy(scene, text_node, plan.identity, loadable.referenced_instance_uids)
    result.nodes.append(text_node)

    def child(node: Any) -> None:
        sh.CreateItem(series_item, node)
        result.nodes.append(node)

    child(add_table_node(scene, content_table(document), f"{loadable.name}: content items"))
    if plan.is_measurement_report:
        report = read_measurement_report(document)
        result.messages.extend(report.warnings)
        child(add_table_node(scene, measurements_table(report, scene), f"{loadable.name}: measurements"))
        evaluations = evaluations_table(report)
        if evaluations.rows:
            child(add_table_node(scene, evaluations, f"{loadable.name}: qualitative evaluations"))
        for group in report.groups:
            for number, region in enumerate(group.regions, 1):
                plane = None
                if region.value_type == "SCOORD":
                    plane = plan.image_planes.get(region.image_uid) or _plane_from_volume(scene, region.image_uid)
                label = group.tracking_id or f"group {group.position}"
                try:
                    shape = shape_from_region(region, plane)
                except UnplaceableRegion as reason:
                    result.skipped.append(f"region {region.position} ({region.graphic_type}) of '{label}': {reason}")
                    continue
                name = f"{label}: {region.concept.meaning if region.concept else 'region'}"
                if len(group.regions) > 1:
                    name += f" {number}"
                node = add_markups_node(scene, shape, name)
                node.SetAttribute("DICOM.SR.ContentItem", region.position)
                child(node)
    if progress:
        progress(1.0, f"loaded {loadable.name}")
    return result
