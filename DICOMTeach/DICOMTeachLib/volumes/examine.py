"""Examine image files as scalar volumes, the way Slicer's DICOMScalarVolumePlugin does, and say more.

Slicer offers every series as one "all files" loadable plus one loadable per
value of each tag that splits it (SeriesInstanceUID, AcquisitionNumber,
ImageOrientationPatient, DiffusionGradientOrientation); it prefers the split
ones only when the whole series has a problem and the parts have none. We do
the same, also set localizers (ImageType LOCALIZER) apart, recognise 4D
acquisitions (repeated positions told apart by a frame attribute or by
InstanceNumber, see time_points.py: one volume sequence, and each time point
as a volume, instead of one distorted stack), read the per-frame
geometry of enhanced multi-frame files, and name every problem we see (every
uneven gap, the files involved) instead of only the first one.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.uid import UID

from ..decoders import can_decode, missing_decoder_packages
from ..fast_header import interned_tag
from ..hierarchy import SeriesIdentity
from ..loadable import Loadable, LoadableKind
from ..pixel_data import PixelDataInfo, pixel_data_info, probe_file
from . import geometry
from .plan import FrameRef, PixelFormat, SequencePlan, VolumePlan
from .time_points import TimeSplit, split_time_points

CONFIDENCE = 0.5
CONFIDENCE_ALTERNATIVE = 0.45
CONFIDENCE_UNLOADABLE = 0.2
#: MultiVolumeImporter's: 1.0 for a series of repeated positions, 0.9 when TemporalPositionIdentifier orders them
SEQUENCE_CONFIDENCE = 1.0
SEQUENCE_CONFIDENCE_BY_TEMPORAL_ID = 0.9

REASON_PREFERRED = ("0.5, as Slicer's scalar volume plugin gives any image series with pixel data: "
                    "plugins that understand the data better (SEG, SR: 0.95) win when they apply")
REASON_ALTERNATIVE = ("0.45: an alternative to the preferred loadable of this series; Slicer caps "
                      "alternatives below 0.5 so that only the preferred one is selected")
REASON_NO_PIXELS = "0.2: no file of this series holds pixel data, there is nothing to load"
REASON_REFUSED = "0.2: the images cannot be stacked into one volume (see the warnings)"

#: SOP classes that have Rows/Columns but are not images for a scalar volume.
EXCLUDED_SOP_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.66.4": "Segmentation",
    "1.2.840.10008.5.1.4.1.1.66.7": "Label Map Segmentation",
    "1.2.840.10008.5.1.4.1.1.77.1.6": "VL Whole Slide Microscopy Image (tiled, not a volume)",
    "1.2.840.10008.5.1.4.1.1.481.2": "RT Dose",
}
EXCLUDED_SOP_PREFIXES = ("1.2.840.10008.5.1.4.1.1.88.", "1.2.840.10008.5.1.4.1.1.11.",
                         "1.2.840.10008.5.1.4.1.1.9.", "1.2.840.10008.5.1.4.1.1.104.")

#: split tags in Slicer's order; the first three are numbered, not shown, in the name (their values are long)
SPLIT_TAGS = ("SeriesInstanceUID", "AcquisitionNumber", "ImageOrientationPatient", "DiffusionGradientOrientation")
ENUMERATED_TAGS = {"SeriesInstanceUID", "ImageOrientationPatient", "DiffusionGradientOrientation"}

MAX_NAMED = 6


def _named(paths: Sequence[str]) -> str:
    """A few file names for a message ("a, b, c and 4 more")."""
    import os

    names = [os.path.basename(p) for p in paths[:MAX_NAMED]]
    more = len(paths) - len(names)
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")


# Values read straight from the raw element bytes: examining 600 slices asks ~20 values of each,
# and pydicom's conversion of each value costs more than the whole header split did. Only
# ASCII-only VRs (and little-endian US) are read this way; everything else goes through pydicom.
_ASCII_VRS = {"AE", "AS", "CS", "DA", "DS", "IS", "TM", "UI", "DT"}
_RAW_KEYWORDS = (
    "SOPClassUID", "SOPInstanceUID", "SeriesInstanceUID", "SeriesNumber", "ImageType", "AcquisitionNumber",
    "ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing", "ImagerPixelSpacing", "RescaleSlope",
    "RescaleIntercept", "SpacingBetweenSlices", "SliceThickness", "NumberOfFrames", "PhotometricInterpretation",
    "TemporalPositionIdentifier", "TriggerTime", "AcquisitionTime", "Rows", "Columns", "BitsAllocated",
    "BitsStored", "PixelRepresentation", "SamplesPerPixel", "PlanarConfiguration", "TransferSyntaxUID",
    "DiffusionGradientOrientation", "PerFrameFunctionalGroupsSequence", "InstanceNumber",
)


def _raw_table() -> dict[str, tuple[Any, str]]:
    from pydicom.datadict import dictionary_VR, tag_for_keyword

    table = {}
    for keyword in _RAW_KEYWORDS:
        tag = tag_for_keyword(keyword)
        table[keyword] = (interned_tag(tag), dictionary_VR(tag))
    return table


_RAW: dict[str, tuple[Any, str]] = _raw_table()
_ELEMENT_DICT = isinstance(getattr(Dataset(), "_dict", None), dict)


def _value(ds: Any, keyword: str) -> Any:
    """A header value: text (multi-values joined by a backslash) or int for US, else pydicom's value."""
    known = _RAW.get(keyword)
    if known is None or not isinstance(ds, Dataset):
        return ds.get(keyword, None)
    tag, vr = known
    # pydicom's own element dict when it has one (read only): get_item's key checks cost as much as the lookup
    item = ds._dict.get(tag) if _ELEMENT_DICT else ds.get_item(tag)
    if item is None:
        return None
    if isinstance(item, RawDataElement):
        raw = item.value
        if isinstance(raw, bytes) and item.is_little_endian and item.VR in (None, vr):
            if vr == "US":
                return int.from_bytes(raw[:2], "little") if len(raw) >= 2 else None
            if vr in _ASCII_VRS:
                return raw.decode("ascii", "replace").strip(" \x00")
        return ds.get(keyword, None)
    return item.value


