"""The conditions the data itself can decide: a small hand-made table of facts.

Most of the standard's conditions talk about the real world ("Required if
contrast media was used"), so a program cannot check them from the bytes; the
few listed here can be decided from the data set alone. Each function returns
True (required), False (not required) or None (the data cannot tell).
Anything not listed is "not machine-checkable": the breakdown shows the
condition text and leaves the result open.
"""

from __future__ import annotations

from collections.abc import Callable

from pydicom import Dataset

Condition = Callable[[Dataset], "bool | None"]


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


def _palette_color(ds: Dataset) -> bool:
    return str(ds.get("PhotometricInterpretation", "")).strip() == "PALETTE COLOR"


def _multi_energy(ds: Dataset) -> bool:
    return str(ds.get("MultiEnergyCTAcquisition", "")).strip().upper() == "YES"


def _original_or_mixed(ds: Dataset) -> bool | None:
    image_type = ds.get("ImageType")
    if not image_type:
        return None
    first = str(image_type[0] if not isinstance(image_type, str) else image_type.split("\\")[0]).upper()
    return first in ("ORIGINAL", "MIXED")


#: module id -> condition decided from the data (ids as the standard tables name them).
MODULE_CONDITIONS: dict[str, Condition] = {
    "contrast-bolus": _contrast,
    "enhanced-contrast-bolus": _contrast,
    "multi-frame": _multi_frame,
    "overlay-plane": _overlay,
    "multi-frame-overlay": _overlay,
    "palette-color-lookup-table": _palette_color,
    "multi-energy-ct-image": _multi_energy,
    "mr-pulse-sequence": _original_or_mixed,
}


def module_condition(module_id: str, ds: Dataset) -> bool | None:
    """Whether a conditional module is required for this data set; None when not machine-checkable."""
    condition = MODULE_CONDITIONS.get(module_id)
    return condition(ds) if condition else None


def _planar_configuration(ds: Dataset) -> bool | None:
    try:
        return int(ds.get("SamplesPerPixel", 1) or 1) > 1
    except (TypeError, ValueError):
        return None


def _pixel_data(ds: Dataset) -> bool:
    return "FloatPixelData" not in ds and "DoubleFloatPixelData" not in ds


def _patient_orientation(ds: Dataset) -> bool | None:
    # Required when the image does not carry Image Orientation/Position (Patient); multi-frame images
    # with functional groups keep their geometry there, which this table does not follow.
    if "SharedFunctionalGroupsSequence" in ds or "PerFrameFunctionalGroupsSequence" in ds:
        return None
    return "ImageOrientationPatient" not in ds or "ImagePositionPatient" not in ds


_CT_MR = {
    "1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.2.1", "1.2.840.10008.5.1.4.1.1.4",
    "1.2.840.10008.5.1.4.1.1.4.1", "1.2.840.10008.5.1.4.1.1.4.4",
}


def _patient_position(ds: Dataset) -> bool:
    # Required for CT and MR (and their enhanced forms) without a Patient Orientation Code Sequence.
    return str(ds.get("SOPClassUID", "")) in _CT_MR and "PatientOrientationCodeSequence" not in ds


def _per_frame_groups(ds: Dataset) -> bool:
    # Type 1C since 2025: not needed when the frames are a full tiling (TILED_FULL).
    return str(ds.get("DimensionOrganizationType", "")).strip().upper() != "TILED_FULL"


#: attribute tag -> condition of its type 1C/2C rule, decided from the data set that holds it.
ATTRIBUTE_CONDITIONS: dict[int, Condition] = {
    0x00280006: _planar_configuration,  # Planar Configuration: Samples per Pixel > 1
    0x7FE00010: _pixel_data,  # Pixel Data: unless float pixel data is there
    0x00281101: _palette_color,  # palette colour LUT descriptors
    0x00281102: _palette_color,
    0x00281103: _palette_color,
    0x00281201: _palette_color,  # palette colour LUT data
    0x00281202: _palette_color,
    0x00281203: _palette_color,
    0x00200020: _patient_orientation,
    0x00185100: _patient_position,
    0x00280008: _multi_frame,  # Number of Frames where a module makes it conditional
    0x52009230: _per_frame_groups,  # Per-Frame Functional Groups Sequence
}

#: module id -> tags whose type that module's definition imposes on the whole IOD ("shall override the
#: definition in ..."): e.g. SC Equipment makes Modality type 3 instead of General Series' type 1.
TYPE_OVERRIDES: dict[str, frozenset[int]] = {
    "sc-equipment": frozenset({0x00080060}),  # PS3.3 C.8.6.1
}


def attribute_condition(tag: int, ds: Dataset) -> bool | None:
    """Whether a type 1C/2C attribute is required here; None when not machine-checkable."""
    condition = ATTRIBUTE_CONDITIONS.get(tag)
    if condition is None:
        return None
    try:
        return condition(ds)
    except (TypeError, ValueError, AttributeError):
        return None


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
