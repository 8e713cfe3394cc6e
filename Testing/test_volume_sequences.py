"""4D series load as volume sequences, each time point equal to Slicer's archetype reader on its files.

The 4D series are written at test time from real LIDC CT slices (fourd_data): GE style (positions cycle,
only InstanceNumber changes) and with TemporalPositionIdentifier/TriggerTime.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from fourd_data import neighbouring_slices, time_point_files, write_4d_series
from volume_helpers import archetype, ijk_to_ras, two_time_point_multiframe, voxels

from DICOMTeachLib.cli import main
from DICOMTeachLib.errors import LoadError
from DICOMTeachLib.examine import default_selection, examine_files
from DICOMTeachLib.loadable import LoadableKind
from DICOMTeachLib.loading import load_loadable

SLICES, TIME_POINTS = 5, 3


@pytest.fixture(scope="module")
def sources(lidc_ct_files):
    return neighbouring_slices(lidc_ct_files, SLICES)


@pytest.fixture(scope="module")
def ge_series(sources, tmp_path_factory):
    return write_4d_series(sources, tmp_path_factory.mktemp("ge-4d"), TIME_POINTS, "instance-number")


@pytest.fixture(scope="module")
def temporal_series(sources, tmp_path_factory):
    return write_4d_series(sources, tmp_path_factory.mktemp("temporal-4d"), TIME_POINTS, "temporal")


def _sequence_loaded(paths, scene):
    chosen = default_selection(examine_files([str(p) for p in paths]).loadables)
    assert [item.kind for item in chosen] == [LoadableKind.VOLUME_SEQUENCE]
    proxy, sequence, browser = load_loadable(chosen[0], scene).nodes
    return chosen[0], proxy, sequence, browser


@pytest.mark.parametrize("style", ["ge", "temporal"])
def test_each_time_point_equals_slicers_archetype_reader(style, ge_series, temporal_series, mrml):
    paths = ge_series if style == "ge" else temporal_series
    loadable, proxy, sequence, browser = _sequence_loaded(paths, mrml.scene)
    assert sequence.GetNumberOfDataNodes() == TIME_POINTS
    for t in range(TIME_POINTS):
        reference = archetype(mrml, time_point_files(paths, t, SLICES), f"reference {t}")
        item = sequence.GetNthDataNode(t)
        assert np.array_equal(voxels(item), voxels(reference)), f"time point {t + 1}"
        assert np.allclose(ijk_to_ras(item), ijk_to_ras(reference), atol=1e-4)
    # the written time points differ by 3 in stored value: the order is the acquisition's
    first, last = voxels(sequence.GetNthDataNode(0)), voxels(sequence.GetNthDataNode(TIME_POINTS - 1))
    assert np.array_equal(last.astype(np.int32) - first, np.full(first.shape, 3 * (TIME_POINTS - 1)))
    assert browser.GetMasterSequenceNode() is sequence and browser.GetProxyNode(sequence) is proxy
    assert np.array_equal(voxels(proxy), first)


def test_ge_style_series_is_ordered_by_instance_number(ge_series, mrml):
    loadable, proxy, sequence, _ = _sequence_loaded(ge_series, mrml.scene)
    assert (sequence.GetIndexName(), sequence.GetIndexUnit()) == ("InstanceNumber order", "")
    assert [sequence.GetNthIndexValue(i) for i in range(TIME_POINTS)] == ["1", "2", "3"]
    numbers = [sequence.GetNthDataNode(i).GetAttribute("DICOM.instanceNumbers").split() for i in range(TIME_POINTS)]
    assert [sorted(map(int, n)) for n in numbers] == [list(range(t * SLICES + 1, (t + 1) * SLICES + 1))
                                                      for t in range(TIME_POINTS)]
    assert proxy.GetVoxelValueUnits().GetCodeMeaning() == "Hounsfield unit"
    display = proxy.GetDisplayNode()  # the data's window/level, no histogram of the voxels
    assert not display.GetAutoWindowLevel()
    assert (display.GetWindow(), display.GetLevel()) == tuple(
        reversed(loadable.plan.time_points[0].window_presets[0]))


def test_temporal_series_index_names_the_attribute_and_unit(temporal_series, mrml):
    loadable, proxy, sequence, _ = _sequence_loaded(temporal_series, mrml.scene)
    assert (sequence.GetIndexName(), sequence.GetIndexUnit()) == ("TemporalPositionIdentifier", "count")
    assert [sequence.GetNthIndexValue(i) for i in range(TIME_POINTS)] == ["1", "2", "3"]
    assert loadable.plan.time_points[2].identity.series_instance_uid == loadable.series_instance_uid


def test_a_series_with_one_time_point_short_warns_and_loads_nothing(sources, tmp_path, mrml):
    paths = write_4d_series(sources, tmp_path / "short", TIME_POINTS, "instance-number", drop=(2, 4))
    loadables = examine_files([str(p) for p in paths]).loadables
    assert all(item.kind != LoadableKind.VOLUME_SEQUENCE for item in loadables)
    (whole,) = [item for item in loadables if len(item.files) == len(paths)]
    assert any("positions repeat unequally" in w and "time point short" in w for w in whole.warnings)
    for chosen in default_selection(loadables):
        with pytest.raises(LoadError, match="not loaded"):
            load_loadable(chosen, mrml.scene)
    assert mrml.scene.GetNumberOfNodesByClass("vtkMRMLVolumeNode") == 0


def test_load_json_shows_the_sequence_with_each_item_described_like_a_volume(ge_series, capsys):
    folder = ge_series[0].parent
    assert main(["load", "--json", str(folder)]) == 0
    tree = json.loads(capsys.readouterr().out)
    (series,) = [s for p in tree["patients"] for st in p["studies"] for s in st["series"]]
    (node,) = series["nodes"]
    sequence = node["details"]["sequence"]
    assert sequence["index_name"] == "InstanceNumber order" and len(sequence["items"]) == TIME_POINTS
    for t, item in enumerate(sequence["items"]):
        assert item["index_value"] == str(t + 1) and item["dimensions"] == [512, 512, SLICES]
        assert len(item["ijk_to_ras"]) == 4 and item["scalar_type"] == node["details"]["scalar_type"] == "int"
    assert len({item["sha256"] for item in sequence["items"]}) == TIME_POINTS
    assert node["details"]["sha256"] == sequence["items"][0]["sha256"]  # the proxy shows the first time point


def test_sha256_of_an_item_is_the_hash_of_its_voxels(ge_series, mrml):
    _, _, sequence, _ = _sequence_loaded(ge_series, mrml.scene)
    from DICOMTeachLib.scene_summary import describe_sequence

    described = describe_sequence(sequence)
    item = sequence.GetNthDataNode(1)
    assert described["items"][1]["sha256"] == hashlib.sha256(np.ascontiguousarray(voxels(item)).data).hexdigest()


def test_enhanced_multiframe_with_a_temporal_dimension_loads_as_a_sequence(shared_data, tmp_path, mrml):
    path = two_time_point_multiframe(shared_data / "small-seg-24x38x3" / "multiframe" / "mf.dcm",
                                     tmp_path / "mf-4d.dcm", offset=7)

    loadable, proxy, sequence, _ = _sequence_loaded([path], mrml.scene)
    assert (sequence.GetIndexName(), sequence.GetIndexUnit()) == ("TemporalPositionIndex", "count")
    first, second = (voxels(sequence.GetNthDataNode(i)) for i in range(2))
    reference = archetype(mrml, [shared_data / "small-seg-24x38x3" / "multiframe" / "mf.dcm"])  # the 3D original
    assert np.array_equal(first, voxels(reference)) and np.array_equal(second, first + 7)
    assert np.allclose(ijk_to_ras(sequence.GetNthDataNode(1)), ijk_to_ras(reference), atol=1e-4)


def test_a_time_of_day_orders_the_time_points_in_milliseconds_from_the_first(sources, tmp_path, mrml):
    paths = write_4d_series(sources, tmp_path / "acq", TIME_POINTS, "acquisition-time")
    loadable, _, sequence, _ = _sequence_loaded(paths, mrml.scene)
    assert (sequence.GetIndexName(), sequence.GetIndexUnit()) == ("AcquisitionTime", "ms")
    assert [sequence.GetNthIndexValue(i) for i in range(TIME_POINTS)] == ["0", "30000", "60000"]
    for t in range(TIME_POINTS):  # across the hour: 09:59:30 comes before 10:00:00
        reference = archetype(mrml, time_point_files(paths, t, SLICES), f"reference {t}")
        assert np.array_equal(voxels(sequence.GetNthDataNode(t)), voxels(reference))
