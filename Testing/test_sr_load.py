"""Loading DICOM SR: content trees match dcsrdump, TID 1500 measurements match dcmqi's tid1500reader."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pydicom
import pytest
from oracles.dcmqi import tid1500reader
from oracles.dcsrdump import dcsrdump

from DICOMTeachLib.examine import examine_files
from DICOMTeachLib.loadable import LoadableKind
from DICOMTeachLib.loading import load_loadable
from DICOMTeachLib.sr.content import read_sr
from DICOMTeachLib.sr.examine import examine_structured_reports
from DICOMTeachLib.sr.summary import table_rows

#: Every TID 1500 SR in ../shared/data, with the files loaded beside it (its SEG, its image).
TID1500_SRS = {
    "liver-ct-seg-sr/sr/liver-measurements-sr.dcm": ["liver-ct-seg-sr/seg/liver.dcm"],
    "qin-headneck-sr-seg-no-images/sr.dcm": ["qin-headneck-sr-seg-no-images/seg.dcm"],
    "highdicom-test-files/sr_document.dcm": ["highdicom-test-files/ct_image.dcm"],
    "highdicom-test-files/sr_document_with_multiple_groups.dcm": ["highdicom-test-files/ct_image.dcm"],
}
PYDICOM_SRS = ["test-SR.dcm", "reportsi.dcm"]


def _pydicom_file(name: str) -> Path:
    from pydicom.data import get_testdata_file

    return Path(get_testdata_file(name))


def _load_all(env, paths):
    """Examine the files together and load every loadable, SEG before SR (as the DICOM browser orders them)."""
    result = examine_files([str(path) for path in paths])
    order = {LoadableKind.SCALAR_VOLUME: 0, LoadableKind.SEGMENTATION: 1, LoadableKind.STRUCTURED_REPORT: 2}
    loaded = {}
    for loadable in sorted(result.loadables, key=lambda item: order[item.kind]):
        loaded[loadable.kind] = (loadable, load_loadable(loadable, env.scene))
    return loaded


def _table(result, suffix):
    (node,) = [node for node in result.nodes if node.IsA("vtkMRMLTableNode") and node.GetName().endswith(suffix)]
    columns, rows = table_rows(node)
    return [dict(zip(columns, row, strict=True)) for row in rows]


def _code(row, prefix):
    return (row[f"{prefix} code value"], row[f"{prefix} coding scheme"], row[prefix])


def _dcmqi_code(code):
    return (code["CodeValue"], code["CodingSchemeDesignator"], code["CodeMeaning"]) if code else ("", "", "")


@pytest.mark.parametrize("relative", TID1500_SRS)
def test_measurements_match_dcmqi_tid1500reader(shared_data, mrml, tmp_path, relative):
    path = shared_data / relative
    oracle = tid1500reader(path, tmp_path / "dcmqi.json")
    assert oracle is not None, f"tid1500reader could not read {relative}"
    loaded = _load_all(mrml, [path, *(shared_data / extra for extra in TID1500_SRS[relative])])
    loadable, result = loaded[LoadableKind.STRUCTURED_REPORT]
    assert loadable.confidence > 0.5 and "TID 1500 measurement report" in loadable.confidence_reason
    rows = _table(result, ": measurements")
    expected = [(group, item) for group in oracle["Measurements"] for item in group["measurementItems"]]
    assert len(rows) == len(expected) > 0
    for row, (group, item) in zip(rows, expected, strict=True):
        assert row["Tracking identifier"] == group.get("TrackingIdentifier", "")
        assert row["Tracking UID"] == group.get("TrackingUniqueIdentifier", "")
        assert _code(row, "Finding") == _dcmqi_code(group.get("Finding"))
        if "FindingSite" in group:
            assert _code(row, "Finding site") == _dcmqi_code(group["FindingSite"])
        assert _code(row, "Measurement") == _dcmqi_code(item["quantity"])
        assert row["Value"] == pytest.approx(float(item["value"]), rel=1e-12)
        assert (row["Units"], row["Units meaning"]) == (item["units"]["CodeValue"], item["units"]["CodeMeaning"])
        assert _code(row, "Derivation") == _dcmqi_code(item.get("derivationModifier"))
        if "ReferencedSegment" in group:
            assert row["Segment number"] == str(group["ReferencedSegment"])
            assert row["Segmentation instance UID"] == group["segmentationSOPInstanceUID"]
            # The SEG was loaded first: the row names its segment in the scene.
            seg_loadable, seg_result = loaded[LoadableKind.SEGMENTATION]
            (seg_node,) = seg_result.nodes
            assert row["Segmentation node"] == seg_node.GetName() and row["Segment ID"]
            segment = seg_node.GetSegmentation().GetSegment(row["Segment ID"])
            assert row["Referenced segment"] == segment.GetName()
    has_table = any(node.GetName().endswith(": qualitative evaluations") for node in result.nodes)
    evaluations = _table(result, ": qualitative evaluations") if has_table else []
    expected_evaluations = [(group, evaluation) for group in oracle["Measurements"]
                            for evaluation in group.get("qualitativeEvaluations", [])]
    assert len(evaluations) == len(expected_evaluations)
    for row, (group, evaluation) in zip(evaluations, expected_evaluations, strict=True):
        assert row["Tracking identifier"] == group["TrackingIdentifier"]
        assert _code(row, "Concept") == _dcmqi_code(evaluation["conceptCode"])
        assert _code(row, "Value") == _dcmqi_code(evaluation["conceptValue"])


def _our_items(path: Path):
    return read_sr(str(path)).items()


def _normalized(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").rstrip()


@pytest.mark.parametrize("source", [*TID1500_SRS, *PYDICOM_SRS])
def test_content_tree_matches_dcsrdump(shared_data, source):
    path = _pydicom_file(source) if source in PYDICOM_SRS else shared_data / source
    dump = dcsrdump(path)
    assert dump, f"dcsrdump could not read {source}"
    ours = _our_items(path)
    assert len(ours) == len(dump)
    for item, theirs in zip(ours, dump, strict=True):
        where = f"{source} item {item.position}"
        assert item.depth == theirs.depth, where
        assert item.relationship == theirs.relationship, where
        assert item.by_reference == theirs.by_reference, where
        if theirs.by_reference:
            continue
        assert item.value_type == theirs.value_type, where
        if theirs.concept is not None:
            assert item.concept is not None, where
            assert (item.concept.value, item.concept.scheme, item.concept.meaning) == theirs.concept, where
        if item.value_type in ("TEXT", "UIDREF", "PNAME", "DATE", "TIME", "DATETIME"):
            assert _normalized(item.text) == _normalized(theirs.value), where
        elif item.value_type == "CODE":
            assert f'({item.code.value},{item.code.scheme},"{item.code.meaning}")' == theirs.value, where
        elif item.value_type == "NUM" and item.number is not None:
            number = theirs.value.split(" ")[0]
            assert item.number == pytest.approx(float(number)), where
            units = re.search(r'\(([^,]*),([^,]*),"(.*)"\)', theirs.value)
            assert (item.units.value, item.units.scheme, item.units.meaning) == units.groups(), where
        elif item.value_type in ("SCOORD", "SCOORD3D"):
            graphic, _, data = theirs.value.partition(" {")
            assert item.graphic_type == graphic, where
            values = [float(v) for v in data.split("}")[0].split(",")]
            assert np.allclose(item.graphic_data, values, rtol=1e-6), where
        elif item.value_type == "IMAGE" and theirs.value:
            assert item.references[0].sop_instance_uid in theirs.value, where


def test_image_region_becomes_a_curve_where_highdicom_maps_it(shared_data, mrml):
    """SCOORD CIRCLE on the CT -> closed curve around the centre highdicom's transformer finds, right radius."""
    import highdicom as hd

    sr_path = shared_data / "highdicom-test-files/sr_document_with_multiple_groups.dcm"
    ct_path = shared_data / "highdicom-test-files/ct_image.dcm"
    loaded = _load_all(mrml, [sr_path, ct_path])
    _, result = loaded[LoadableKind.STRUCTURED_REPORT]
    curves = {node.GetName(): node for node in result.nodes if node.IsA("vtkMRMLMarkupsNode")}
    circle = curves["LungNodule0001: Image Region"]
    assert circle.IsA("vtkMRMLMarkupsClosedCurveNode")
    points_ras = np.array([circle.GetNthControlPointPosition(i) for i in range(circle.GetNumberOfControlPoints())])
    transformer = hd.spatial.ImageToReferenceTransformer.for_image(pydicom.dcmread(ct_path))
    center_lps, edge_lps = transformer(np.array([[45.0, 55.0], [45.0, 65.0]]))
    center_ras = center_lps * np.array([-1, -1, 1])
    assert np.allclose(points_ras.mean(axis=0), center_ras, atol=1e-6)
    radius = np.linalg.norm(edge_lps - center_lps)
    assert np.allclose(np.linalg.norm(points_ras - center_ras, axis=1), radius, atol=1e-6)
    polyline = curves["Aorta0001: Image Region"]
    assert polyline.IsA("vtkMRMLMarkupsCurveNode") and polyline.GetNumberOfControlPoints() == 4
    first = transformer(np.array([[25.0, 45.0]]))[0] * np.array([-1, -1, 1])
    assert np.allclose(polyline.GetNthControlPointPosition(0), first, atol=1e-6)
    # SCOORD3D POINT: patient coordinates, LPS -> RAS, with its frame of reference.
    point = curves["Vertebra0001: Volume Surface"]
    assert point.IsA("vtkMRMLMarkupsFiducialNode")
    assert np.allclose(point.GetNthControlPointPosition(0), [-123.5, -234.100006103516, -23.7000007629395])
    assert point.GetAttribute("DICOM.FrameOfReferenceUID") == pydicom.dcmread(ct_path).FrameOfReferenceUID


