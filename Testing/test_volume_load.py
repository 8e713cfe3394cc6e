"""Loaded scalar volumes match Slicer's own archetype reader, voxel for voxel and within 1e-4 mm.

The oracle is vtkSlicerVolumesLogic.AddArchetypeScalarVolume from slicer-core,
called as Slicer's DICOMScalarVolumePlugin calls it (the examined, sorted files).
Where that reader is itself wrong, the test says which case and why.
"""

from __future__ import annotations

import shutil

import numpy as np
import pydicom
import pytest
from pydicom.encaps import encapsulate
from volume_helpers import archetype, build, examine, ijk_to_ras, only, pydicom_data_file, voxels

from DICOMTeachLib.errors import LoadError
from DICOMTeachLib.testdata import pydicom_ct_series, pydicom_test_file

SHARED_SERIES = {
    "lidc-133-slice-ct": ("lidc-idri-0001-ct-seg/ct", ""),
    "liver-ct-implicit-vr": ("liver-ct-seg-sr/ct", ""),
    "small-seg-image": ("small-seg-24x38x3/image", ""),
    "small-seg-legacy-enhanced-ct": ("small-seg-24x38x3/multiframe", ""),
    "highdicom-ct-single-slice": ("highdicom-test-files/ct_image.dcm", ""),
    "highdicom-dx-monochrome1": ("highdicom-test-files/dx_image.dcm", ""),
}


def _files(path):
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]


def _assert_matches_archetype(mrml, loadable):
    ours = build(loadable, mrml)
    theirs = archetype(mrml, loadable.files)
    assert theirs is not None, "Slicer's archetype reader could not read the files"
    assert ours.GetImageData().GetDimensions() == theirs.GetImageData().GetDimensions()
    assert ours.GetImageData().GetScalarTypeAsString() == theirs.GetImageData().GetScalarTypeAsString()
    assert np.array_equal(voxels(ours), voxels(theirs))
    assert np.allclose(ijk_to_ras(ours), ijk_to_ras(theirs), atol=1e-4, rtol=0)
    return ours, theirs


@pytest.mark.parametrize("case", sorted(SHARED_SERIES))
def test_every_image_series_of_the_shared_data_matches_slicers_reader(case, shared_data, mrml):
    relative, name_part = SHARED_SERIES[case]
    loadable = only(examine(_files(shared_data / relative)), name_part)
    _assert_matches_archetype(mrml, loadable)


def test_pydicom_ct_series_and_its_acquisition_splits_match_slicers_reader(mrml):
    loadables = examine(pydicom_ct_series())
    assert len(loadables) == 4  # all files + AcquisitionNumber 4, 44, 45
    for loadable in loadables:
        _assert_matches_archetype(mrml, loadable)


def test_enhanced_ct_per_frame_geometry_matches_slicers_reader_and_the_file(mrml):
    path = pydicom_data_file("eCT_Supplemental.dcm")
    loadable = only(examine([path]))
    ours, _ = _assert_matches_archetype(mrml, loadable)
    # Every frame lands where its PlanePositionSequence puts it (LPS -> RAS).
    dataset = pydicom.dcmread(path)
    matrix = ijk_to_ras(ours)
    orientation = [float(v) for v in
                   dataset.SharedFunctionalGroupsSequence[0].PlaneOrientationSequence[0].ImageOrientationPatient]
    normal = np.cross(orientation[:3], orientation[3:])
    positions = [np.array([float(v) for v in item.PlanePositionSequence[0].ImagePositionPatient])
                 for item in dataset.PerFrameFunctionalGroupsSequence]
    order = sorted(range(len(positions)), key=lambda i: positions[i] @ normal)
    for k, frame in enumerate(order):
        ras = matrix @ np.array([0, 0, k, 1.0])
        assert np.allclose(ras[:3], positions[frame] * [-1, -1, 1], atol=1e-4)
    intercept = float(dataset.SharedFunctionalGroupsSequence[0].PixelValueTransformationSequence[0].RescaleIntercept)
    assert np.array_equal(voxels(ours), dataset.pixel_array[order].astype(np.int32) + int(intercept))


