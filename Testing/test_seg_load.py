"""Loading DICOM SEG: per-segment voxels, names, colours and terminology match dcmqi (and highdicom)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from oracles.dcmqi import DcmqiSegment, segimage2itkimage
from seg_helpers import load_reference_ct

from DICOMTeachLib.examine import examine_files
from DICOMTeachLib.loadable import LoadableKind
from DICOMTeachLib.loading import load_loadable
from DICOMTeachLib.seg.summary import describe_segmentation, segment_points_lps

#: Every volume SEG in ../shared/data (slide microscopy SEGs are not volumes).
SHARED_SEGS = [
    "liver-ct-seg-sr/seg/liver.dcm",
    "liver-ct-seg-sr/seg/partial_overlaps.dcm",
    "lidc-idri-0001-ct-seg/seg/nodule_01_annotation_0.dcm",
    "qin-headneck-sr-seg-no-images/seg.dcm",
    "small-seg-24x38x3/label.seg",
    "highdicom-test-files/seg_image_ct_binary.dcm",
    "highdicom-test-files/seg_image_ct_binary_overlap.dcm",
    "highdicom-test-files/seg_image_ct_binary_fractional.dcm",
    "highdicom-test-files/seg_image_ct_true_fractional.dcm",
    "highdicom-test-files/seg_image_ct_binary_single_frame.dcm",
]


def _load_seg(env, path: Path, extra_files=()):
    result = examine_files([str(path), *map(str, extra_files)])
    (loadable,) = [item for item in result.loadables if item.kind is LoadableKind.SEGMENTATION]
    return loadable, load_loadable(loadable, env.scene)


def _same_voxels(ours: np.ndarray, theirs: DcmqiSegment, theirs_points: np.ndarray | None = None) -> bool:
    """Same voxel centres, compared as indices of dcmqi's output grid (float noise-proof)."""
    theirs_points = theirs.points_lps if theirs_points is None else theirs_points
    if len(ours) != len(theirs_points):
        return False

    def lattice(points: np.ndarray) -> set:
        index = theirs.indices(points)
        assert np.abs(index - np.round(index)).max() < 0.01, "voxel centres off dcmqi's grid"
        return set(map(tuple, np.round(index).astype(np.int64).tolist()))

    return lattice(ours) == lattice(theirs_points)


@pytest.mark.parametrize("relative", SHARED_SEGS)
def test_segment_voxels_names_colours_and_codes_match_dcmqi(shared_data, mrml, tmp_path, relative):
    path = shared_data / relative
    oracle = segimage2itkimage(path, tmp_path / "dcmqi")
    if oracle is None:
            pytest.skip(f"dcmqi cannot read {relative} (no plane orientation); highdicom checks it below")
    meta, dcmqi_segments = oracle
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    _, result = _load_seg(mrml, path)
    (node,) = result.nodes
    summaries = {s.tags["DICOM.SegmentNumber"]: s for s in describe_segmentation(node)}
    assert len(summaries) == len(dcmqi_segments) == len(ds.SegmentSequence)
    for theirs in dcmqi_segments:
        ours = summaries[str(theirs.label_id)]
        attributes = theirs.attributes
        assert ours.name == attributes["SegmentLabel"]
        assert np.allclose(np.array(ours.color) * 255, attributes["recommendedDisplayRGBValue"], atol=1.0)
        assert ours.tags.get("DICOM.SegmentAlgorithmType", "") == attributes.get("SegmentAlgorithmType", "")
        for field, keyword in (("category", "SegmentedPropertyCategoryCodeSequence"),
                               ("type", "SegmentedPropertyTypeCodeSequence"),
                               ("anatomic_region", "AnatomicRegionSequence")):
            expected = attributes.get(keyword)
            got = ours.terminology[field]
            if expected is None:
                assert got is None
            else:
                assert (got["value"], got["scheme"], got["meaning"]) == (
                    expected["CodeValue"], expected["CodingSchemeDesignator"], expected["CodeMeaning"])
        points = theirs.points_lps
        if ds.SegmentationType == "FRACTIONAL":
            # dcmqi writes the raw fraction; a voxel is inside when it is at least half.
            points = points[theirs.values.astype(np.int64) * 2 >= int(ds.MaximumFractionalValue)]
        assert ours.voxel_count == len(points) > 0
        assert _same_voxels(segment_points_lps(node, ours.id), theirs, points)




