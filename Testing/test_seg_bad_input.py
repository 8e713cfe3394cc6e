"""Damaged or awkward SEGs load what can be loaded and say what was skipped and why."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pydicom
import pytest
from seg_helpers import load_reference_ct

from DICOMTeachLib.errors import LoadError
from DICOMTeachLib.examine import examine_files
from DICOMTeachLib.loadable import LoadableKind
from DICOMTeachLib.loading import load_loadable
from DICOMTeachLib.seg.summary import describe_segmentation


def _liver(shared_data: Path) -> tuple[Path, list[Path]]:
    folder = shared_data / "liver-ct-seg-sr"
    return folder / "seg" / "liver.dcm", sorted((folder / "ct").glob("*"))


def _seg_loadable(path: Path, extra=()):
    result = examine_files([str(path), *map(str, extra)])
    (loadable,) = [item for item in result.loadables if item.kind is LoadableKind.SEGMENTATION]
    return loadable


def _voxels_per_segment(node) -> dict[str, int]:
    return {summary.name: summary.voxel_count for summary in describe_segmentation(node)}


def _frame_voxels(ds: pydicom.Dataset, frame: int) -> int:
    bits = np.unpackbits(np.frombuffer(ds.PixelData, np.uint8), bitorder="little")
    size = ds.Rows * ds.Columns
    return int(bits[frame * size:(frame + 1) * size].sum())


def test_frame_outside_the_referenced_volume_is_skipped_with_reason(shared_data, mrml, tmp_path):
    seg_path, ct_files = _liver(shared_data)
    ds = pydicom.dcmread(seg_path)
    moved = ds.PerFrameFunctionalGroupsSequence[0].PlanePositionSequence[0]
    moved.ImagePositionPatient = [moved.ImagePositionPatient[0], moved.ImagePositionPatient[1],
                                  float(moved.ImagePositionPatient[2]) + 500.0]
    damaged = tmp_path / "moved.dcm"
    ds.save_as(damaged)
    load_reference_ct(mrml, ct_files)
    result = load_loadable(_seg_loadable(damaged, ct_files), mrml.scene)
    assert any("1 frame(s) lie outside the referenced volume" in reason for reason in result.skipped)
    total = int(np.unpackbits(np.frombuffer(ds.PixelData, np.uint8)).sum())
    assert _voxels_per_segment(result.nodes[0]) == {"Liver": total - _frame_voxels(ds, 0)}


def test_mismatched_frame_of_reference_keeps_the_segs_own_grid(shared_data, mrml, tmp_path):
    seg_path, ct_files = _liver(shared_data)
    ds = pydicom.dcmread(seg_path)
    ds.FrameOfReferenceUID = pydicom.uid.generate_uid()
    damaged = tmp_path / "other-for.dcm"
    ds.save_as(damaged)
    ct = load_reference_ct(mrml, ct_files)
    result = load_loadable(_seg_loadable(damaged, ct_files), mrml.scene)
    assert any("frame of reference" in reason for reason in result.skipped)
    node = result.nodes[0]
    assert node.GetNodeReference(node.GetReferenceImageGeometryReferenceRole()) is not ct
    total = int(np.unpackbits(np.frombuffer(ds.PixelData, np.uint8)).sum())
    assert _voxels_per_segment(node) == {"Liver": total}


def test_segment_without_frames_is_kept_empty_and_reported(shared_data, mrml, tmp_path):
    ds = pydicom.dcmread(shared_data / "liver-ct-seg-sr" / "seg" / "partial_overlaps.dcm")
    extra = copy.deepcopy(ds.SegmentSequence[0])
    extra.SegmentNumber = len(ds.SegmentSequence) + 1
    extra.SegmentLabel = "Nothing here"
    ds.SegmentSequence.append(extra)
    damaged = tmp_path / "empty-segment.dcm"
    ds.save_as(damaged)
    result = load_loadable(_seg_loadable(damaged), mrml.scene)
    voxels = _voxels_per_segment(result.nodes[0])
    assert len(voxels) == 6 and voxels["Nothing here"] == 0
    assert all(count > 0 for name, count in voxels.items() if name != "Nothing here")
    assert any("'Nothing here' is empty" in message for message in result.messages)


def test_frames_naming_an_undefined_segment_are_skipped(shared_data, mrml, tmp_path):
    seg_path, _ = _liver(shared_data)
    ds = pydicom.dcmread(seg_path)
    ds.PerFrameFunctionalGroupsSequence[2].SegmentIdentificationSequence[0].ReferencedSegmentNumber = 7
    damaged = tmp_path / "segment-7.dcm"
    ds.save_as(damaged)
    result = load_loadable(_seg_loadable(damaged), mrml.scene)
    assert any("segment number 7" in reason for reason in result.skipped)
    total = int(np.unpackbits(np.frombuffer(ds.PixelData, np.uint8)).sum())
    assert _voxels_per_segment(result.nodes[0]) == {"Liver": total - _frame_voxels(ds, 2)}


def test_pixel_data_too_short_for_its_frames_is_refused_at_examine_naming_the_file(shared_data, tmp_path):
    seg_path, _ = _liver(shared_data)
    ds = pydicom.dcmread(seg_path)
    ds.PixelData = ds.PixelData[: len(ds.PixelData) // 2]
    damaged = tmp_path / "truncated.dcm"
    ds.save_as(damaged)
    result = examine_files([str(damaged)])
    assert result.loadables == []
    reason = result.unreadable[str(damaged)]
    assert f"NumberOfFrames {ds.NumberOfFrames}" in reason and f"the pixel data has {len(ds.PixelData)}" in reason


def test_seg_without_its_images_loads_with_a_warning(shared_data, mrml):
    path = shared_data / "qin-headneck-sr-seg-no-images" / "seg.dcm"
    loadable = _seg_loadable(path)
    assert loadable.confidence > 0.5
    (warning,) = loadable.warnings
    series = pydicom.dcmread(path, stop_before_pixels=True).ReferencedSeriesSequence[0].SeriesInstanceUID
    assert series in warning and "not among the examined files" in warning
    result = load_loadable(loadable, mrml.scene)
    label = pydicom.dcmread(path, stop_before_pixels=True).SegmentSequence[0].SegmentLabel
    assert result.nodes and _voxels_per_segment(result.nodes[0])[label] > 0
    assert any("not loaded" in message for message in result.messages)


def test_slide_microscopy_seg_is_offered_unselected_and_refused_clearly(shared_data, mrml):
    path = shared_data / "highdicom-test-files" / "seg_image_sm_control.dcm"
    loadable = _seg_loadable(path)
    assert not loadable.selected and "slide microscopy" in loadable.warning
    # Slicer's browser selects by confidence alone: the SEG must rank below the scalar plugin's 0.5.
    assert loadable.confidence < 0.5
    with pytest.raises(LoadError) as error:
        load_loadable(loadable, mrml.scene)
    assert str(path) in str(error.value) and "slide" in error.value.reason


def test_file_that_is_not_dicom_is_reported_unreadable(tmp_path):
    junk = tmp_path / "junk.dcm"
    junk.write_bytes(b"not a dicom file at all" * 10)
    result = examine_files([str(junk)])
    assert result.loadables == [] and str(junk) in result.unreadable


def test_frame_without_segment_identification_is_skipped(shared_data, mrml, tmp_path):
    seg_path, _ = _liver(shared_data)
    ds = pydicom.dcmread(seg_path)
    del ds.PerFrameFunctionalGroupsSequence[1].SegmentIdentificationSequence
    damaged = tmp_path / "no-segment-id.dcm"
    ds.save_as(damaged)
    result = load_loadable(_seg_loadable(damaged), mrml.scene)
    assert result.skipped == ["frame 2 names no segment (no SegmentIdentificationSequence)"]
    total = int(np.unpackbits(np.frombuffer(ds.PixelData, np.uint8)).sum())
    assert _voxels_per_segment(result.nodes[0]) == {"Liver": total - _frame_voxels(ds, 1)}
