"""TID 1500 Measurement Report: measurement groups, measurements, qualitative evaluations, regions.

Read from the content tree (:mod:`.content`), never from the raw dataset, so
any SR class carrying TID 1500 works (Enhanced, Comprehensive, Comprehensive 3D).
Codes are matched on (value, scheme) with the SNOMED RT and SNOMED CT spellings
both accepted where the standard moved from one to the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..seg.metadata import Code
from .content import ContentItem, SRDocument

IMAGING_MEASUREMENTS = {("126010", "DCM")}
MEASUREMENT_GROUP = {("125007", "DCM")}
QUALITATIVE_EVALUATIONS = {("C0034375", "UMLS")}
TRACKING_IDENTIFIER = {("112039", "DCM")}
TRACKING_UID = {("112040", "DCM")}
FINDING = {("121071", "DCM")}
FINDING_SITE = {("363698007", "SCT"), ("G-C0E3", "SRT")}
REFERENCED_SEGMENT = {("121191", "DCM")}
SOURCE_SERIES_FOR_SEGMENTATION = {("121232", "DCM")}
DERIVATION = {("121401", "DCM")}
MEASUREMENT_METHOD = {("370129005", "SCT"), ("G-C306", "SRT")}
#: Group-level items that are not qualitative evaluations.
GROUP_CONTEXT = TRACKING_IDENTIFIER | TRACKING_UID | FINDING | FINDING_SITE | REFERENCED_SEGMENT \
    | SOURCE_SERIES_FOR_SEGMENTATION


def _is(item: ContentItem, codes: set[tuple[str, str]]) -> bool:
    return item.concept is not None and (item.concept.value, item.concept.scheme) in codes


@dataclass
class SegmentReference:
    sop_instance_uid: str
    segment_number: int
    source_series_uid: str = ""


@dataclass
class Region:
    """A SCOORD or SCOORD3D of a group: the geometry a markup is made from."""

    position: str
    concept: Code | None
    value_type: str  # SCOORD (image pixel columns/rows) or SCOORD3D (patient mm, LPS)
    graphic_type: str
    graphic_data: list[float]
    frame_of_reference_uid: str = ""
    image_uid: str = ""  # SCOORD: the image it was drawn on (SELECTED FROM)
    image_frame: int = 0


@dataclass
class Measurement:
    position: str
    concept: Code | None
    value: float | None
    value_text: str
    units: Code | None
    qualifier: Code | None = None
    derivation: Code | None = None
    method: Code | None = None
    finding_site: Code | None = None
    tracking_uid: str = ""


@dataclass
class QualitativeEvaluation:
    position: str
    concept: Code | None
    value: Code | None
    text: str = ""


@dataclass
class MeasurementGroup:
    position: str
    template: str
    tracking_id: str = ""
    tracking_uid: str = ""
    finding: Code | None = None
    finding_site: Code | None = None
    referenced_segment: SegmentReference | None = None
    measurements: list[Measurement] = field(default_factory=list)
    evaluations: list[QualitativeEvaluation] = field(default_factory=list)
    regions: list[Region] = field(default_factory=list)


@dataclass
class MeasurementReport:
    groups: list[MeasurementGroup]
    evaluations: list[QualitativeEvaluation]  # report-level (outside the groups)
    warnings: list[str] = field(default_factory=list)


def _region(item: ContentItem) -> Region:
    region = Region(item.position, item.concept, item.value_type, item.graphic_type, list(item.graphic_data),
                    item.frame_of_reference_uid)
    for child in item.children:
        if child.relationship == "SELECTED FROM" and child.references:
            region.image_uid = child.references[0].sop_instance_uid
            region.image_frame = child.references[0].frames[0] if child.references[0].frames else 0
    return region


def _measurement(item: ContentItem) -> Measurement:
    measurement = Measurement(item.position, item.concept, item.number, item.number_text, item.units,
                              item.qualifier)
    for child in item.children:
        if child.value_type == "CODE" and _is(child, DERIVATION):
            measurement.derivation = child.code
        elif child.value_type == "CODE" and _is(child, MEASUREMENT_METHOD):
            measurement.method = child.code
        elif child.value_type == "CODE" and _is(child, FINDING_SITE):
            measurement.finding_site = child.code
        elif child.value_type == "UIDREF" and _is(child, TRACKING_UID):
            measurement.tracking_uid = child.text
    return measurement


def _evaluation(item: ContentItem) -> QualitativeEvaluation:
    return QualitativeEvaluation(item.position, item.concept, item.code, item.text)


def _group(item: ContentItem) -> MeasurementGroup:
    group = MeasurementGroup(item.position, item.template)
    source_series = ""
    for child in item.children:
        if _is(child, TRACKING_IDENTIFIER):
            group.tracking_id = child.text
        elif _is(child, TRACKING_UID):
            group.tracking_uid = child.text
        elif _is(child, FINDING) and child.value_type == "CODE":
            group.finding = child.code
        elif _is(child, FINDING_SITE) and child.value_type == "CODE":
            group.finding_site = child.code
        elif _is(child, REFERENCED_SEGMENT) and child.references:
            reference = child.references[0]
            group.referenced_segment = SegmentReference(reference.sop_instance_uid,
                                                        reference.segments[0] if reference.segments else 0)
        elif _is(child, SOURCE_SERIES_FOR_SEGMENTATION):
            source_series = child.text
        elif child.value_type == "NUM" and child.relationship == "CONTAINS":
            group.measurements.append(_measurement(child))
        elif child.value_type in ("SCOORD", "SCOORD3D"):
            group.regions.append(_region(child))
        elif child.value_type in ("CODE", "TEXT") and child.relationship == "CONTAINS":
            group.evaluations.append(_evaluation(child))
    if group.referenced_segment is not None:
        group.referenced_segment.source_series_uid = source_series
    return group


def read_measurement_report(document: SRDocument) -> MeasurementReport:
    """The TID 1500 content of a document (empty groups when it has none)."""
    groups: list[MeasurementGroup] = []
    evaluations: list[QualitativeEvaluation] = []
    warnings: list[str] = []
    for child in document.root.children:
        if _is(child, IMAGING_MEASUREMENTS):
            for group in child.children:
                if _is(group, MEASUREMENT_GROUP):
                    groups.append(_group(group))
                elif group.value_type == "CONTAINER":
                    warnings.append(f"item {group.position}: a container other than a Measurement Group in "
                                    "Imaging Measurements is shown in the tree only")
        elif _is(child, QUALITATIVE_EVALUATIONS):
            evaluations.extend(_evaluation(item) for item in child.children if item.value_type in ("CODE", "TEXT"))
    if not any(_is(child, IMAGING_MEASUREMENTS) for child in document.root.children):
        warnings.append("no Imaging Measurements container: not a TID 1500 measurement report")
    return MeasurementReport(groups, evaluations, warnings)