def test_image_region_without_its_image_is_skipped_with_reason(shared_data, mrml):
    sr_path = shared_data / "highdicom-test-files/sr_document.dcm"
    loaded = _load_all(mrml, [sr_path])
    loadable, result = loaded[LoadableKind.STRUCTURED_REPORT]
    assert not any(node.IsA("vtkMRMLMarkupsNode") for node in result.nodes)
    (reason,) = result.skipped
    assert "CIRCLE" in reason and "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322" in reason
    assert len(_table(result, ": measurements")) == 1


def test_sr_and_seg_without_images_load_with_warnings(shared_data, mrml):
    folder = shared_data / "qin-headneck-sr-seg-no-images"
    loaded = _load_all(mrml, sorted(folder.glob("*.dcm")))
    sr_loadable, sr_result = loaded[LoadableKind.STRUCTURED_REPORT]
    missing_series = pydicom.dcmread(folder / "seg.dcm", stop_before_pixels=True) \
        .ReferencedSeriesSequence[0].SeriesInstanceUID
    assert any(missing_series in warning for warning in sr_loadable.warnings)
    seg_loadable, seg_result = loaded[LoadableKind.SEGMENTATION]
    assert any(missing_series in warning for warning in seg_loadable.warnings)
    assert seg_result.nodes and sr_result.nodes
    rows = _table(sr_result, ": measurements")
    assert rows and all(row["Segment ID"] == "Segment_1" for row in rows)
    # Everything sits under the one study, the SR's nodes under its series.
    sh = mrml.scene.GetSubjectHierarchyNode()
    series_item = sh.GetItemByDataNode(sr_result.nodes[0])
    for node in sr_result.nodes[1:]:
        assert sh.GetItemParent(sh.GetItemByDataNode(node)) == series_item
    assert sh.GetItemParent(series_item) == sh.GetItemParent(sh.GetItemByDataNode(seg_result.nodes[0]))


