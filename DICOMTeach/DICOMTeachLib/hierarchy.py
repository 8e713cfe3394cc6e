"""Place loaded data under Patient -> Study -> Series, as Slicer's DICOM plugins do.

Slicer's ``DICOMPlugin.addSeriesInSubjectHierarchy`` (5.12) reads a few tags of
the first file, creates a series item for the data node with the UID name
"DICOM" and ten series attributes, then lets
``vtkSlicerSubjectHierarchyModuleLogic.InsertDicomSeriesInHierarchy`` find or
create the patient and study items, filling their attributes and names only when
they are new (names follow the user's subject hierarchy display settings). We
do the same from a :class:`SeriesIdentity` (plain values read by our own header
reader), so the result is identical headless and in Slicer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .headless import import_slicer

#: Node attribute Slicer's DICOM plugins set on loaded data: the SOP Instance UIDs it was loaded from.
INSTANCE_UIDS_ATTRIBUTE = "DICOM.instanceUIDs"

NO_PATIENT_NAME = "No name"
NO_STUDY_DESCRIPTION = "No study description"


@dataclass(frozen=True)
class SeriesIdentity:
    """The header values Slicer's hierarchy uses for one series (strings, "" when absent)."""

    patient_id: str
    patient_name: str
    study_instance_uid: str
    series_instance_uid: str
    modality: str = ""
    series_number: str = ""
    series_description: str = ""
    patient_sex: str = ""
    patient_birth_date: str = ""
    patient_comments: str = ""
    study_id: str = ""
    study_description: str = ""
    study_date: str = ""
    study_time: str = ""
    frame_of_reference_uid: str = ""
    series_date: str = ""
    series_time: str = ""
    content_date: str = ""
    content_time: str = ""
    manufacturer: str = ""
    manufacturer_model_name: str = ""
    instance_uids: tuple[str, ...] = field(default_factory=tuple)

    @property
    def effective_patient_id(self) -> str:
        """Slicer's patient key: PatientID, or "Patient-<StudyInstanceUID>" when it is empty."""
        return self.patient_id or f"Patient-{self.study_instance_uid}"

    @classmethod
    def from_dataset(cls, dataset: Any, instance_uids: Sequence[str] = ()) -> SeriesIdentity:
        """Read the identity from a pydicom dataset (header only is enough)."""

        def text(keyword: str) -> str:
            value = dataset.get(keyword, "")
            return "" if value is None else str(value).strip()

        return cls(
            patient_id=text("PatientID"),
            patient_name=text("PatientName"),
            study_instance_uid=text("StudyInstanceUID"),
            series_instance_uid=text("SeriesInstanceUID"),
            modality=text("Modality"),
            series_number=text("SeriesNumber"),
            series_description=text("SeriesDescription"),
            patient_sex=text("PatientSex"),
            patient_birth_date=text("PatientBirthDate"),
            patient_comments=text("PatientComments"),
            study_id=text("StudyID"),
            study_description=text("StudyDescription"),
            study_date=text("StudyDate"),
            study_time=text("StudyTime"),
            frame_of_reference_uid=text("FrameOfReferenceUID"),
            series_date=text("SeriesDate"),
            series_time=text("SeriesTime"),
            content_date=text("ContentDate"),
            content_time=text("ContentTime"),
            manufacturer=text("Manufacturer"),
            manufacturer_model_name=text("ManufacturerModelName"),
            instance_uids=tuple(instance_uids) or (text("SOPInstanceUID"),),
        )


@dataclass(frozen=True)
class NameDisplay:
    """What patient and study item names show, as Slicer's subject hierarchy settings say (Slicer's defaults)."""

    patient_id: bool = True
    patient_birth_date: bool = False
    study_id: bool = False
    study_date: bool = True

    @classmethod
    def from_slicer(cls) -> NameDisplay:
        """The running Slicer's choices (Application Settings > Subject hierarchy), else Slicer's defaults."""
        try:
            import slicer

            handler = slicer.qSlicerSubjectHierarchyPluginHandler.instance()
            return cls(bool(handler.displayPatientIDInSubjectHierarchyItemName),
                       bool(handler.displayPatientBirthDateInSubjectHierarchyItemName),
                       bool(handler.displayStudyIDInSubjectHierarchyItemName),
                       bool(handler.displayStudyDateInSubjectHierarchyItemName))
        except (ImportError, AttributeError):  # headless (slicer-core has no Qt plugin handler)
            return cls()

    def patient_name(self, name: str, patient_id: str, birth_date: str) -> str:
        if self.patient_id:
            name += f" ({patient_id})"
        if self.patient_birth_date and birth_date:
            name += f" ({birth_date})"
        return name

    def study_name(self, description: str, study_id: str, study_date: str) -> str:
        if self.study_id:
            description += f" ({study_id})"
        if self.study_date and study_date:
            description += f" ({study_date})"
        return description


def set_instance_uids(node: Any, instance_uids: Sequence[str]) -> None:
    """Record on a data node which instances it was loaded from, as Slicer's plugins do."""
    node.SetAttribute(INSTANCE_UIDS_ATTRIBUTE, " ".join(instance_uids))


def instance_uids_of(node: Any) -> list[str]:
    """The SOP Instance UIDs a data node was loaded from ([] for data not loaded from DICOM)."""
    return (node.GetAttribute(INSTANCE_UIDS_ATTRIBUTE) or "").split()


def _constants() -> Any:
    return import_slicer().vtkMRMLSubjectHierarchyConstants


