"""Examine: which headers are Structured Reports, which template, and what evidence they cite.

Only the dataset examine already read is used (an SR has no pixel data, so
that header holds its content tree): no file is opened again, unlike
Slicer's TID 1500 plugin, which reads every file in full during examine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydicom.uid import UID

from ..examine import ExamineContext
from ..hierarchy import SeriesIdentity
from ..loadable import Loadable, LoadableKind
from ..seg.examine import unresolved_reference_warnings
from .markups import ImagePlane

SR_SOP_CLASS_PREFIX = "1.2.840.10008.5.1.4.1.1.88."
#: Above the scalar volume plugin's, as Slicer's TID 1500 plugin (0.95).
SR_CONFIDENCE = 0.95
TID1500 = "1500"
#: (126000, DCM, "Imaging Measurement Report"): TID 1500's document title.
IMAGING_MEASUREMENT_REPORT = ("126000", "DCM")


@dataclass
class SRPlan:
    path: str
    identity: SeriesIdentity
    template_id: str = ""
    is_measurement_report: bool = False
    referenced_series: dict[str, list[str]] = field(default_factory=dict)
    #: SOP instance UID -> plane of the referenced images among the examined files (to place SCOORDs).
    image_planes: dict[str, ImagePlane] = field(default_factory=dict)
    #: the examined dataset: an SR has no pixel data, so it is the whole document
    header: Any = None


def template_identifier(dataset: Any) -> str:
    templates = dataset.get("ContentTemplateSequence") or []
    return str(templates[0].get("TemplateIdentifier", "") or "") if templates else ""


def is_measurement_report(dataset: Any) -> bool:
    """TID 1500, by its template identifier or its document title code."""
    if template_identifier(dataset) == TID1500:
        return True
    titles = dataset.get("ConceptNameCodeSequence") or []
    return bool(titles) and (str(titles[0].get("CodeValue", "")),
                             str(titles[0].get("CodingSchemeDesignator", ""))) == IMAGING_MEASUREMENT_REPORT


def evidence_series(dataset: Any) -> dict[str, list[str]]:
    """SeriesInstanceUID -> SOP instance UIDs cited as evidence (current requested procedure and pertinent other)."""
    series: dict[str, list[str]] = {}
    for keyword in ("CurrentRequestedProcedureEvidenceSequence", "PertinentOtherEvidenceSequence"):
        for study in dataset.get(keyword, []) or []:
            for item in study.get("ReferencedSeriesSequence", []) or []:
                uids = series.setdefault(str(item.get("SeriesInstanceUID", "")), [])
                for instance in item.get("ReferencedSOPSequence", []) or []:
                    uid = str(instance.get("ReferencedSOPInstanceUID", "") or "")
                    if uid and uid not in uids:
                        uids.append(uid)
    return series


def examine_structured_reports(headers: Mapping[str, Any], context: ExamineContext | None = None) -> list[Loadable]:
    """Examiner registered in examine.EXAMINERS: one loadable per SR document."""
    by_instance = {str(ds.get("SOPInstanceUID", "")): ds for ds in headers.values()}
    known_instances = set(by_instance)
    loadables = []
    for path, dataset in headers.items():
        sop_class = str(dataset.get("SOPClassUID", ""))
        if not sop_class.startswith(SR_SOP_CLASS_PREFIX):
            continue
        references = evidence_series(dataset)
        measurement_report = is_measurement_report(dataset)
        warnings = unresolved_reference_warnings(references, known_instances,
                                                 "its regions and references cannot be shown on those images",
                                                 context)
        if "ContentSequence" not in dataset:
            warnings.append("the document has no content (ContentSequence is missing)")
        titles = dataset.get("ConceptNameCodeSequence") or []
        title = str(titles[0].get("CodeMeaning", "")) if titles else ""
        identity = SeriesIdentity.from_dataset(dataset)
        template = template_identifier(dataset)
        planes = {}
        for uid in (uid for uids in references.values() for uid in uids):
            plane = ImagePlane.from_dataset(by_instance[uid]) if uid in by_instance else None
            if plane is not None:
                planes[uid] = plane
        sop_name = UID(sop_class).name or sop_class
        loadables.append(Loadable(
            kind=LoadableKind.STRUCTURED_REPORT,
            name=str(dataset.get("SeriesDescription", "") or "") or title or "Structured Report",
            files=[path],
            confidence=SR_CONFIDENCE,
            confidence_reason=("0.95, as Slicer's TID 1500 plugin gives a TID 1500 measurement report" if measurement_report
                               else "0.95: a DICOM Structured Report, shown as its content tree"),
            series_instance_uid=identity.series_instance_uid,
            warnings=warnings,
            notes=[f"{sop_name}, template {('TID ' + template) if template else 'not given'}, title '{title}'"],
            referenced_instance_uids=[uid for uids in references.values() for uid in uids],
            plan=SRPlan(path, identity, template, measurement_report, references, planes, dataset),
        ))
    return loadables