def test_examine_uses_the_given_headers_and_opens_no_file(shared_data, tmp_path):
    """Examine works from the headers it is handed: the paths need not even exist any more."""
    sources = [shared_data / relative for relative in TID1500_SRS]
    headers = {str(tmp_path / f"gone-{index}.dcm"): pydicom.dcmread(path, stop_before_pixels=True)
               for index, path in enumerate(sources)}
    loadables = examine_structured_reports(headers)
    assert [loadable.files[0] for loadable in loadables] == list(headers)
    assert all(loadable.confidence == 0.95 for loadable in loadables)


def test_unresolved_by_reference_is_flagged_not_fatal(mrml, tmp_path):
    ds = pydicom.dcmread(_pydicom_file("test-SR.dcm"))

    def by_reference_items(item):
        for child in item.get("ContentSequence", []):
            if "ReferencedContentItemIdentifier" in child:
                yield child
            yield from by_reference_items(child)

    first, second = by_reference_items(ds)
    assert [int(v) for v in second.ReferencedContentItemIdentifier] == [1, 2, 2, 1]
    first.ReferencedContentItemIdentifier = [1, 9, 9]
    damaged = tmp_path / "dangling.dcm"
    ds.save_as(damaged)
    loaded = _load_all(mrml, [damaged])
    _, result = loaded[LoadableKind.STRUCTURED_REPORT]
    assert any("by-reference target 1.9.9 does not exist" in message for message in result.messages)
    rows = _table(result, ": content items")
    assert any(row["References"] == "item 1.9.9 (missing)" for row in rows)
    assert any(row["References"] == "item 1.2.2.1" for row in rows)  # the other one resolves