def find_series_item(scene: Any, series_instance_uid: str, data_node: Any | None = None) -> int:
    """The series item already made for this data node (or any node of this series), else 0."""
    sh = scene.GetSubjectHierarchyNode()
    if data_node is not None:
        return sh.GetItemByDataNode(data_node)
    return sh.GetItemByUID(_constants().GetDICOMUIDName(), series_instance_uid)


def add_series_to_hierarchy(
    scene: Any,
    data_node: Any,
    identity: SeriesIdentity,
    referenced_instance_uids: Sequence[str] = (),
    names: NameDisplay | None = None,
) -> int:
    """Create (or reuse) the series item of ``data_node`` and place it under its patient and study.

    ``names`` defaults to the running Slicer's display settings. Returns the series item ID. Calling it again for the same node does not
    duplicate any item: the node's existing item is reused, and patient and
    study items are looked up by their DICOM UID before anything is created.
    """
    constants = _constants()
    slicer = import_slicer()
    sh = scene.GetSubjectHierarchyNode()
    uid_name = constants.GetDICOMUIDName()

    series_item = sh.GetItemByDataNode(data_node)
    if not series_item:
        series_item = sh.CreateItem(sh.GetSceneItemID(), data_node)
    sh.SetItemUID(series_item, uid_name, identity.series_instance_uid)
    sh.SetItemUID(series_item, constants.GetDICOMInstanceUIDName(),
                  " ".join(uid or "Unknown" for uid in identity.instance_uids))
    prefix = constants.GetDICOMAttributePrefix()
    for attribute, value in (
        (constants.GetDICOMSeriesModalityAttributeName(), identity.modality),
        (constants.GetDICOMSeriesNumberAttributeName(), identity.series_number),
        (constants.GetDICOMFrameOfReferenceUIDAttributeName(), identity.frame_of_reference_uid),
        (prefix + "SeriesDescription", identity.series_description),
        (prefix + "SeriesDate", identity.series_date),
        (prefix + "SeriesTime", identity.series_time),
        (prefix + "ContentDate", identity.content_date),
        (prefix + "ContentTime", identity.content_time),
        (prefix + "Manufacturer", identity.manufacturer),
        (prefix + "Model", identity.manufacturer_model_name),
    ):
        sh.SetItemAttribute(series_item, attribute, value)
    sh.SetItemAttribute(series_item, constants.GetDICOMReferencedInstanceUIDsAttributeName(),
                        " ".join(referenced_instance_uids))

    names = names or NameDisplay.from_slicer()
    patient_id = identity.effective_patient_id
    patient_existed = bool(sh.GetItemByUID(uid_name, patient_id))
    study_existed = bool(sh.GetItemByUID(uid_name, identity.study_instance_uid))
    slicer.vtkSlicerSubjectHierarchyModuleLogic.InsertDicomSeriesInHierarchy(
        sh, patient_id, identity.study_instance_uid, identity.series_instance_uid
    )

    patient_item = sh.GetItemByUID(uid_name, patient_id)
    if patient_item and not patient_existed:
        patient_name = identity.patient_name or NO_PATIENT_NAME
        for attribute, value in (
            (constants.GetDICOMPatientNameAttributeName(), patient_name),
            (constants.GetDICOMPatientIDAttributeName(), patient_id),
            (constants.GetDICOMPatientSexAttributeName(), identity.patient_sex),
            (constants.GetDICOMPatientBirthDateAttributeName(), identity.patient_birth_date),
            (constants.GetDICOMPatientCommentsAttributeName(), identity.patient_comments),
        ):
            sh.SetItemAttribute(patient_item, attribute, value)
        sh.SetItemName(patient_item, names.patient_name(patient_name, patient_id, identity.patient_birth_date))

    study_item = sh.GetItemByUID(uid_name, identity.study_instance_uid)
    if study_item and not study_existed:
        description = identity.study_description or NO_STUDY_DESCRIPTION
        for attribute, value in (
            (constants.GetDICOMStudyDescriptionAttributeName(), description),
            (constants.GetDICOMStudyInstanceUIDAttributeName(), identity.study_instance_uid),
            (constants.GetDICOMStudyIDAttributeName(), identity.study_id),
            (constants.GetDICOMStudyDateAttributeName(), identity.study_date),
            (constants.GetDICOMStudyTimeAttributeName(), identity.study_time),
        ):
            sh.SetItemAttribute(study_item, attribute, value)
        sh.SetItemName(study_item, names.study_name(description, identity.study_id, identity.study_date))
    return series_item


@dataclass
class HierarchyEntry:
    """One item of the hierarchy as plain values (for printing and JSON)."""

    level: str
    name: str
    uid: str
    attributes: dict[str, str]
    node_id: str | None
    children: list[HierarchyEntry]


def describe_hierarchy(scene: Any) -> list[HierarchyEntry]:
    """The subject hierarchy below the scene item, as a tree of plain entries."""
    from vtkmodules.vtkCommonCore import vtkIdList

    sh = scene.GetSubjectHierarchyNode()
    uid_name = _constants().GetDICOMUIDName()

    def entry(item: int) -> HierarchyEntry:
        children = vtkIdList()
        sh.GetItemChildren(item, children)
        node = sh.GetItemDataNode(item)
        return HierarchyEntry(
            level=sh.GetItemLevel(item),
            name=sh.GetItemName(item),
            uid=sh.GetItemUID(item, uid_name),
            attributes={name: sh.GetItemAttribute(item, name) for name in sh.GetItemAttributeNames(item)},
            node_id=node.GetID() if node is not None else None,
            children=[entry(children.GetId(i)) for i in range(children.GetNumberOfIds())],
        )

    top = vtkIdList()
    sh.GetItemChildren(sh.GetSceneItemID(), top)
    return [entry(top.GetId(i)) for i in range(top.GetNumberOfIds())]