def _has(ds: Any, keyword: str) -> bool:
    """``keyword in ds``, without pydicom's keyword-to-tag lookup for the tags of _RAW."""
    known = _RAW.get(keyword)
    if known is None or not isinstance(ds, Dataset):
        return keyword in ds
    return ds.get_item(known[0], keep_deferred=True) is not None


def _text(ds: Any, keyword: str) -> str:
    value = _value(ds, keyword)
    if value is None:
        return ""
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        return "\\".join(str(v) for v in value)
    return str(value).strip()


def _floats(value: Any, count: int) -> tuple[float, ...] | None:
    if isinstance(value, str):
        value = value.split("\\") if value else None
    try:
        numbers = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        return None
    return numbers if len(numbers) == count and all(map(math.isfinite, numbers)) else None


def _number(value: Any, default: float) -> float:
    if isinstance(value, str) and "\\" in value:
        value = value.split("\\")[0]
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if math.isfinite(number) else default


def is_image(ds: Any) -> bool:
    """Has the attributes of an image and is not a SEG, SR, presentation state, waveform or document."""
    sop_class = _text(ds, "SOPClassUID")
    if sop_class in EXCLUDED_SOP_CLASSES or sop_class.startswith(EXCLUDED_SOP_PREFIXES):
        return False
    return _has(ds, "Rows") and _has(ds, "Columns")


def series_name(ds: Any) -> str:
    """Slicer's default node name: "<SeriesNumber>: <SeriesDescription>"."""
    description = _text(ds, "SeriesDescription") or "Unnamed Series"
    number = _text(ds, "SeriesNumber")
    return f"{number}: {description}" if number else description


# --- frames of a file --------------------------------------------------------------------------


def _item(sequence_owner: Any, keyword: str) -> Any:
    sequence = sequence_owner.get(keyword) if sequence_owner is not None else None
    return sequence[0] if sequence else None


def _functional(shared: Any, per_frame: Any, keyword: str) -> Any:
    """A functional group macro item: per-frame first, then shared."""
    return _item(per_frame, keyword) or _item(shared, keyword)