def test_unknown_template_loads_as_a_plain_tree(shared_data, mrml, tmp_path):
    ds = pydicom.dcmread(shared_data / "liver-ct-seg-sr/sr/liver-measurements-sr.dcm")
    ds.ContentTemplateSequence[0].TemplateIdentifier = "99999"
    ds.ConceptNameCodeSequence[0].CodeValue = "99999"
    damaged = tmp_path / "unknown-template.dcm"
    ds.save_as(damaged)
    loaded = _load_all(mrml, [damaged])
    loadable, result = loaded[LoadableKind.STRUCTURED_REPORT]
    assert "TID 1500" not in loadable.confidence_reason
    assert [node.GetClassName() for node in result.nodes] == ["vtkMRMLTextNode", "vtkMRMLTableNode"]
    assert len(_table(result, ": content items")) == len(read_sr(str(damaged)).items())
    assert "Attenuation Coefficient" in result.nodes[0].GetText()


def test_truncated_sr_is_reported_by_examine(shared_data, tmp_path):
    data = (shared_data / "liver-ct-seg-sr/sr/liver-measurements-sr.dcm").read_bytes()
    damaged = tmp_path / "truncated.dcm"
    damaged.write_bytes(data[: len(data) // 2])
    result = examine_files([str(damaged)])
    assert result.loadables == [] and str(damaged) in result.unreadable


def test_load_json_lists_segments_and_table_rows(shared_data, capsys):
    """``dicomteach load --json``: per segmentation its segments (name, colour, codes, voxels), per table its rows."""
    import json

    from DICOMTeachLib.cli import main

    folder = shared_data / "liver-ct-seg-sr"
    assert main(["load", "--json", str(folder / "seg" / "liver.dcm"), str(folder / "sr")]) == 0
    output = json.loads(capsys.readouterr().out)
    nodes = [node for patient in output["patients"] for study in patient["studies"] for series in study["series"]
             for node in series["nodes"]]
    (segmentation,) = [node for node in nodes if node["class_name"] == "vtkMRMLSegmentationNode"]
    (segment,) = segmentation["details"]["segments"]
    seg = pydicom.dcmread(folder / "seg" / "liver.dcm")
    assert segment["name"] == seg.SegmentSequence[0].SegmentLabel
    assert segment["terminology"]["type"] == {"value": "T-62000", "scheme": "SRT", "meaning": "Liver"}
    assert segment["voxel_count"] == int(np.unpackbits(np.frombuffer(seg.PixelData, np.uint8)).sum())
    assert len(segment["color"]) == 3
    tables = {node["name"]: node["details"] for node in nodes if node["class_name"] == "vtkMRMLTableNode"}
    measurements = tables["Measurements: measurements"]["rows"]
    assert len(measurements) == 6
    assert measurements[0]["Value"] == pytest.approx(37.3289) and measurements[0]["Units"] == "[hnsf'U]"
    assert measurements[0]["Referenced segment"] == segment["name"]
    assert len(tables["Measurements: content items"]["rows"]) == len(read_sr(
        str(folder / "sr" / "liver-measurements-sr.dcm")).items())


def _write_3d_regions_sr(folder: Path, ct: pydicom.Dataset) -> Path:
    """A Comprehensive 3D SR written by highdicom: an ELLIPSOID volume surface, a POLYGON and an ELLIPSE region."""
    import highdicom as hd

    frame_of_reference = ct.FrameOfReferenceUID
    nodule = hd.sr.CodedConcept("27925004", "SCT", "Nodule")
    volume = hd.sr.Measurement(name=hd.sr.CodedConcept("118565006", "SCT", "Volume"), value=1.5,
                               unit=hd.sr.CodedConcept("mm3", "UCUM", "cubic millimeter"))

    def tracking(name):
        return hd.sr.TrackingIdentifier(uid=hd.UID(), identifier=name)

    ellipsoid = hd.sr.VolumeSurface(
        graphic_type=hd.sr.GraphicTypeValues3D.ELLIPSOID,
        graphic_data=np.array([[10, 20, 30], [30, 20, 30], [20, 15, 30], [20, 25, 30], [20, 20, 26], [20, 20, 34]],
                              dtype=float),
        frame_of_reference_uid=frame_of_reference,
        source_images=[hd.sr.SourceImageForSegmentation.from_source_image(ct)])
    polygon = hd.sr.ImageRegion3D(graphic_type=hd.sr.GraphicTypeValues3D.POLYGON,
                                  graphic_data=np.array([[0, 0, 5], [10, 0, 5], [10, 10, 5], [0, 0, 5]], dtype=float),
                                  frame_of_reference_uid=frame_of_reference)
    ellipse = hd.sr.ImageRegion3D(graphic_type=hd.sr.GraphicTypeValues3D.ELLIPSE,
                                  graphic_data=np.array([[-5, 0, 0], [5, 0, 0], [0, -2, 0], [0, 2, 0]], dtype=float),
                                  frame_of_reference_uid=frame_of_reference)
    groups = [
        hd.sr.VolumetricROIMeasurementsAndQualitativeEvaluations(
            tracking_identifier=tracking("ellipsoid"), referenced_volume_surface=ellipsoid, finding_type=nodule,
            measurements=[volume]),
        hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
            tracking_identifier=tracking("polygon"), referenced_region=polygon, finding_type=nodule),
        hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
            tracking_identifier=tracking("ellipse"), referenced_region=ellipse, finding_type=nodule),
    ]
    observer = hd.sr.ObserverContext(observer_type=hd.sr.CodedConcept("121006", "DCM", "Person"),
                                     observer_identifying_attributes=hd.sr.PersonObserverIdentifyingAttributes(
                                         name="Doe^Jane"))
    report = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(observer_person_context=observer),
        procedure_reported=hd.sr.CodedConcept("25045-6", "LN", "CT unspecified body region"),
        imaging_measurements=groups)
    sr = hd.sr.Comprehensive3DSR(evidence=[ct], content=report, series_instance_uid=hd.UID(), series_number=7,
                                 sop_instance_uid=hd.UID(), instance_number=1, manufacturer="test")
    path = folder / "regions3d.dcm"
    sr.save_as(path)
    return path


