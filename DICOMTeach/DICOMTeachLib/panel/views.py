"""The smaller views of the panel: UIDs per level, PHI actions, a SEG's frames, an SR's content tree.

Plain rows of text; the Qt panel and the HTML page display them as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import DICOMTeachError
from ..explain.model import Explanation

#: (level, what identifies it, keyword)
UID_LEVELS = (
    ("Patient", "Patient ID (not a UID: given by the hospital)", "PatientID"),
    ("Study", "Study Instance UID", "StudyInstanceUID"),
    ("Series", "Series Instance UID", "SeriesInstanceUID"),
    ("Instance", "SOP Instance UID", "SOPInstanceUID"),
    ("Instance", "SOP Class UID (what kind of object: the IOD)", "SOPClassUID"),
    ("Frame of reference", "Frame of Reference UID (shared by images in one patient coordinate system)",
     "FrameOfReferenceUID"),
)


@dataclass
class UIDRow:
    level: str
    label: str
    keyword: str
    value: str


def uid_rows(explanation: Explanation) -> list[UIDRow]:
    """Patient -> Study -> Series -> Instance identifiers of one instance (as shown: masked or not)."""
    attributes = {attribute.keyword: attribute for attribute in explanation.top_level_attributes().values()}
    rows = []
    for level, label, keyword in UID_LEVELS:
        attribute = attributes.get(keyword)
        value = (attribute.value or "(empty)") if attribute is not None else "(not in the file)"
        rows.append(UIDRow(level, label, keyword, value))
    return rows


@dataclass
class PHIRow:
    tag: str
    keyword: str
    action: str
    meaning: str
    value: str  # masked when the explanation was masked


def phi_rows(explanation: Explanation) -> list[PHIRow]:
    """Attributes in the file whose PS3.15 Basic Profile action is not "keep", in file order."""
    from ..phi.actions import explain_code

    seen: set[str] = set()
    rows = []
    for attribute in sorted(explanation.top_level_attributes().values(), key=lambda a: a.tag_value):
        code = attribute.phi_action
        if not code or code == "K" or attribute.tag in seen:
            continue
        seen.add(attribute.tag)
        value = f"{len(attribute.items)} item(s)" if attribute.items else (attribute.value or "")
        rows.append(PHIRow(attribute.tag, attribute.keyword or attribute.name, code, explain_code(code), value))
    return rows


@dataclass
class SegFrameRow:
    frame: int
    segment_number: int | None
    segment_label: str
    source_instance_uid: str
    source_frame: str
    source_file: str  # "" when the referenced image is not available


def seg_frame_rows(path: str, resolve: Any = None, limit: int = 2000) -> list[SegFrameRow]:
    """Frame -> segment -> referenced source image of a SEG, from its per-frame functional groups."""
    import pydicom

    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
    except Exception as error:  # noqa: BLE001 - any damage: one clear line
        raise DICOMTeachError(f"cannot read the segmentation: {type(error).__name__}: {error}", path) from error
    labels = {int(item.get("SegmentNumber", 0)): str(item.get("SegmentLabel", "") or "")
              for item in ds.get("SegmentSequence", [])}
    rows = []
    for frame, group in enumerate(ds.get("PerFrameFunctionalGroupsSequence", [])[:limit], start=1):
        number = None
        identification = group.get("SegmentIdentificationSequence")
        if identification:
            number = int(identification[0].get("ReferencedSegmentNumber", 0)) or None
        uid, source_frame = "", ""
        derivation = group.get("DerivationImageSequence")
        if derivation and derivation[0].get("SourceImageSequence"):
            source = derivation[0].SourceImageSequence[0]
            uid = str(source.get("ReferencedSOPInstanceUID", ""))
            frames = source.get("ReferencedFrameNumber")
            source_frame = "" if frames is None else str(frames)
        source_file = (resolve(uid) or "") if (resolve and uid) else ""
        rows.append(SegFrameRow(frame, number, labels.get(number or 0, ""), uid, source_frame, source_file))
    return rows


@dataclass
class SRRow:
    position: str
    relationship: str
    value_type: str
    concept: str
    value: str
    children: list[SRRow] = field(default_factory=list)


def sr_rows(path: str) -> SRRow:
    """The SR content tree: relationship, value type, concept name and value of every item."""
    from ..sr.content import ContentItem, read_sr

    document = read_sr(path)

    def row(item: ContentItem) -> SRRow:
        return SRRow(item.position, item.relationship, item.value_type or "BY-REFERENCE",
                     item.concept.meaning if item.concept else "", item.value_text(),
                     [row(child) for child in item.children])

    return row(document.root)
