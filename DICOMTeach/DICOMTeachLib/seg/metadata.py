"""What a SEG says about each segment: label, codes, colour, algorithm.

Read from the Segment Sequence of the header only. The terminology is also
given in the string form Slicer's Segmentations module reads from a segment's
"TerminologyEntry" tag (vtkSlicerTerminologiesModuleLogic::SerializeTerminologyEntry):
``context~SCHEME^value^meaning~type~modifier~anatomicContext~region~regionModifier``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: The terminology contexts Slicer's DICOM SEG plugin falls back to.
CATEGORY_CONTEXT = "Segmentation category and type - DICOM master list"
ANATOMIC_CONTEXT = "Anatomic codes - DICOM master list"

#: Colour of a segment without RecommendedDisplayCIELabValue: dcmqi's default, so what Slicer shows.
DEFAULT_RGB = (128 / 255, 174 / 255, 128 / 255)


@dataclass(frozen=True)
class Code:
    """A coded concept (Code Sequence Macro): value, scheme designator, meaning."""

    value: str
    scheme: str
    meaning: str

    @classmethod
    def from_item(cls, item: Any) -> Code:
        value = item.get("CodeValue") or item.get("LongCodeValue") or item.get("URNCodeValue") or ""
        return cls(str(value), str(item.get("CodingSchemeDesignator", "") or ""),
                   str(item.get("CodeMeaning", "") or ""))

    @classmethod
    def first_in(cls, dataset: Any, keyword: str) -> Code | None:
        """The first item of a code sequence, or None when absent or empty."""
        sequence = dataset.get(keyword)
        return cls.from_item(sequence[0]) if sequence else None

    def serialized(self) -> str:
        """Slicer's ``scheme^value^meaning`` triple."""
        return f"{self.scheme}^{self.value}^{self.meaning}"

    def __str__(self) -> str:
        return f"({self.value}, {self.scheme}, \"{self.meaning}\")"


def dicom_lab_to_rgb(dicom_lab: tuple[int, int, int] | list[int]) -> tuple[float, float, float]:
    """DICOM CIELab (three 0..65535 values, D65 white) to sRGB in 0..1.

    PS3.3 C.10.7.1.1 scales L* 0..100 and a*, b* -128..127 onto 0..65535.
    The conversion goes Lab -> XYZ (D65) -> linear sRGB -> gamma-encoded sRGB,
    the same chain DCMTK's (and so dcmqi's) CIELab helper uses.
    """
    lightness = dicom_lab[0] * 100.0 / 65535.0
    a_star = dicom_lab[1] * 255.0 / 65535.0 - 128.0
    b_star = dicom_lab[2] * 255.0 / 65535.0 - 128.0

    fy = (lightness + 16.0) / 116.0
    fx = fy + a_star / 500.0
    fz = fy - b_star / 200.0

    def finv(t: float) -> float:
        return t ** 3 if t > 6.0 / 29.0 else 3 * (6.0 / 29.0) ** 2 * (t - 4.0 / 29.0)

    white = (0.950456, 1.0, 1.088754)
    x, y, z = white[0] * finv(fx), white[1] * finv(fy), white[2] * finv(fz)
    linear = (
        3.2404542 * x - 1.5371385 * y - 0.4985314 * z,
        -0.9692660 * x + 1.8760108 * y + 0.0415560 * z,
        0.0556434 * x - 0.2040259 * y + 1.0572252 * z,
    )

    def gamma(c: float) -> float:
        c = min(max(c, 0.0), 1.0)
        return 12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055

    return (gamma(linear[0]), gamma(linear[1]), gamma(linear[2]))


@dataclass(frozen=True)
class SegmentDescription:
    """One item of the Segment Sequence."""

    number: int
    label: str
    description: str = ""
    algorithm_type: str = ""
    algorithm_name: str = ""
    category: Code | None = None
    type: Code | None = None
    type_modifier: Code | None = None
    anatomic_region: Code | None = None
    anatomic_region_modifier: Code | None = None
    dicom_lab: tuple[int, int, int] | None = None
    tracking_id: str = ""
    tracking_uid: str = ""

    @property
    def name(self) -> str:
        """Slicer's choice: label, else description, else the type's meaning."""
        return self.label or self.description or (self.type.meaning if self.type else f"Segment {self.number}")

    @property
    def rgb(self) -> tuple[float, float, float]:
        return dicom_lab_to_rgb(self.dicom_lab) if self.dicom_lab else DEFAULT_RGB

    def terminology_entry(self, category_context: str = CATEGORY_CONTEXT,
                          anatomic_context: str = ANATOMIC_CONTEXT) -> str:
        """The segment's "TerminologyEntry" tag value, as Slicer's DICOM SEG plugin writes it."""

        def part(code: Code | None) -> str:
            return code.serialized() if code else "^^"

        return "~".join([
            category_context, part(self.category), part(self.type), part(self.type_modifier),
            anatomic_context, part(self.anatomic_region), part(self.anatomic_region_modifier),
        ])


def read_segment_descriptions(dataset: Any) -> list[SegmentDescription]:
    """The Segment Sequence of a SEG header as descriptions, in file order."""
    segments = []
    for item in dataset.get("SegmentSequence", []):
        lab = item.get("RecommendedDisplayCIELabValue")
        anatomic = item.get("AnatomicRegionSequence")
        region = Code.from_item(anatomic[0]) if anatomic else None
        region_modifier = Code.first_in(anatomic[0], "AnatomicRegionModifierSequence") if anatomic else None
        type_item = item.get("SegmentedPropertyTypeCodeSequence")
        modifier = Code.first_in(type_item[0], "SegmentedPropertyTypeModifierCodeSequence") if type_item else None
        segments.append(SegmentDescription(
            number=int(item.get("SegmentNumber", len(segments) + 1)),
            label=str(item.get("SegmentLabel", "") or ""),
            description=str(item.get("SegmentDescription", "") or ""),
            algorithm_type=str(item.get("SegmentAlgorithmType", "") or ""),
            algorithm_name=str(item.get("SegmentAlgorithmName", "") or ""),
            category=Code.first_in(item, "SegmentedPropertyCategoryCodeSequence"),
            type=Code.first_in(item, "SegmentedPropertyTypeCodeSequence"),
            type_modifier=modifier,
            anatomic_region=region,
            anatomic_region_modifier=region_modifier,
            dicom_lab=tuple(int(v) for v in lab) if lab is not None and len(lab) == 3 else None,
            tracking_id=str(item.get("TrackingID", "") or ""),
            tracking_uid=str(item.get("TrackingUID", "") or ""),
        ))
    return segments
