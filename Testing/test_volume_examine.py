"""Examine splits, sorts and checks image series; every problem case is an edited copy of a real series."""

from __future__ import annotations

import shutil

import numpy as np
import pydicom
import pytest
from pydicom.uid import generate_uid
from volume_helpers import (
    archetype,
    build,
    examine,
    ijk_to_ras,
    only,
    pydicom_data_file,
    two_time_point_multiframe,
    voxels,
)

from DICOMTeachLib.errors import LoadError
from DICOMTeachLib.testdata import pydicom_test_file


@pytest.fixture(scope="module")
def lidc_by_position(lidc_ct_files):
    """The LIDC slices in position order (headers only), to pick neighbours from."""
    positions = {p: float(pydicom.dcmread(p, stop_before_pixels=True).ImagePositionPatient[2]) for p in lidc_ct_files}
    return sorted(lidc_ct_files, key=positions.get)


def _copy_slices(sources, folder, edit=None):
    """Copies of ``sources`` in ``folder``, each passed through ``edit(index, dataset)`` first."""
    folder.mkdir(exist_ok=True)
    copies = []
    for index, source in enumerate(sources):
        dataset = pydicom.dcmread(source)
        if edit is not None:
            edit(index, dataset)
        copies.append(folder / f"{index:03d}.dcm")
        dataset.save_as(copies[-1])
    return copies


def test_clean_lidc_series_has_no_warning_and_is_sorted_along_the_normal(lidc_ct_files):
    loadable = only(examine(lidc_ct_files))
    assert loadable.warnings == [] and loadable.notes == []
    assert loadable.confidence == 0.5 and loadable.selected and "Slicer" in loadable.confidence_reason
    assert len(loadable.files) == 133
    z = [float(pydicom.dcmread(p, stop_before_pixels=True).ImagePositionPatient[2]) for p in loadable.files]
    assert np.allclose(np.diff(z), 2.5)
    assert loadable.plan.spacing[2] == pytest.approx(2.5)
    first = pydicom.dcmread(lidc_ct_files[0], stop_before_pixels=True)
    assert loadable.name == f"{first.SeriesNumber}: {first.get('SeriesDescription') or 'Unnamed Series'}"


def test_every_uneven_gap_is_named_and_missing_slices_counted(lidc_by_position, tmp_path):
    kept = [p for i, p in enumerate(lidc_by_position[:12]) if i not in (3, 8)]  # two slices gone
    loadable = only(examine(_copy_slices(kept, tmp_path / "gaps")))
    (uneven,) = [w for w in loadable.warnings if "not equally spaced" in w]
    assert "2 gap(s) differ" in uneven and uneven.count("5 mm after") == 2
    assert "mm after file 002.dcm" in uneven and "mm after file 006.dcm" in uneven  # the slices before each gap
    assert any("about 2 slice(s) appear to be missing" in w for w in loadable.warnings)


def test_duplicate_position_is_warned_and_not_stacked(lidc_by_position, tmp_path, mrml):
    def duplicate(index, dataset):
        if index == 4:
            dataset.ImagePositionPatient = pydicom.dcmread(lidc_by_position[3], stop_before_pixels=True) \
                .ImagePositionPatient
            dataset.SOPInstanceUID = generate_uid()

    loadable = only(examine(_copy_slices(lidc_by_position[:6], tmp_path / "dup", duplicate)))
    assert any("occur more than once" in w and "004.dcm" in w for w in loadable.warnings)
    assert loadable.confidence == 0.2 and not loadable.selected
    with pytest.raises(LoadError, match="share positions"):
        build(loadable, mrml)


def test_gantry_tilt_is_reported_and_each_slice_stays_at_its_position(lidc_by_position, tmp_path, mrml):
    def tilt(index, dataset):
        position = [float(v) for v in dataset.ImagePositionPatient]
        position[1] += index * 2.5 * np.tan(np.radians(15))  # slices slide along y: 15 degrees of tilt
        dataset.ImagePositionPatient = [f"{v:.6f}" for v in position]

    copies = _copy_slices(lidc_by_position[:5], tmp_path / "tilt", tilt)
    loadable = only(examine(copies))
    (sheared,) = [w for w in loadable.warnings if "sheared" in w]
    assert "15.00 degrees" in sheared
    node = build(loadable, mrml)
    matrix = ijk_to_ras(node)
    for k, path in enumerate(loadable.files):
        lps = np.array([float(v) for v in pydicom.dcmread(path, stop_before_pixels=True).ImagePositionPatient])
        assert np.allclose((matrix @ [0, 0, k, 1])[:3], lps * [-1, -1, 1], atol=1e-4)
    # Slicer's reader shears the same way (SimpleITK would not: it keeps the normal and stretches the spacing).
    theirs = archetype(mrml, loadable.files)
    assert np.allclose(ijk_to_ras(theirs), matrix, atol=1e-4)
    assert np.array_equal(voxels(theirs), voxels(node))


def test_non_orthogonal_orientation_is_warned(lidc_by_position, tmp_path):
    def skew(index, dataset):
        dataset.ImageOrientationPatient = ["1", "0", "0", "0.1", "0.994987", "0"]

    loadable = only(examine(_copy_slices(lidc_by_position[:3], tmp_path / "skew", skew)))
    assert any("not orthogonal" in w for w in loadable.warnings)