def test_cr_seg_without_plane_positions_matches_highdicom(shared_data, mrml, tmp_path):
    """dcmqi refuses a SEG without plane orientation; highdicom reads it, and so do we (at the origin)."""
    import highdicom as hd

    path = shared_data / "highdicom-test-files/seg_image_cr_binary.dcm"
    assert segimage2itkimage(path, tmp_path / "dcmqi") is None
    seg = hd.seg.segread(str(path))
    source_uid = seg.get_source_image_uids()[0][2]
    expected = seg.get_pixels_by_source_instance([source_uid], segment_numbers=[1])[0, :, :, 0].astype(bool)
    _, result = _load_seg(mrml, path)
    (node,) = result.nodes
    (summary,) = describe_segmentation(node)
    points = segment_points_lps(node, summary.id)
    spacing = [float(v) for v in pydicom.dcmread(path).get("PixelSpacing", [1, 1])]
    rows = np.round(points[:, 1] / spacing[0]).astype(int)
    columns = np.round(points[:, 0] / spacing[1]).astype(int)
    ours = np.zeros_like(expected)
    ours[rows, columns] = True
    assert expected.any() and np.array_equal(ours, expected)
    assert any("no plane positions" in message for message in result.messages)


def test_liver_1frame_seg_without_number_of_frames_matches_highdicom(mrml):
    """pydicom's liver_1frame SEG (NumberOfFrames absent): one frame, read by highdicom too."""
    import highdicom as hd
    from pydicom.data import get_testdata_file

    path = Path(get_testdata_file("liver_1frame.dcm"))
    seg = hd.seg.segread(str(path))
    frame = seg.PerFrameFunctionalGroupsSequence[0]
    source_uid = frame.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID
    expected = seg.get_pixels_by_source_instance([source_uid], segment_numbers=[1], ignore_spatial_locations=True)
    _, result = _load_seg(mrml, path)
    (summary,) = describe_segmentation(result.nodes[0])
    assert summary.voxel_count == int(np.count_nonzero(expected)) > 0
    assert summary.name == seg.SegmentSequence[0].SegmentLabel


def test_seg_on_loaded_lidc_ct_uses_the_ct_grid(shared_data, mrml, lidc_ct_files, tmp_path):
    """With the referenced CT loaded, the sparse 9-frame SEG lands on the CT's 133-slice grid, same voxels."""
    import vtk

    from DICOMTeachLib.seg.summary import segment_labelmap

    ct = load_reference_ct(mrml, lidc_ct_files)
    path = shared_data / "lidc-idri-0001-ct-seg/seg/nodule_01_annotation_0.dcm"
    loadable, result = _load_seg(mrml, path, lidc_ct_files)
    assert loadable.warnings == []
    (node,) = result.nodes
    assert result.skipped == []
    assert node.GetNodeReference(node.GetReferenceImageGeometryReferenceRole()) is ct
    (summary,) = describe_segmentation(node)
    _, (theirs,) = segimage2itkimage(path, tmp_path / "dcmqi")
    assert _same_voxels(segment_points_lps(node, summary.id), theirs)
    _, seg_ijk_to_ras, _ = segment_labelmap(node, summary.id)
    matrix = vtk.vtkMatrix4x4()
    ct.GetIJKToRASMatrix(matrix)
    ct_ijk_to_ras = np.array([[matrix.GetElement(r, c) for c in range(4)] for r in range(4)])
    assert np.allclose(seg_ijk_to_ras, ct_ijk_to_ras, atol=1e-4)
    # Hierarchy: beside the CT under its study, citing the 9 CT images it was drawn on.
    sh = mrml.scene.GetSubjectHierarchyNode()
    seg_item, ct_item = sh.GetItemByDataNode(node), sh.GetItemByDataNode(ct)
    assert sh.GetItemParent(seg_item) == sh.GetItemParent(ct_item)
    referenced = set(sh.GetItemAttribute(seg_item, "DICOM.ReferencedInstanceUIDs").split())
    assert referenced == set(loadable.referenced_instance_uids) and len(referenced) == 9