def frames_of(path: str, ds: Any) -> tuple[list[FrameRef], list[str]]:
    """The 2D frames one file contributes, and warnings about their geometry."""
    warnings: list[str] = []
    rows, columns = int(_number(_value(ds, "Rows"), 0)), int(_number(_value(ds, "Columns"), 0))
    count = int(_number(_value(ds, "NumberOfFrames"), 1) or 1)
    uid = _text(ds, "SOPInstanceUID")
    per_frame = ds.get("PerFrameFunctionalGroupsSequence") if _has(ds, "PerFrameFunctionalGroupsSequence") else None
    if per_frame is not None:
        shared = _item(ds, "SharedFunctionalGroupsSequence")
        frames = []
        for index in range(count):
            item = per_frame[index] if index < len(per_frame) else None
            position = _functional(shared, item, "PlanePositionSequence")
            orientation = _functional(shared, item, "PlaneOrientationSequence")
            measures = _functional(shared, item, "PixelMeasuresSequence")
            transform = _functional(shared, item, "PixelValueTransformationSequence")
            content = _item(item, "FrameContentSequence")
            temporal = ""
            if content is not None and "TemporalPositionIndex" in content:
                temporal = str(content.TemporalPositionIndex)
            frames.append(FrameRef(
                path=path, frame=index,
                position=_floats(position.get("ImagePositionPatient"), 3) if position is not None else None,
                orientation=_floats(orientation.get("ImageOrientationPatient"), 6) if orientation is not None else None,
                pixel_spacing=_floats(measures.get("PixelSpacing"), 2) if measures is not None else None,
                rows=rows, columns=columns,
                slope=_number(transform.get("RescaleSlope"), 1.0) if transform is not None else 1.0,
                intercept=_number(transform.get("RescaleIntercept"), 0.0) if transform is not None else 0.0,
                sop_instance_uid=uid, temporal=temporal,
            ))
        return frames, warnings

    position = _floats(_value(ds, "ImagePositionPatient"), 3)
    orientation = _floats(_value(ds, "ImageOrientationPatient"), 6)
    spacing = _floats(_value(ds, "PixelSpacing"), 2) or _floats(_value(ds, "ImagerPixelSpacing"), 2)
    slope = _number(_value(ds, "RescaleSlope"), 1.0)
    intercept = _number(_value(ds, "RescaleIntercept"), 0.0)
    if count == 1:
        return [FrameRef(path, 0, position, orientation, spacing, rows, columns, slope, intercept, uid)], warnings
    # A multi-frame file without per-frame geometry: frames follow each other along the normal.
    step = _number(_value(ds, "SpacingBetweenSlices"), 0.0) or _number(_value(ds, "SliceThickness"), 0.0)
    frames = []
    for index in range(count):
        frame_position = None
        if position is not None and orientation is not None and step:
            frame_position = tuple(np.asarray(position) + index * step * geometry.slice_normal(orientation))
        frames.append(FrameRef(path, index, frame_position, orientation, spacing, rows, columns, slope, intercept, uid))
    warnings.append(f"{_named([path])} has {count} frames but no per-frame geometry"
                    + (f": frames placed {step:g} mm apart along the normal (SpacingBetweenSlices/SliceThickness)"
                       if frame_position is not None else ": frames are stacked in file order"))
    return frames, warnings


# --- checks of one stack -----------------------------------------------------------------------


def _describe_frame(frame: FrameRef, multiframe: bool) -> str:
    import os

    return f"frame {frame.frame + 1}" if multiframe else f"file {os.path.basename(frame.path)}"