def test_differing_image_size_names_the_file_and_refuses_to_stack(lidc_by_position, tmp_path, mrml):
    def crop(index, dataset):
        if index == 1:
            pixels = dataset.pixel_array[:256, :256].copy()
            dataset.Rows, dataset.Columns = pixels.shape
            dataset.PixelData = pixels.tobytes()

    loadable = only(examine(_copy_slices(lidc_by_position[:3], tmp_path / "sizes", crop)))
    assert any("image sizes differ" in w and "001.dcm" in w for w in loadable.warnings)
    with pytest.raises(LoadError, match="different sizes"):
        build(loadable, mrml)


def test_differing_pixel_spacing_is_warned(lidc_by_position, tmp_path):
    def spacing(index, dataset):
        if index == 2:
            dataset.PixelSpacing = ["0.8", "0.8"]

    loadable = only(examine(_copy_slices(lidc_by_position[:4], tmp_path / "spacing", spacing)))
    assert any("pixel spacing differs" in w and "002.dcm" in w for w in loadable.warnings)


def test_missing_geometry_is_warned(lidc_by_position, tmp_path):
    def strip(index, dataset):
        if index == 0:
            del dataset.ImagePositionPatient

    loadable = only(examine(_copy_slices(lidc_by_position[:3], tmp_path / "nogeo", strip)))
    assert any("geometry" in w and "missing" in w and "000.dcm" in w for w in loadable.warnings)