@pytest.mark.parametrize("relative", SHARED_SEGS)
def test_byte_scan_of_frame_positions_agrees_with_pydicom(shared_data, relative):
    """The fast read of per-frame positions and segment numbers gives what pydicom's parse gives."""
    from pydicom.dataelem import RawDataElement

    from DICOMTeachLib.seg.decode import read_frame_layout
    from DICOMTeachLib.seg.frame_scan import scan_frames

    path = shared_data / relative
    ds = pydicom.dcmread(path)
    frames = int(ds.get("NumberOfFrames", 1))
    # Defined-length groups are scanned in the file's bytes, undefined-length ones (pydicom has split
    # the items while reading) in each item's raw elements: both must apply to these plain SEGs.
    raw = isinstance(ds._dict[0x52009230], RawDataElement)
    scanned = scan_frames(ds, str(path), frames, labelmap=False)
    assert scanned is not None, f"fast path not taken ({'raw bytes' if raw else 'parsed items'})"
    parsed = read_frame_layout(pydicom.dcmread(path), "")  # no path: pydicom reads every group
    assert np.array_equal(scanned.segment_numbers, parsed.segment_numbers)
    assert np.allclose(scanned.positions, parsed.positions, atol=0)


def _write_labelmap_seg(folder: Path) -> tuple[Path, list[pydicom.Dataset], np.ndarray]:
    """A LABELMAP SEG (SOP class ...66.7) written by highdicom over pydicom's 4-slice CT, with its labels."""
    import highdicom as hd

    from DICOMTeachLib.testdata import pydicom_ct_series

    images = sorted((pydicom.dcmread(path) for path in pydicom_ct_series()),
                    key=lambda ds: float(ds.ImagePositionPatient[2]))
    volume = np.stack([ds.pixel_array for ds in images]).astype(np.int32)
    labels = np.zeros(volume.shape, np.uint8)
    labels[volume > np.percentile(volume, 80)] = 1
    labels[(volume > np.percentile(volume, 40)) & (volume < np.percentile(volume, 60))] = 2
    tissue = hd.sr.CodedConcept("85756007", "SCT", "Tissue")
    descriptions = [hd.seg.SegmentDescription(
        segment_number=number, segment_label=f"band {number}", segmented_property_category=tissue,
        segmented_property_type=tissue, algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL)
        for number in (1, 2)]
    seg = hd.seg.Segmentation(
        source_images=images, pixel_array=labels, segmentation_type=hd.seg.SegmentationTypeValues.LABELMAP,
        segment_descriptions=descriptions, series_instance_uid=hd.UID(), series_number=5,
        sop_instance_uid=hd.UID(), instance_number=1, manufacturer="test", manufacturer_model_name="test",
        software_versions="1", device_serial_number="1")
    path = folder / "labelmap.dcm"
    seg.save_as(path)
    return path, images, labels