def test_lidc_volume_has_slicers_node_attributes_window_and_hierarchy(shared_data, mrml, lidc_ct_files):
    loadable = only(examine(lidc_ct_files))
    fractions = []
    node = build(loadable, mrml, lambda fraction, message: fractions.append(fraction))
    first = pydicom.dcmread(loadable.files[0], stop_before_pixels=True)
    assert node.GetName() == f"{first.SeriesNumber}: {first.get('SeriesDescription', '') or 'Unnamed Series'}"
    uids = node.GetAttribute("DICOM.instanceUIDs").split()
    assert uids == [pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID for p in loadable.files]
    display = node.GetDisplayNode()
    assert (display.GetWindow(), display.GetLevel()) == (float(first.WindowWidth), float(first.WindowCenter))
    assert display.GetNumberOfWindowLevelPresets() >= 1 and not display.GetAutoWindowLevel()
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(fractions) >= 10
    sh = mrml.subject_hierarchy
    item = sh.GetItemByDataNode(node)
    assert sh.GetItemUID(item, "DICOM") == first.SeriesInstanceUID
    study = sh.GetItemParent(item)
    assert sh.GetItemUID(study, "DICOM") == first.StudyInstanceUID
    assert sh.GetItemUID(sh.GetItemParent(study), "DICOM") == first.PatientID


def test_non_integer_rescale_gives_double_voxels_like_slicers_reader(tmp_path, mrml):
    copies = []
    for index, source in enumerate(pydicom_ct_series()[2:]):
        dataset = pydicom.dcmread(source)
        dataset.RescaleSlope, dataset.RescaleIntercept = "0.5", "-100.25"
        copies.append(tmp_path / f"{index}.dcm")
        dataset.save_as(copies[-1])
    loadable = only(examine(copies))
    assert loadable.plan.voxel_type == "float64"
    ours, _ = _assert_matches_archetype(mrml, loadable)
    raw = pydicom.dcmread(loadable.files[0]).pixel_array
    assert np.array_equal(voxels(ours)[0], raw * 0.5 - 100.25)


def _copies_with_slopes(tmp_path, slopes):
    copies = []
    for index, (source, slope) in enumerate(zip(pydicom_ct_series()[2:], slopes, strict=True)):
        dataset = pydicom.dcmread(source)
        dataset.RescaleSlope = slope
        copies.append(tmp_path / f"{index}.dcm")
        dataset.save_as(copies[-1])
    return copies


def _rescaled(paths):
    return np.stack([pydicom.dcmread(p).pixel_array * float(pydicom.dcmread(p).RescaleSlope) - 1024 for p in paths])


def test_rescale_differing_between_slices_gives_float_voxels(tmp_path, mrml):
    loadable = only(examine(_copies_with_slopes(tmp_path, ("1", "0.5"))))
    assert loadable.plan.voxel_type == "float64"
    assert any("rescale slope/intercept differ" in note for note in loadable.notes)
    ours, _ = _assert_matches_archetype(mrml, loadable)  # Slicer's reader also goes to double here
    assert np.array_equal(voxels(ours), _rescaled(loadable.files))


def test_integer_rescales_differing_between_slices_are_float_where_slicers_reader_keeps_int(tmp_path, mrml):
    # Documented difference: with integer slopes 1 and 2 Slicer's reader stays integer (the values
    # still fit); we go to floating point whenever the slices' rescales differ, as the issue asks.
    loadable = only(examine(_copies_with_slopes(tmp_path, ("1", "2"))))
    ours = build(loadable, mrml)
    theirs = archetype(mrml, loadable.files)
    assert ours.GetImageData().GetScalarTypeAsString() == "double"
    assert theirs.GetImageData().GetScalarTypeAsString() == "int"
    assert np.array_equal(voxels(ours), voxels(theirs))
    assert np.array_equal(voxels(ours), _rescaled(loadable.files))


@pytest.mark.parametrize("syntax", ["RLELossless", "JPEGLSLossless", "JPEG2000Lossless"])
def test_compressed_copies_load_the_same_voxels_as_the_uncompressed_series(syntax, tmp_path, mrml, shared_data):
    import pydicom.uid

    sources = _files(shared_data / "liver-ct-seg-sr" / "ct")
    copies = []
    for source in sources:
        dataset = pydicom.dcmread(source)
        dataset.compress(getattr(pydicom.uid, syntax))
        copies.append(tmp_path / source.name)
        dataset.save_as(copies[-1])
    compressed = only(examine(copies))
    assert not compressed.warnings
    plain = only(examine(sources))
    assert np.array_equal(voxels(build(compressed, mrml)), voxels(build(plain, mrml)))
    assert np.allclose(compressed.plan.ijk_to_ras, plain.plan.ijk_to_ras)