def _check_stack(frames: list[FrameRef]) -> tuple[list[FrameRef], list[str], list[str], str, geometry.SpacingReport | None]:
    """Sort a stack and check it: (sorted frames, warnings, notes, refuse reason, spacing report)."""
    warnings: list[str] = []
    refuse = ""
    multiframe = len({f.path for f in frames}) == 1 and len(frames) > 1
    unit = "frames" if multiframe else "files"

    sizes = Counter((f.rows, f.columns) for f in frames)
    if len(sizes) > 1:
        usual = sizes.most_common(1)[0][0]
        odd = [f.path for f in frames if (f.rows, f.columns) != usual]
        detail = ", ".join(f"{c}x{r} ({n} {unit})" for (r, c), n in sizes.most_common())
        warnings.append(f"image sizes differ (columns x rows: {detail}); differing: {_named(odd)}")
        refuse = f"the images have different sizes ({detail}): they cannot form one volume; differing: {_named(odd)}"

    spacings = Counter(f.pixel_spacing for f in frames if f.pixel_spacing is not None)
    if len(spacings) > 1:
        usual = spacings.most_common(1)[0][0]
        odd = [_describe_frame(f, multiframe) for f in frames if f.pixel_spacing not in (usual, None)]
        warnings.append(f"pixel spacing differs between {unit} ({', '.join(str(list(s)) for s in spacings)}); "
                        f"differing: {_named(odd)}")

    missing = [f for f in frames if f.position is None or f.orientation is None]
    if missing:
        warnings.append(f"image geometry (ImagePositionPatient/ImageOrientationPatient) is missing in "
                        f"{len(missing)} of {len(frames)} {unit} ({_named([_describe_frame(f, multiframe) for f in missing])}): "
                        "slices are kept in file order and the geometry may be wrong")
        if not any(f.pixel_spacing for f in frames):
            warnings.append("pixel spacing is missing: 1 mm assumed")
        return frames, warnings, [], refuse, None

    orientation = frames[0].orientation
    problem = geometry.orientation_problem(orientation)
    if problem:
        warnings.append(f"ImageOrientationPatient is not usable as it is: {problem}")
    differing = [frames[i] for i in geometry.differing_orientations([f.orientation for f in frames], orientation)]
    if differing:
        warnings.append(f"image orientation differs between {unit} "
                        f"({_named([_describe_frame(f, multiframe) for f in differing])} differ from the first)")

    order, distances = geometry.sort_along_normal([f.position for f in frames], orientation)
    frames = [frames[i] for i in order]
    report = geometry.analyse_spacing(distances)
    if report.duplicates:
        pairs = [f"{_describe_frame(frames[a], multiframe)} = {_describe_frame(frames[b], multiframe)}"
                 for a, b in report.duplicates]
        warnings.append(f"{len(report.duplicates)} slice position(s) occur more than once ({_named(pairs)})")
        refuse = refuse or ("slices share positions: stacking them would make a distorted volume; "
                            f"duplicates: {_named(pairs)}")
    if report.uneven:
        gaps = [f"{gap:.4g} mm after {_describe_frame(frames[i], multiframe)}" for i, gap in report.uneven]
        listed = "; ".join(gaps[:20]) + (f"; and {len(gaps) - 20} more" if len(gaps) > 20 else "")
        warnings.append(f"slices are not equally spaced: the usual gap is {report.usual_gap:.4g} mm, "
                        f"{len(report.uneven)} gap(s) differ: {listed}")
    if report.missing_slices:
        warnings.append(f"about {report.missing_slices} slice(s) appear to be missing (gaps that are whole "
                        "multiples of the usual spacing)")
    angle = geometry.shear_angle([f.position for f in frames], orientation)
    if angle > 0.01 and len(frames) > 1:
        warnings.append(f"the stack is sheared: slices move {angle:.2f} degrees off the slice normal "
                        "(gantry tilt?); the volume keeps each slice at its position, so its axes are not orthogonal")
    return frames, warnings, [], refuse, report


# --- 4D ------------------------------------------------------------------------------------------


def _frame_values(headers: Mapping[str, Any]):
    """The value reader time_points.split_time_points asks: a frame's own attribute, per file or per frame."""

    def value_of(frame: FrameRef, keyword: str) -> str:
        if keyword == "TemporalPositionIndex":
            return frame.temporal
        ds = headers[frame.path]
        if _has(ds, "PerFrameFunctionalGroupsSequence"):
            return ""  # a file-level value does not tell the frames of one multi-frame file apart
        return _text(ds, keyword)

    return value_of


# --- the examiner --------------------------------------------------------------------------------