@pytest.mark.parametrize("keyword", ["TemporalPositionIdentifier", "TriggerTime"])
def test_repeated_positions_with_a_temporal_attribute_give_a_sequence_and_each_time_point(
        keyword, lidc_by_position, tmp_path, mrml):
    sources = lidc_by_position[:4] * 2

    def time_point(index, dataset):
        setattr(dataset, keyword, str(1 + index // 4) if keyword != "TriggerTime" else str(100.0 * (index // 4)))
        dataset.SOPInstanceUID = generate_uid()

    sequence, *time_points = examine(_copy_slices(sources, tmp_path / "4d", time_point))
    assert sequence.kind == "volume sequence" and sequence.selected and len(sequence.files) == 8
    assert sequence.plan.index_name == keyword
    assert sequence.confidence == (0.9 if keyword == "TemporalPositionIdentifier" else 1.0)  # MultiVolumeImporter's
    assert len(time_points) == 2
    for number, loadable in enumerate(time_points, start=1):
        assert f"time point {number} ({keyword}" in loadable.name
        assert len(loadable.files) == 4 and not loadable.warnings and not loadable.selected
        assert any("4D acquisition: 2 time points of 4 slices" in note for note in loadable.notes)
        assert loadable.plan.spacing[2] == pytest.approx(2.5)
    node = build(time_points[1], mrml)
    assert node.GetImageData().GetDimensions()[2] == 4


def test_repeated_positions_without_a_temporal_attribute_are_refused(lidc_by_position, tmp_path):
    def new_uid(index, dataset):
        dataset.SOPInstanceUID = generate_uid()

    loadable = only(examine(_copy_slices(lidc_by_position[:3] * 2, tmp_path / "rep", new_uid)))
    assert any("3 slice position(s) occur more than once" in w for w in loadable.warnings)
    assert loadable.plan.refuse


def test_localizer_and_second_orientation_are_set_apart_as_slicer_does(lidc_by_position, tmp_path):
    def scout(index, dataset):
        if index == 5:
            dataset.ImageType = ["ORIGINAL", "PRIMARY", "LOCALIZER"]
            dataset.ImageOrientationPatient = ["1", "0", "0", "0", "0", "-1"]

    loadables = examine(_copy_slices(lidc_by_position[:6], tmp_path / "scout", scout))
    localizer = only(loadables, "localizer")
    assert len(localizer.files) == 1 and localizer.confidence == 0.45
    main = [item for item in loadables if item is not localizer]
    (whole,) = main
    assert len(whole.files) == 5 and whole.warnings == [] and whole.selected


def test_orientation_split_is_offered_and_preferred_when_the_whole_series_has_warnings(lidc_by_position, tmp_path):
    def turn(index, dataset):
        if index >= 3:  # a sagittal stack: new orientation, positions stepping along x
            dataset.ImageOrientationPatient = ["0", "1", "0", "0", "0", "-1"]
            position = [float(v) for v in dataset.ImagePositionPatient]
            dataset.ImagePositionPatient = [f"{position[0] - 2.5 * (index - 3):.6f}", f"{position[1]:.6f}", "-100"]

    loadables = examine(_copy_slices(lidc_by_position[:6], tmp_path / "turn", turn))
    whole = [item for item in loadables if " - " not in item.name]
    parts = [item for item in loadables if "ImageOrientationPatient" in item.name]
    assert len(whole) == 1 and len(parts) == 2
    assert any("orientation differs" in w for w in whole[0].warnings)
    assert whole[0].confidence < 0.5 and not whole[0].selected
    assert all(part.confidence == 0.5 and part.selected for part in parts)


def test_multiframe_with_uneven_per_frame_geometry_names_the_frame(shared_data, tmp_path):
    source = shared_data / "small-seg-24x38x3" / "multiframe" / "mf.dcm"
    dataset = pydicom.dcmread(source)
    position = dataset.PerFrameFunctionalGroupsSequence[2].PlanePositionSequence[0]
    position.ImagePositionPatient = [*position.ImagePositionPatient[:2], float(position.ImagePositionPatient[2]) + 5]
    copy = tmp_path / "mf.dcm"
    dataset.save_as(copy)
    loadable = only(examine([copy]))
    assert any("not equally spaced" in w and "frame" in w for w in loadable.warnings)


def test_colour_palette_and_monochrome1_are_noted(shared_data, mrml):
    rgb = only(examine([pydicom_test_file("SC_rgb.dcm")]))
    assert any("RGB" in note for note in rgb.notes)
    node = build(rgb, mrml)
    assert node.IsA("vtkMRMLVectorVolumeNode")
    assert np.array_equal(voxels(node)[0], pydicom.dcmread(pydicom_test_file("SC_rgb.dcm")).pixel_array)

    palette = only(examine([pydicom_data_file("OBXXXX1A.dcm")]))
    assert any("PALETTE COLOR" in note for note in palette.notes)
    dataset = pydicom.dcmread(pydicom_data_file("OBXXXX1A.dcm"))
    from pydicom.pixels import apply_color_lut

    assert np.array_equal(voxels(build(palette, mrml))[0], apply_color_lut(dataset.pixel_array, dataset))

    dx = only(examine([shared_data / "highdicom-test-files" / "dx_image.dcm"]))
    assert any("MONOCHROME1" in note for note in dx.notes)


def test_segmentations_and_reports_are_not_offered_as_volumes(shared_data):
    files = [shared_data / "liver-ct-seg-sr" / "seg" / "liver.dcm",
             shared_data / "liver-ct-seg-sr" / "sr" / "liver-measurements-sr.dcm",
             shared_data / "highdicom-test-files" / "seg_image_sm_control_labelmap.dcm"]
    assert examine(files) == []


def test_files_without_pixel_data_get_confidence_0_2(lidc_by_position, tmp_path, mrml):
    def strip(index, dataset):
        del dataset.PixelData

    loadable = only(examine(_copy_slices(lidc_by_position[:2], tmp_path / "nopix", strip)))
    assert loadable.confidence == 0.2 and "no file of this series holds pixel data" in loadable.confidence_reason
    assert any("hold no pixel data" in w for w in loadable.warnings)
    with pytest.raises(LoadError, match="no file holds pixel data"):
        build(loadable, mrml)


def test_slice_with_cut_pixel_data_is_left_out_named_and_the_gap_warned(lidc_by_position, tmp_path, mrml):
    copies = _copy_slices(lidc_by_position[:4], tmp_path / "cut")
    data = copies[2].read_bytes()
    copies[2].write_bytes(data[: len(data) - 100_000])
    loadable = only(examine(copies))
    assert any("end inside their pixel data and are left out" in w and "002.dcm" in w for w in loadable.warnings)
    assert str(copies[2]) not in loadable.files and len(loadable.files) == 3
    # the stack check sees the hole the left-out slice makes
    assert any("left out" not in w and ("missing" in w.lower() or "spacing" in w.lower()) for w in loadable.warnings)
    node = build(loadable, mrml)
    assert node.GetImageData().GetDimensions()[2] >= 3


def test_examine_never_modifies_the_source_files(lidc_by_position, tmp_path):
    copies = [shutil.copy(p, tmp_path / p.name) for p in lidc_by_position[:3]]
    before = [open(p, "rb").read() for p in copies]
    examine(copies)
    assert [open(p, "rb").read() for p in copies] == before


def test_enhanced_multiframe_with_temporal_position_index_splits_into_time_points(shared_data, tmp_path, mrml):
    path = two_time_point_multiframe(shared_data / "small-seg-24x38x3" / "multiframe" / "mf.dcm",
                                     tmp_path / "mf-4d.dcm", offset=7)

    sequence, *loadables = examine([path])
    assert sequence.kind == "volume sequence" and sequence.plan.index_name == "TemporalPositionIndex"
    assert [item.name.split(" - ")[-1] for item in loadables] == [
        "time point 1 (TemporalPositionIndex 1)", "time point 2 (TemporalPositionIndex 2)"]
    assert all(not item.warnings for item in loadables)
    first, later = (voxels(build(item, mrml)) for item in loadables)
    assert np.array_equal(later, first + 7)


def test_a_file_named_by_a_number_is_called_a_file_in_the_warnings(pydicom_ct_files):
    """pydicom's CT series has files named 17106...: 'a gap of 202.5 mm after 17106' read as a position."""
    loadable = next(item for item in examine([str(path) for path in pydicom_ct_files]) if len(item.files) == 4)
    (uneven,) = [w for w in loadable.warnings if "not equally spaced" in w]
    assert f"mm after file {pydicom_ct_files[0].name}" in uneven