@pytest.mark.parametrize("name", ["emri_small_RLE.dcm", "emri_small_big_endian.dcm",
                                  "emri_small_jpeg_2k_lossless.dcm", "emri_small_jpeg_ls_lossless.dcm"])
def test_enhanced_mr_in_every_transfer_syntax_loads_the_frames_pydicom_decodes(name, mrml):
    reference = pydicom.dcmread(pydicom_data_file("emri_small.dcm")).pixel_array
    loadable = only(examine([pydicom_data_file(name)]))
    # This stripped enhanced MR has no functional groups: the examiner says so.
    assert any("geometry" in warning for warning in loadable.warnings)
    node = build(loadable, mrml)
    assert np.array_equal(voxels(node), reference)
    assert node.GetImageData().GetScalarTypeAsString() == "unsigned short"


def test_a_transfer_syntax_without_decoder_warns_and_refuses_clearly(tmp_path, mrml, shared_data):
    source = _files(shared_data / "liver-ct-seg-sr" / "ct")[0]
    copy = tmp_path / "mpeg.dcm"
    shutil.copy(source, copy)
    dataset = pydicom.dcmread(copy)
    dataset.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.100"  # MPEG2: pydicom has no decoder
    dataset.PixelData = encapsulate([dataset.PixelData])
    dataset.save_as(copy, enforce_file_format=True)
    loadable = only(examine([copy]))
    assert any("decoder" in warning and "mpeg.dcm" in warning for warning in loadable.warnings)
    assert loadable.confidence == 0.2 and not loadable.selected
    with pytest.raises(LoadError, match="decoder"):
        build(loadable, mrml)


@pytest.mark.parametrize("name", ["CT_small.dcm", "MR_small.dcm", "MR_small_RLE.dcm", "MR_small_jpeg_ls_lossless.dcm",
                                  "MR_small_jp2klossless.dcm", "MR_small_bigendian.dcm", "JPEG2000.dcm"])
def test_pydicom_single_images_in_several_transfer_syntaxes_match_slicers_reader(name, mrml):
    _assert_matches_archetype(mrml, only(examine([pydicom_test_file(name)])))


@pytest.mark.parametrize("name", ["SC_rgb.dcm", "SC_rgb_jpeg_dcmtk.dcm", "SC_rgb_jpeg.dcm"])
def test_colour_images_load_where_slicers_scalar_reader_fails(name, mrml):
    # AddArchetypeScalarVolume reports FileFormatError on RGB data (Slicer's scalar plugin cannot
    # load it either); our vector volume holds exactly what pydicom decodes.
    path = pydicom_test_file(name)
    loadable = only(examine([path]))
    assert archetype(mrml, loadable.files) is None
    node = build(loadable, mrml)
    assert node.IsA("vtkMRMLVectorVolumeNode")
    assert np.array_equal(voxels(node)[0], pydicom.dcmread(path).pixel_array)


def test_enhanced_ct_geometry_agrees_with_simpleitk(mrml):
    import SimpleITK as sitk

    path = pydicom_data_file("eCT_Supplemental.dcm")
    loadable = only(examine([path]))
    node = build(loadable, mrml)
    image = sitk.ReadImage(str(path))
    direction = np.array(image.GetDirection()).reshape(3, 3)
    spacing = np.array(image.GetSpacing())
    # SimpleITK reports LPS with the slice axis of the frames as stored; compare the in-plane axes,
    # the spacing and the position of the first stored frame.
    matrix = ijk_to_ras(node)
    lps = np.diag([-1, -1, 1]) @ matrix[:3, :3]
    assert np.allclose(lps[:, :2], direction[:, :2] * spacing[:2], atol=1e-4)
    assert np.allclose(np.abs(np.diag(lps))[2], spacing[2], atol=1e-4)
    k = [frame.frame for frame in loadable.plan.frames].index(0)  # where the first stored frame went
    assert np.allclose(np.diag([-1, -1, 1]) @ (matrix @ [0, 0, k, 1])[:3], image.GetOrigin(), atol=1e-4)
    assert np.array_equal(voxels(node)[k], sitk.GetArrayFromImage(image)[0])


def test_compressed_pixel_data_cut_short_fails_with_a_clear_reason(mrml):
    loadable = only(examine([pydicom_data_file("emri_small_jpeg_2k_lossless_too_short.dcm")]))
    with pytest.raises(LoadError, match="emri_small_jpeg_2k_lossless_too_short.dcm.*(truncated|decode)"):
        build(loadable, mrml)