def _voxel_type(pixel_format: PixelFormat, frames: list[FrameRef]) -> tuple[str, list[str]]:
    """The voxel type after rescale, as ITK/GDCM (Slicer's reader) would pick it, and notes."""
    notes = []
    if pixel_format.photometric.startswith("PALETTE"):
        return ("uint16" if pixel_format.palette_bits > 8 else "uint8"), notes
    if pixel_format.samples_per_pixel > 1:
        return "uint8" if pixel_format.bits_allocated <= 8 else "uint16", notes
    rescales = {(f.slope, f.intercept) for f in frames}
    signed = pixel_format.pixel_representation == 1
    native = f"{'int' if signed else 'uint'}{8 if pixel_format.bits_allocated <= 8 else 16 if pixel_format.bits_allocated <= 16 else 32}"
    if len(rescales) > 1:
        notes.append(f"rescale slope/intercept differ between slices ({len(rescales)} pairs): voxels are floating point")
        return "float64", notes
    ((slope, intercept),) = rescales
    if slope == 1.0 and intercept == 0.0:
        return native, notes
    if slope != int(slope) or intercept != int(intercept):
        return "float64", notes
    bits = pixel_format.bits_stored or pixel_format.bits_allocated
    low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2 ** bits - 1)
    low, high = sorted((low * slope + intercept, high * slope + intercept))
    for name in (("uint8", "uint16", "uint32") if low >= 0 else ("int8", "int16", "int32")):
        info = np.iinfo(name)
        if info.min <= low and high <= info.max:
            return name, notes
    return "float64", notes


def _window_presets(ds: Any) -> list[tuple[float, float]]:
    """WindowCenter/WindowWidth pairs (header or the frame VOI LUT of a multi-frame file)."""
    source = ds
    if "WindowCenter" not in ds:
        shared = _item(ds, "SharedFunctionalGroupsSequence")
        per_frame = ds.get("PerFrameFunctionalGroupsSequence")
        source = _functional(shared, per_frame[0] if per_frame else None, "FrameVOILUTSequence")
        if source is None:
            return []
    centers, widths = source.get("WindowCenter"), source.get("WindowWidth")
    if centers is None or widths is None:
        return []
    centers = list(centers) if type(centers).__name__ == "MultiValue" else [centers]
    widths = list(widths) if type(widths).__name__ == "MultiValue" else [widths]
    presets = []
    for center, width in zip(centers, widths, strict=False):
        center, width = _number(center, np.nan), _number(width, np.nan)
        if np.isfinite(center) and np.isfinite(width) and width > 0:
            presets.append((center, width))
    return presets


def _palette_bits(ds: Any) -> int:
    """Bits per entry of the red palette LUT (its descriptor's third value), 0 without a palette."""
    descriptor = ds.get("RedPaletteColorLookupTableDescriptor")
    try:
        return int(descriptor[2])
    except (TypeError, IndexError, ValueError):
        return 0


def _decoder_problem(transfer_syntax: str) -> str:
    """Why pixel data in this transfer syntax cannot be decoded here ("" when it can)."""
    if can_decode(transfer_syntax):
        return ""
    name = UID(transfer_syntax).name
    packages = missing_decoder_packages([transfer_syntax])
    if not packages:
        return f"pydicom has no decoder for {name}"
    return f"no decoder for {name} is installed (pip install {' '.join(packages)})"


def _cut_pixel_files(frames: list[FrameRef], headers: Mapping[str, Any]) -> list[str]:
    """The files among ``frames`` whose pixel data their end cuts (as their header reading found)."""
    cut = []
    for path in dict.fromkeys(frame.path for frame in frames):
        info = pixel_data_info(headers[path])
        if info is not None and info.truncated:
            cut.append(path)
    return cut