def test_labelmap_seg_written_by_highdicom_loads_its_labels(mrml, tmp_path):
    import highdicom as hd

    path, images, labels = _write_labelmap_seg(tmp_path)
    assert pydicom.dcmread(path, stop_before_pixels=True).SOPClassUID == "1.2.840.10008.5.1.4.1.1.66.7"
    _, result = _load_seg(mrml, path)
    summaries = {summary.name: summary for summary in describe_segmentation(result.nodes[0])}
    assert set(summaries) == {"band 1", "band 2"}  # the background segment 0 is not a segment
    assert any("background" in message for message in result.messages)
    seg = hd.seg.segread(str(path))
    for number in (1, 2):
        # Expected voxel centres straight from the labels we wrote and the CT headers.
        expected = []
        for ds, slice_labels in zip(images, labels, strict=True):
            rows, columns = np.nonzero(slice_labels == number)
            row_dir, column_dir = np.array(ds.ImageOrientationPatient[:3]), np.array(ds.ImageOrientationPatient[3:])
            spacing = [float(v) for v in ds.PixelSpacing]
            expected += list(np.array(ds.ImagePositionPatient, dtype=float) + np.outer(columns * spacing[1], row_dir)
                             + np.outer(rows * spacing[0], column_dir))
        ours = segment_points_lps(result.nodes[0], summaries[f"band {number}"].id)
        assert len(ours) == len(expected) > 0
        key = lambda points: set(map(tuple, np.round(np.asarray(points), 3).tolist()))  # noqa: E731
        assert key(ours) == key(expected)
        # highdicom, reading the same file, counts the same voxels.
        uids = [ds.SOPInstanceUID for ds in images]
        counted = seg.get_pixels_by_source_instance(uids, segment_numbers=[number], skip_overlap_checks=True)
        assert int(np.count_nonzero(counted)) == len(expected)


def test_frames_in_shuffled_order_give_the_same_segments(shared_data, mrml, tmp_path):
    """Frame order carries no meaning: a copy with frames (groups and bits) permuted loads the same voxels."""
    source = shared_data / "liver-ct-seg-sr/seg/partial_overlaps.dcm"
    ds = pydicom.dcmread(source)
    frames, size = int(ds.NumberOfFrames), ds.Rows * ds.Columns
    bits = np.unpackbits(np.frombuffer(ds.PixelData, np.uint8), bitorder="little")[:frames * size]
    order = np.random.default_rng(5).permutation(frames)
    ds.PixelData = np.packbits(bits.reshape(frames, size)[order].ravel(), bitorder="little").tobytes()
    groups = list(ds.PerFrameFunctionalGroupsSequence)
    ds.PerFrameFunctionalGroupsSequence = pydicom.Sequence([groups[i] for i in order])
    shuffled = tmp_path / "shuffled.dcm"
    ds.save_as(shuffled)
    _, original = _load_seg(mrml, source)
    _, permuted = _load_seg(mrml, shuffled)
    first = {s.name: segment_points_lps(original.nodes[0], s.id) for s in describe_segmentation(original.nodes[0])}
    second = {s.name: segment_points_lps(permuted.nodes[0], s.id) for s in describe_segmentation(permuted.nodes[0])}
    assert first.keys() == second.keys() and len(first) == 5
    for name in first:
        assert len(first[name]) > 0
        assert set(map(tuple, np.round(first[name], 3).tolist())) == set(map(tuple, np.round(second[name], 3).tolist()))


@pytest.mark.parametrize("relative", SHARED_SEGS)
def test_terminology_tags_are_what_slicers_terminologies_logic_writes_and_reads(shared_data, mrml, relative):
    """Slicer's own vtkSlicerTerminologiesModuleLogic (slicer-core) serializes the same string and reads it back."""
    import slicer
    import vtk

    from DICOMTeachLib.seg.builder import build_segmentation_node
    from DICOMTeachLib.seg.decode import decode_segmentation

    path = shared_data / relative
    logic = slicer.vtkSlicerTerminologiesModuleLogic()
    node = build_segmentation_node(mrml.scene, decode_segmentation(path), "this SEG", terminologies=logic)
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    segmentation = node.GetSegmentation()
    for item, index in zip(ds.SegmentSequence, range(segmentation.GetNumberOfSegments()), strict=True):
        value = vtk.mutable("")
        assert segmentation.GetNthSegment(index).GetTag("TerminologyEntry", value)
        tag = str(value)

        def code(sequence_item, keyword):
            found = sequence_item.get(keyword)
            return (found[0].CodeValue, found[0].CodingSchemeDesignator, found[0].CodeMeaning) if found \
                else ("", "", "")

        category, kind = code(item, "SegmentedPropertyCategoryCodeSequence"), \
            code(item, "SegmentedPropertyTypeCodeSequence")
        region = code(item, "AnatomicRegionSequence")
        anatomic_context = "this SEG" if any("AnatomicRegionSequence" in s for s in ds.SegmentSequence) \
            else "Anatomic codes - DICOM master list"
        assert tag == logic.SerializeTerminologyEntry(
            "this SEG", *category, *kind, "", "", "", anatomic_context, *region, "", "", "")
        entry = slicer.vtkSlicerTerminologyEntry()
        assert logic.DeserializeTerminologyEntry(tag, entry)
        assert (entry.GetTypeObject().GetCodeValue(), entry.GetTypeObject().GetCodingSchemeDesignator(),
                entry.GetTypeObject().GetCodeMeaning()) == kind
        assert entry.GetCategoryObject().GetCodeValue() == category[0]
        if region[0]:
            assert entry.GetAnatomicRegionObject().GetCodeValue() == region[0]