def test_3d_regions_become_roi_and_closed_curves(shared_data, mrml, tmp_path):
    ct = pydicom.dcmread(shared_data / "highdicom-test-files/ct_image.dcm")
    path = _write_3d_regions_sr(tmp_path, ct)
    loaded = _load_all(mrml, [path])
    _, result = loaded[LoadableKind.STRUCTURED_REPORT]
    assert result.skipped == []
    markups = {node.GetName().split(":")[0]: node for node in result.nodes if node.IsA("vtkMRMLMarkupsNode")}
    roi = markups["ellipsoid"]
    assert roi.IsA("vtkMRMLMarkupsROINode")
    center = [0.0, 0.0, 0.0]
    roi.GetCenterWorld(center)
    assert np.allclose(center, [-20, -20, 30])  # LPS (20, 20, 30) in RAS
    size = [0.0, 0.0, 0.0]
    roi.GetSizeWorld(size)
    assert np.allclose(sorted(size), [8, 10, 20])  # the ellipsoid's three diameters
    assert roi.GetAttribute("DICOM.FrameOfReferenceUID") == ct.FrameOfReferenceUID
    polygon = markups["polygon"]
    assert polygon.IsA("vtkMRMLMarkupsClosedCurveNode") and polygon.GetNumberOfControlPoints() == 3
    assert np.allclose(polygon.GetNthControlPointPosition(1), [-10, 0, 5])
    ellipse = markups["ellipse"]
    points = np.array([ellipse.GetNthControlPointPosition(i) for i in range(ellipse.GetNumberOfControlPoints())])
    # On the ellipse x^2/5^2 + y^2/2^2 = 1 (z = 0), in RAS.
    assert np.allclose((points[:, 0] / 5) ** 2 + (points[:, 1] / 2) ** 2, 1) and np.allclose(points[:, 2], 0)


def test_image_region_is_placed_on_a_loaded_volume_when_examined_alone(shared_data, mrml):
    """Slicer examines one series at a time: the SR's image is then found as a slice of a loaded volume."""
    ct_path = shared_data / "highdicom-test-files/ct_image.dcm"
    sr_path = shared_data / "highdicom-test-files/sr_document.dcm"
    _load_all(mrml, [ct_path])  # the CT first, in a separate examine, as the DICOM browser would
    loaded = _load_all(mrml, [sr_path])
    _, result = loaded[LoadableKind.STRUCTURED_REPORT]
    assert result.skipped == []
    (circle,) = [node for node in result.nodes if node.IsA("vtkMRMLMarkupsNode")]
    import highdicom as hd

    transformer = hd.spatial.ImageToReferenceTransformer.for_image(pydicom.dcmread(ct_path))
    center = transformer(np.array([[58.0, 52.0]]))[0] * np.array([-1, -1, 1])
    points = np.array([circle.GetNthControlPointPosition(i) for i in range(circle.GetNumberOfControlPoints())])
    assert np.allclose(points.mean(axis=0), center, atol=1e-4)
