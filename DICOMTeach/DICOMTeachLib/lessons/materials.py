"""Real files for the lessons, without a download: pydicom's test files, and a SEG and an SR made here.

The CT+SEG+SR lesson needs a CT with a segmentation and a measurement report
on it. pydicom ships the CT (CT_small.dcm); highdicom (bundled with Slicer
5.12, in the ``headless`` extra) writes a DICOM SEG of its brightest region and
a TID 1500 measurement report of that region's mean and area, as a viewer or an
AI tool would. Written once into a cache folder, never next to the source file.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import DICOMTeachError
from ..testdata import pydicom_test_file

#: Bumped whenever the made SEG or SR changes (they are cached between runs).
MATERIALS_VERSION = 1

#: Where made files go when the user's cache folder cannot be written (one folder per process).
_MADE: dict[str, Path] = {}


@dataclass(frozen=True)
class CTWithSegAndSR:
    ct: Path
    seg: Path
    sr: Path
    mean_hu: float  # what the SR reports (computed from the CT's pixels inside the segment)
    area_mm2: float


def lesson_folder() -> Path:
    """$DICOMTEACH_LESSON_DIR, else the user's cache folder (made once, reused by every run: a folder per
    run was left behind in /tmp each time), else a temporary folder for this process."""
    configured = os.environ.get("DICOMTEACH_LESSON_DIR")
    if configured:
        folder = Path(configured)
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dicomteach" / "lessons"
    try:
        cache.mkdir(parents=True, exist_ok=True)
        if os.access(cache, os.W_OK):
            return cache
    except OSError:
        pass
    if "folder" not in _MADE:
        _MADE["folder"] = Path(tempfile.mkdtemp(prefix="dicomteach-lessons-"))
    return _MADE["folder"]


def ct_with_seg_and_sr(folder: Path | None = None) -> CTWithSegAndSR:
    """pydicom's CT_small.dcm, plus a SEG of its brightest region and a TID 1500 SR measuring it."""
    try:
        import highdicom as hd
    except ImportError as error:
        raise DICOMTeachError("making the lesson's SEG and SR needs highdicom (bundled with Slicer 5.12; "
                              "pip install highdicom)") from error
    import numpy as np
    import pydicom
    from pydicom.sr.codedict import codes

    folder = folder or lesson_folder()
    ct_path = pydicom_test_file("CT_small.dcm")
    # Versioned names: files made by another version of this code are never taken for today's.
    seg_path, sr_path = folder / f"lesson-ct-seg-v{MATERIALS_VERSION}.dcm", folder / f"lesson-ct-sr-v{MATERIALS_VERSION}.dcm"
    ct = pydicom.dcmread(ct_path)
    hu = ct.pixel_array.astype(float) * float(ct.RescaleSlope) + float(ct.RescaleIntercept)
    mask = hu > np.percentile(hu, 90)  # the brightest tenth of the slice
    mean_hu = float(hu[mask].mean())
    spacing = [float(v) for v in ct.PixelSpacing]
    area = float(mask.sum() * spacing[0] * spacing[1])
    if not (seg_path.is_file() and sr_path.is_file()):
        algorithm = hd.AlgorithmIdentificationSequence(name="DICOMTeach lesson threshold", version="1",
                                                       family=codes.cid7162.ArtificialIntelligence)
        segment = hd.seg.SegmentDescription(
            segment_number=1, segment_label="Bright region",
            segmented_property_category=codes.cid7150.Tissue, segmented_property_type=codes.cid7166.ConnectiveTissue,
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.AUTOMATIC, algorithm_identification=algorithm)
        seg = hd.seg.Segmentation(
            source_images=[ct], pixel_array=mask.astype(np.uint8), segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
            segment_descriptions=[segment], series_instance_uid=hd.UID(), series_number=100,
            sop_instance_uid=hd.UID(), instance_number=1, manufacturer="DICOMTeach",
            manufacturer_model_name="lesson", software_versions="1", device_serial_number="1",
            series_description="Lesson SEG")
        seg.save_as(seg_path)
        region = hd.sr.ReferencedSegment(sop_class_uid=seg.SOPClassUID, sop_instance_uid=seg.SOPInstanceUID,
                                         segment_number=1,
                                         source_images=[hd.sr.SourceImageForSegmentation(
                                             ct.SOPClassUID, ct.SOPInstanceUID)])
        measurements = [
            hd.sr.Measurement(name=codes.SCT.Mean, value=round(mean_hu, 2), unit=codes.UCUM.HounsfieldUnit,
                              derivation=None),
            hd.sr.Measurement(name=codes.SCT.Area, value=round(area, 2), unit=codes.UCUM.SquareMillimeter),
        ]
        group = hd.sr.VolumetricROIMeasurementsAndQualitativeEvaluations(
            tracking_identifier=hd.sr.TrackingIdentifier(uid=hd.UID(), identifier="Bright region"),
            referenced_segment=region, measurements=measurements)
        report = hd.sr.MeasurementReport(
            observation_context=hd.sr.ObservationContext(), procedure_reported=codes.LN.CTUnspecifiedBodyRegion,
            imaging_measurements=[group])
        sr = hd.sr.Comprehensive3DSR(
            evidence=[ct, seg], content=report[0], series_instance_uid=hd.UID(), series_number=101,
            sop_instance_uid=hd.UID(), instance_number=1, manufacturer="DICOMTeach", series_description="Lesson SR")
        sr.save_as(sr_path)
    return CTWithSegAndSR(Path(ct_path), seg_path, sr_path, round(mean_hu, 2), round(area, 2))