def test_frames_not_starting_on_byte_boundaries_are_unpacked_right(shared_data, mrml, tmp_path):
    """A 13x11 crop of the liver SEG: 143 bits a frame, so frames 2 and 3 start mid-byte."""
    source = shared_data / "liver-ct-seg-sr/seg/liver.dcm"
    ds = pydicom.dcmread(source)
    frames = int(ds.NumberOfFrames)
    bits = np.unpackbits(np.frombuffer(ds.PixelData, np.uint8), bitorder="little")[:frames * ds.Rows * ds.Columns]
    full = bits.reshape(frames, ds.Rows, ds.Columns)
    # Pick the 13x11 window with the most segment pixels in the middle frame, so the crop is not empty.
    middle = full[frames // 2].astype(np.int64)
    sums = np.lib.stride_tricks.sliding_window_view(middle, (13, 11)).sum(axis=(2, 3))
    top, left = np.unravel_index(np.argmax(np.where(sums < 13 * 11, sums, 0)), sums.shape)
    crop = full[:, top:top + 13, left:left + 11]
    assert 0 < crop.sum() < crop.size
    ds.PixelData = np.packbits(crop.ravel(), bitorder="little").tobytes()
    ds.Rows, ds.Columns = 13, 11
    spacing = [float(v) for v in ds.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0].PixelSpacing]
    for group in ds.PerFrameFunctionalGroupsSequence:
        plane = group.PlanePositionSequence[0]
        x, y, z = (float(v) for v in plane.ImagePositionPatient)
        plane.ImagePositionPatient = [x + left * spacing[1], y + top * spacing[0], z]  # axis-aligned CT
    cropped = tmp_path / "cropped.dcm"
    ds.save_as(cropped)
    _, result = _load_seg(mrml, cropped)
    (summary,) = describe_segmentation(result.nodes[0])
    assert summary.voxel_count == int(crop.sum())
    import highdicom as hd

    seg = hd.seg.segread(str(cropped))
    assert int(np.count_nonzero(seg.get_volume(combine_segments=False).array)) == int(crop.sum())
    # Same places as the uncropped SEG's voxels in that window.
    _, original = _load_seg(mrml, source)
    (whole,) = describe_segmentation(original.nodes[0])

    def keys(points):
        return set(map(tuple, np.round(points, 2).tolist()))

    inside = keys(segment_points_lps(result.nodes[0], summary.id))
    assert inside <= keys(segment_points_lps(original.nodes[0], whole.id)) and len(inside) == crop.sum()


def test_big_endian_seg_loads_the_same_voxels_as_little_endian(mrml):
    """pydicom-data's liver SEG in Explicit VR Big Endian (read through pydicom) and Little Endian (numpy)."""
    from pydicom.data import get_testdata_file

    little, big = (Path(get_testdata_file(name)) for name in ("liver.dcm", "liver_expb.dcm"))
    assert pydicom.dcmread(big, stop_before_pixels=True).file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.2"
    summaries = []
    for path in (little, big):
        _, result = _load_seg(mrml, path)
        (summary,) = describe_segmentation(result.nodes[0])
        summaries.append((summary, segment_points_lps(result.nodes[0], summary.id)))
    (first, first_points), (second, second_points) = summaries
    assert first.voxel_count == second.voxel_count > 0
    assert np.array_equal(first_points, second_points)