def _build_loadable(name: str, frames: list[FrameRef], headers: Mapping[str, Any], *, preferred: bool,
                    extra_warnings: Sequence[str] = (), extra_notes: Sequence[str] = ()) -> Loadable:
    cut = _cut_pixel_files(frames, headers)
    if cut and len(cut) < len({frame.path for frame in frames}):
        # one damaged slice must not cost the series: leave it out, name it, and let the stack check see the gap
        frames = [frame for frame in frames if frame.path not in cut]
        extra_warnings = [*extra_warnings, f"{len(cut)} file(s) end inside their pixel data and are left out, "
                          f"leaving a gap in the volume: {'; '.join(cut[:MAX_NAMED])}"]
    sorted_frames, warnings, notes, refuse, report = _check_stack(frames)
    files = list(dict.fromkeys(f.path for f in sorted_frames))
    first = headers[files[0]]
    identity = SeriesIdentity.from_dataset(first, [_text(headers[p], "SOPInstanceUID") for p in files])
    warnings = list(extra_warnings) + warnings
    notes = list(extra_notes) + notes

    info: dict[str, PixelDataInfo] = {}
    syntaxes: dict[str, str] = {}
    no_pixels, truncated = [], []
    for path in files:
        ds = headers[path]
        found = pixel_data_info(ds)
        if found is None:
            try:
                found = probe_file(path)
            except Exception:  # noqa: BLE001 - an unreadable file is reported below
                found = PixelDataInfo(False)
        info[path] = found
        meta = getattr(ds, "file_meta", None)
        syntaxes[path] = _text(meta, "TransferSyntaxUID") if meta is not None else ""
        if not found.present:
            no_pixels.append(path)
        elif found.truncated:
            truncated.append(path)
    if no_pixels:
        warnings.append(f"{len(no_pixels)} file(s) hold no pixel data: {_named(no_pixels)}")
    if truncated:
        details = [f"{_named([p])} ({info[p].file_size - info[p].offset} of {info[p].length} bytes)" for p in truncated]
        warnings.append(f"{len(truncated)} file(s) end inside their pixel data (truncated): {'; '.join(details[:MAX_NAMED])}")
        refuse = refuse or f"truncated pixel data in {_named(truncated)}"
    for syntax in sorted(set(syntaxes.values())):
        problem = _decoder_problem(syntax) if syntax else ""
        if problem:
            affected = [p for p, s in syntaxes.items() if s == syntax]
            warnings.append(f"{problem}: cannot read {_named(affected)}")
            refuse = refuse or problem

    pixel_format = PixelFormat(
        bits_allocated=int(_number(_value(first, "BitsAllocated"), 16)),
        bits_stored=int(_number(_value(first, "BitsStored"), _number(_value(first, "BitsAllocated"), 16))),
        pixel_representation=int(_number(_value(first, "PixelRepresentation"), 0)),
        samples_per_pixel=int(_number(_value(first, "SamplesPerPixel"), 1)),
        photometric=_text(first, "PhotometricInterpretation") or "MONOCHROME2",
        planar_configuration=int(_number(_value(first, "PlanarConfiguration"), 0)),
        palette_bits=_palette_bits(first),
    )
    layouts = {(int(_number(_value(headers[p], "BitsAllocated"), 16)), int(_number(_value(headers[p], "SamplesPerPixel"), 1)),
                _text(headers[p], "PhotometricInterpretation")) for p in files}
    if len(layouts) > 1:
        warnings.append(f"pixel layouts differ between files (bits allocated, samples, photometric: {sorted(layouts)})")
        refuse = refuse or "the files store their pixels differently"
    if pixel_format.photometric == "MONOCHROME1":
        notes.append("MONOCHROME1: low values are bright; the voxels are inverted to MONOCHROME2 "
                     "(maximum + minimum of the stored range - value), as Slicer's reader (GDCM) does")
    elif pixel_format.photometric.startswith("PALETTE"):
        notes.append("PALETTE COLOR: the stored indices are mapped through the palette to RGB")
    elif pixel_format.samples_per_pixel == 3:
        notes.append(f"colour data ({pixel_format.photometric}): loaded as an RGB vector volume")
    voxel_type, type_notes = _voxel_type(pixel_format, sorted_frames)
    notes += type_notes

    # Geometry of the stack, as vtkITK's archetype reader computes it.
    spacing2 = next((f.pixel_spacing for f in sorted_frames if f.pixel_spacing), None) or (1.0, 1.0)
    orientation = sorted_frames[0].orientation or (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
    origin = sorted_frames[0].position or (0.0, 0.0, 0.0)
    if report is not None and len(sorted_frames) > 1:
        vector = np.asarray(sorted_frames[-1].position) - np.asarray(sorted_frames[0].position)
        slice_spacing = float(np.linalg.norm(vector)) / (len(sorted_frames) - 1)
    else:
        vector = None
        # One slice, or no geometry: GDCM (Slicer's reader) takes SpacingBetweenSlices, else 1 mm.
        slice_spacing = _number(_value(first, "SpacingBetweenSlices"), 0.0) or 1.0
    if not slice_spacing:
        vector, slice_spacing = None, 1.0
    matrix = geometry.ijk_to_ras(origin, orientation, spacing2, vector, slice_spacing)
    spacing = (float(spacing2[1]), float(spacing2[0]), float(slice_spacing))

    middle = headers[files[len(files) // 2]]
    plan = VolumePlan(frames=sorted_frames, ijk_to_ras=matrix, spacing=spacing, pixel_format=pixel_format,
                      voxel_type=voxel_type, identity=identity, transfer_syntaxes=syntaxes, pixel_data=info,
                      window_presets=_window_presets(middle), refuse=refuse,
                      instance_numbers=[_text(headers[p], "InstanceNumber") or "?" for p in files],
                      sop_class_uid=_text(middle, "SOPClassUID"))
    if len(no_pixels) == len(files):
        confidence, reason = CONFIDENCE_UNLOADABLE, REASON_NO_PIXELS
        plan.refuse = "no file holds pixel data"
    elif refuse:
        confidence, reason = CONFIDENCE_UNLOADABLE, REASON_REFUSED
    elif preferred:
        confidence, reason = CONFIDENCE, REASON_PREFERRED
    else:
        confidence, reason = CONFIDENCE_ALTERNATIVE, REASON_ALTERNATIVE
    return Loadable(kind=LoadableKind.SCALAR_VOLUME, name=name, files=plan.files, confidence=confidence,
                    confidence_reason=reason, series_instance_uid=identity.series_instance_uid,
                    warnings=warnings, notes=notes, selected=preferred and not refuse, plan=plan)


def _with_time_points(name: str, frames: list[FrameRef], headers: Mapping[str, Any], preferred: bool,
                      extra_warnings: Sequence[str] = ()) -> list[Loadable]:
    """One loadable; or, when the positions repeat as time points, a volume sequence and each time point."""
    split = split_time_points(frames, _frame_values(headers))
    if not split.time_points:
        warnings = [*extra_warnings, split.problem] if split.problem else extra_warnings
        return [_build_loadable(name, frames, headers, preferred=preferred, extra_warnings=warnings)]
    slices = len(split.time_points[0].frames)
    note = (f"4D acquisition: {len(split.time_points)} time points of {slices} slices, ordered by "
            f"{split.index_name}; loaded as a volume sequence (stacking them would make one distorted volume)")
    points = [_build_loadable(f"{name} - time point {index + 1} ({point.label})", point.frames, headers,
                              preferred=False, extra_warnings=extra_warnings, extra_notes=[note])
              for index, point in enumerate(split.time_points)]
    return [_sequence_loadable(name, split, points, preferred, note), *points]


def _sequence_loadable(name: str, split: TimeSplit, points: list[Loadable], preferred: bool, note: str) -> Loadable:
    plan = SequencePlan(time_points=[point.plan for point in points], index_name=split.index_name,
                        index_unit=split.unit, index_values=[point.index_value for point in split.time_points])
    refused = [(index, point.plan.refuse) for index, point in enumerate(points) if point.plan.refuse]
    if refused:
        plan.refuse = f"time point {refused[0][0] + 1} cannot be loaded: {refused[0][1]}"
    shapes = {point.plan.dimensions for point in points}
    if len(shapes) > 1:
        plan.refuse = plan.refuse or f"time points differ in size ({sorted(shapes)})"
    warnings = list(dict.fromkeys(w for point in points for w in point.warnings))
    if plan.refuse:
        confidence, reason = CONFIDENCE_UNLOADABLE, f"0.2: {plan.refuse}"
    elif preferred:
        # MultiVolumeImporter offers one loadable per attribute that orders the time points: 0.9 only when
        # TemporalPositionIdentifier is the sole one
        only_temporal_id = split.ordering_tags == ["TemporalPositionIdentifier"]
        confidence = SEQUENCE_CONFIDENCE_BY_TEMPORAL_ID if only_temporal_id else SEQUENCE_CONFIDENCE
        reason = (f"{confidence:g}, as Slicer's MultiVolumeImporter gives a series whose repeated positions "
                  f"{split.index_name} tells apart (loaded as a volume sequence)")
    else:
        confidence, reason = CONFIDENCE_ALTERNATIVE, REASON_ALTERNATIVE
    return Loadable(kind=LoadableKind.VOLUME_SEQUENCE, name=name, files=plan.files, confidence=confidence,
                    confidence_reason=reason, series_instance_uid=points[0].series_instance_uid,
                    warnings=warnings, notes=[note], selected=preferred and not plan.refuse, plan=plan)


def _split_values(paths: Sequence[str], headers: Mapping[str, Any], keyword: str) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for path in paths:
        groups[_text(headers[path], keyword)].append(path)
    return dict(groups)


def _examine_series(paths: list[str], headers: Mapping[str, Any]) -> list[Loadable]:
    first = headers[paths[0]]
    name = series_name(first)
    loadables: list[Loadable] = []

    # Each multi-frame file is a volume of its own.
    multiframe = [p for p in paths if int(_number(_value(headers[p], "NumberOfFrames"), 1) or 1) > 1]
    for index, path in enumerate(multiframe):
        frames, warnings = frames_of(path, headers[path])
        label = name if len(multiframe) == 1 and len(multiframe) == len(paths) else f"{name} - multi-frame {index + 1}"
        loadables += _with_time_points(label, frames, headers, preferred=True, extra_warnings=warnings)
    single = [p for p in paths if p not in set(multiframe)]
    if not single:
        return loadables

    localizers = [p for p in single if "LOCALIZER" in _text(headers[p], "ImageType").upper()]
    images = [p for p in single if p not in set(localizers)] or localizers
    if localizers and images is not localizers:
        loadables += _with_time_points(f"{name} - localizer", _frames(localizers, headers), headers, preferred=False)

    whole = _with_time_points(name, _frames(images, headers), headers, preferred=True)
    alternatives: list[tuple[str, list[Loadable]]] = []
    for keyword in SPLIT_TAGS:
        groups = _split_values(images, headers, keyword)
        if len(groups) < 2:
            continue
        parts: list[Loadable] = []
        for number, (value, group) in enumerate(groups.items(), start=1):
            label = f"{name} - {keyword} {number if keyword in ENUMERATED_TAGS else value}"
            parts += _with_time_points(label, _frames(group, headers), headers, preferred=False)
        alternatives.append((keyword, parts))

    # Slicer's preference: the whole series, unless it has warnings and the single way of
    # splitting it gives parts without any.
    better: list[Loadable] = []
    if any(loadable.warnings for loadable in whole) and len(alternatives) == 1:
        parts = alternatives[0][1]
        if all(not part.warnings for part in parts):
            better = parts
    if better:
        for loadable in whole:
            _demote(loadable)
        for part in better:
            _promote(part)
    loadables += whole
    for _, parts in alternatives:
        loadables += parts
    return loadables


def _demote(loadable: Loadable) -> None:
    loadable.selected = False
    if loadable.confidence > CONFIDENCE_ALTERNATIVE:
        loadable.confidence, loadable.confidence_reason = CONFIDENCE_ALTERNATIVE, REASON_ALTERNATIVE


def _promote(loadable: Loadable) -> None:
    if loadable.confidence == CONFIDENCE_ALTERNATIVE:
        loadable.selected = True
        loadable.confidence = CONFIDENCE
        loadable.confidence_reason = (REASON_PREFERRED + "; preferred over the whole series because the whole "
                                      "series has warnings and this split has none")


def _frames(paths: Sequence[str], headers: Mapping[str, Any]) -> list[FrameRef]:
    frames: list[FrameRef] = []
    for path in paths:
        frames += frames_of(path, headers[path])[0]
    return frames


def examine_scalar_volumes(headers: Mapping[str, Any], context: object = None) -> list[Loadable]:
    """The scalar volume loadables of the image files among ``headers`` ({path: header dataset}).

    ``context`` (an examine.ExamineContext) is not needed: a volume is made of its own files only.
    """
    series: dict[str, list[str]] = defaultdict(list)
    for path, ds in headers.items():
        if is_image(ds):
            series[_text(ds, "SeriesInstanceUID")].append(path)
    loadables: list[Loadable] = []
    for paths in series.values():
        loadables += _examine_series(sorted(paths), headers)
    return loadables
