"""Any Structured Report as a tree of content items (Basic Text, Enhanced, Comprehensive, 3D, any template).

Each item keeps what PS3.3 C.17.3 gives it: its relationship to the parent,
value type, concept name, and its value: text, code, number with units, date,
person name, UID, references to other instances (frames, segments), spatial
or temporal coordinates, or the container's continuity and template.
By-reference relationships (an item that only names another by its position,
e.g. "1.2.3") are resolved to their target or flagged when the target does
not exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..errors import DICOMTeachError
from ..seg.metadata import Code

#: Deeper trees are cut (a damaged or hostile file must not exhaust the stack).
MAX_DEPTH = 64


@dataclass
class Reference:
    """A referenced instance (IMAGE, COMPOSITE, WAVEFORM, SCOORD's image, ...)."""

    sop_class_uid: str
    sop_instance_uid: str
    frames: list[int] = field(default_factory=list)
    segments: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        text = self.sop_instance_uid
        if self.frames:
            text += f" frame(s) {', '.join(map(str, self.frames))}"
        if self.segments:
            text += f" segment(s) {', '.join(map(str, self.segments))}"
        return text


@dataclass
class ContentItem:
    position: str  # "1", "1.2", "1.2.3": the item's place in the tree (root is "1")
    relationship: str  # "" for the root, else "CONTAINS", "HAS PROPERTIES", ...
    value_type: str  # CONTAINER, TEXT, CODE, NUM, ...; "" for a by-reference item
    concept: Code | None = None
    text: str = ""  # TEXT, DATE, TIME, DATETIME, UIDREF, PNAME values (as stored)
    code: Code | None = None  # CODE value
    number: float | None = None  # NUM value
    number_text: str = ""  # NUM value as stored (DS string)
    units: Code | None = None
    qualifier: Code | None = None  # NUM without a value: why (NumericValueQualifierCodeSequence)
    references: list[Reference] = field(default_factory=list)
    graphic_type: str = ""
    graphic_data: list[float] = field(default_factory=list)
    frame_of_reference_uid: str = ""  # SCOORD3D
    continuity: str = ""  # CONTAINER
    template: str = ""  # CONTAINER: "DCMR 1500"
    by_reference: str = ""  # target position of a by-reference relationship
    by_reference_resolved: bool = False
    children: list[ContentItem] = field(default_factory=list)

    @property
    def depth(self) -> int:
        return self.position.count(".")

    def value_text(self) -> str:
        """The value as one line a student can read."""
        vt = self.value_type
        if self.by_reference:
            return f"-> item {self.by_reference}" + ("" if self.by_reference_resolved else " (missing)")
        if vt == "CODE":
            return self.code.meaning if self.code else ""
        if vt == "NUM":
            if self.number is None:
                return f"(no value: {self.qualifier.meaning})" if self.qualifier else "(no value)"
            return f"{self.number_text} {self.units.value if self.units else ''}".strip()
        if vt in ("SCOORD", "SCOORD3D"):
            return f"{self.graphic_type} {self.graphic_data}"
        if vt in ("IMAGE", "COMPOSITE", "WAVEFORM"):
            return "; ".join(map(str, self.references))
        if vt == "CONTAINER":
            return f"[{self.continuity}]" + (f" ({self.template})" if self.template else "")
        return self.text

    def walk(self) -> Iterator[ContentItem]:
        """This item and every descendant, depth first, in document order."""
        yield self
        for child in self.children:
            yield from child.walk()

    def child(self, concept_value: str, scheme: str | None = None) -> ContentItem | None:
        """The first child with this concept name code."""
        for child in self.children:
            if child.concept and child.concept.value == concept_value and (scheme is None
                                                                           or child.concept.scheme == scheme):
                return child
        return None


@dataclass
class SRDocument:
    path: str
    sop_class_uid: str
    title: Code | None
    template: str
    completion: str
    verification: str
    root: ContentItem
    warnings: list[str] = field(default_factory=list)

    def items(self) -> list[ContentItem]:
        return list(self.root.walk())

    def find(self, position: str) -> ContentItem | None:
        return next((item for item in self.root.walk() if item.position == position), None)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _references(item: Any) -> list[Reference]:
    references = []
    for ref in item.get("ReferencedSOPSequence", []) or []:
        frames = ref.get("ReferencedFrameNumber")
        segments = ref.get("ReferencedSegmentNumber")

        def as_ints(value: Any) -> list[int]:
            if value is None or value == "":
                return []
            values = value if isinstance(value, (list, tuple)) or hasattr(value, "__iter__") \
                and not isinstance(value, (str, bytes, int)) else [value]
            return [int(v) for v in values]

        references.append(Reference(_text(ref.get("ReferencedSOPClassUID", "")),
                                    _text(ref.get("ReferencedSOPInstanceUID", "")), as_ints(frames),
                                    as_ints(segments)))
    return references


def _read_item(item: Any, position: str, warnings: list[str], path: str) -> ContentItem:
    value_type = _text(item.get("ValueType", ""))
    content = ContentItem(position=position, relationship=_text(item.get("RelationshipType", "")),
                          value_type=value_type, concept=Code.first_in(item, "ConceptNameCodeSequence"))
    if "ReferencedContentItemIdentifier" in item and not value_type:
        identifier = item.ReferencedContentItemIdentifier
        values = identifier if not isinstance(identifier, int) else [identifier]
        content.by_reference = ".".join(str(int(v)) for v in values)
        return content
    if value_type == "TEXT":
        content.text = _text(item.get("TextValue", ""))
    elif value_type == "CODE":
        content.code = Code.first_in(item, "ConceptCodeSequence")
    elif value_type == "NUM":
        measured = item.get("MeasuredValueSequence") or []
        if measured:
            content.number_text = _text(measured[0].get("NumericValue", "")).strip()
            try:
                content.number = float(content.number_text)
            except ValueError:
                warnings.append(f"item {position}: numeric value {content.number_text!r} is not a number")
            content.units = Code.first_in(measured[0], "MeasurementUnitsCodeSequence")
        content.qualifier = Code.first_in(item, "NumericValueQualifierCodeSequence")
    elif value_type in ("DATE", "TIME", "DATETIME", "UIDREF", "PNAME"):
        keyword = {"DATE": "Date", "TIME": "Time", "DATETIME": "DateTime", "UIDREF": "UID",
                   "PNAME": "PersonName"}[value_type]
        content.text = _text(item.get(keyword, ""))
    elif value_type in ("IMAGE", "COMPOSITE", "WAVEFORM"):
        content.references = _references(item)
    elif value_type in ("SCOORD", "SCOORD3D"):
        content.graphic_type = _text(item.get("GraphicType", ""))
        content.graphic_data = [float(v) for v in (item.get("GraphicData") or [])]
        content.frame_of_reference_uid = _text(item.get("ReferencedFrameOfReferenceUID", ""))
    elif value_type == "TCOORD":
        content.text = _text(item.get("TemporalRangeType", ""))
    elif value_type == "CONTAINER":
        content.continuity = _text(item.get("ContinuityOfContent", ""))
        templates = item.get("ContentTemplateSequence") or []
        if templates:
            content.template = f"{_text(templates[0].get('MappingResource', ''))} " \
                               f"{_text(templates[0].get('TemplateIdentifier', ''))}".strip()
    elif not value_type:
        warnings.append(f"item {position}: no value type and no by-reference target")
    else:
        warnings.append(f"item {position}: value type {value_type} is shown without its value")
    children = item.get("ContentSequence") or []
    if children and position.count(".") >= MAX_DEPTH:
        warnings.append(f"item {position}: content deeper than {MAX_DEPTH} levels is not shown")
        return content
    content.children = [_read_item(child, f"{position}.{index}", warnings, path)
                        for index, child in enumerate(children, 1)]
    return content


def read_sr(path: str, dataset: Any = None) -> SRDocument:
    """The content tree of the SR at ``path`` (``dataset`` may be its already-read header)."""

    if dataset is None:
        from ..safe_read import read_dataset

        dataset = read_dataset(path, what="the SR")
    if str(dataset.get("ValueType", "CONTAINER")) != "CONTAINER" and "ContentSequence" not in dataset:
        raise DICOMTeachError("not a structured report (no root CONTAINER and no ContentSequence)", path)
    warnings: list[str] = []
    try:
        root = _read_item(dataset, "1", warnings, path)
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise DICOMTeachError(f"cannot read the content tree: {error}", path) from error
    root.relationship = ""
    positions = {item.position for item in root.walk()}
    for item in root.walk():
        if item.by_reference:
            item.by_reference_resolved = item.by_reference in positions
            if not item.by_reference_resolved:
                warnings.append(f"item {item.position}: by-reference target {item.by_reference} does not exist")
    templates = dataset.get("ContentTemplateSequence") or []
    template = _text(templates[0].get("TemplateIdentifier", "")) if templates else ""
    return SRDocument(path=str(path), sop_class_uid=_text(dataset.get("SOPClassUID", "")),
                      title=Code.first_in(dataset, "ConceptNameCodeSequence"), template=template,
                      completion=_text(dataset.get("CompletionFlag", "")),
                      verification=_text(dataset.get("VerificationFlag", "")), root=root, warnings=warnings)


def render_tree(document: SRDocument) -> str:
    """The content tree as indented text, one item a line."""
    lines = []
    title = document.title.meaning if document.title else "(no title)"
    lines.append(f"{title}  [completion: {document.completion or '-'}, verification: "
                 f"{document.verification or '-'}]")
    for item in document.root.walk():
        indent = "  " * item.depth
        relation = f"{item.relationship} " if item.relationship else ""
        concept = f"{item.concept.meaning} " if item.concept else ""
        value = item.value_text()
        lines.append(f"{indent}{relation}{item.value_type or 'BY-REFERENCE'}: {concept}= {value}".rstrip(" ="))
    if document.warnings:
        lines.append("")
        lines += [f"warning: {warning}" for warning in document.warnings]
    return "\n".join(lines)
