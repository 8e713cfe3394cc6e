"""Following what the student looks at: the crosshair, the frame of a multi-frame file under the slice, and
the series picked in the DICOM browser (classic table or CTK's visual browser).

Scenes are real headless MRML scenes (slicer-core) with volumes loaded by the project's loader; the panel is
the Qt code Slicer runs, under PyQt5 offscreen. What each test expects comes from the files (pydicom): the
instance whose Image Position (Patient) lies on the point, the frame whose Plane Position does. The DICOM
browser and its database cannot run outside Slicer: the stand-ins below carry the names CTK 5056664a (the
CTK Slicer 5.12 builds) gives them, and say so where they are defined.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest

from DICOMTeachLib.examine import default_selection, examine_paths
from DICOMTeachLib.explain import explain
from DICOMTeachLib.explain.breakdown import per_frame_item
from DICOMTeachLib.index import index_paths
from DICOMTeachLib.loading import load_loadable
from DICOMTeachLib.panel.browser_follow import SeriesSelectionTracker, clean_series_uids, series_files
from DICOMTeachLib.panel.follow import (
    CrosshairFollower,
    SliceFollower,
    resolver_for_files,
    view_parallel_to_slices,
)
from DICOMTeachLib.panel.model import TeachingPanelModel
from DICOMTeachLib.panel.tree import per_frame_sequence_key
from DICOMTeachLib.testdata import pydicom_test_file

#: Enhanced multi-frame files written by others: a Legacy Converted Enhanced CT (dcmqi's test data, 3 frames in
#: ascending order) and pydicom-data's Enhanced CT (2 frames, the first one last along the volume's K axis).
MULTI_FRAME = ["small-seg-24x38x3/multiframe/mf.dcm", "pydicom:eCT_Supplemental.dcm"]


@pytest.fixture
def multi_frame(request) -> Path:
    """One of MULTI_FRAME; the shared data folder is asked for only by the case that needs it."""
    name = request.param
    if name.startswith("pydicom:"):
        return Path(pydicom_test_file(name.split(":", 1)[1]))
    return request.getfixturevalue("shared_data") / name


def _load(mrml, files):
    files = [str(path) for path in files]
    nodes = []
    for loadable in default_selection(examine_paths(files).loadables):
        nodes += load_loadable(loadable, mrml.scene).nodes
    volume = next(node for node in nodes if node.IsA("vtkMRMLScalarVolumeNode"))
    return volume, resolver_for_files(files)


def _panel(qt, resolve=None):
    from DICOMTeachLib.panel.qt_panel import TeachingPanel

    panel = TeachingPanel(qt, TeachingPanelModel(resolve=resolve), open_page=lambda path: None)
    panel.widget.resize(860, 760)
    panel.widget.show()
    return panel


def _ras_of_voxel(volume, i, j, k):
    import vtk

    matrix = vtk.vtkMatrix4x4()
    volume.GetIJKToRASMatrix(matrix)
    return tuple(matrix.MultiplyPoint((float(i), float(j), float(k), 1.0))[:3])


def _frame_on_plane(path, ras) -> int:
    """From the file: the frame whose Plane Position, moved along its normal, reaches the point (LPS)."""
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    shared = ds.get("SharedFunctionalGroupsSequence")
    found = []
    for number, item in enumerate(ds.PerFrameFunctionalGroupsSequence, start=1):
        orientation = (item.get("PlaneOrientationSequence") or shared[0].PlaneOrientationSequence)[0]
        row, column = np.array(orientation.ImageOrientationPatient[:3], float), \
            np.array(orientation.ImageOrientationPatient[3:], float)
        position = np.array(item.PlanePositionSequence[0].ImagePositionPatient, float)
        lps = np.array([-ras[0], -ras[1], ras[2]])
        if abs(float(np.cross(row, column) @ (lps - position))) < 1e-3:
            found.append(number)
    assert len(found) == 1, found
    return found[0]


# -- multi-frame: the frame under the slice -> its per-frame functional groups item ------------------------


@pytest.mark.parametrize("multi_frame", MULTI_FRAME, indirect=True)
def test_frame_1_item_reported_alone_equals_the_breakdowns_item(multi_frame):
    explanation = explain(multi_frame)
    module, sequence = next((module, attribute) for module in explanation.modules
                            for attribute in module.attributes if attribute.tag == "(5200,9230)")
    assert len(sequence.items) == 1  # the breakdown keeps frame 1's item only
    assert per_frame_item(multi_frame, 1, module.id) == sequence.items[0]


@pytest.mark.parametrize("multi_frame", MULTI_FRAME, indirect=True)
def test_each_frames_item_holds_that_frames_plane_position_at_its_place_in_the_file(multi_frame):
    ds = pydicom.dcmread(multi_frame, stop_before_pixels=True)
    data = multi_frame.read_bytes()
    for number, item in enumerate(ds.PerFrameFunctionalGroupsSequence, start=1):
        reports = per_frame_item(multi_frame, number)
        assert [report.keyword for report in reports] == [element.keyword for element in item]
        position = next(report for report in reports if report.keyword == "PlanePositionSequence")
        inner = position.items[0][0]
        assert inner.keyword == "ImagePositionPatient"
        assert [float(v) for v in inner.value.split("\\")] == [float(v) for v in
                                                               item.PlanePositionSequence[0].ImagePositionPatient]
        assert data[inner.offset:inner.offset + 4] == bytes.fromhex("20 00 32 00")  # (0020,0032), little endian
    with pytest.raises(Exception, match=f"no frame {len(ds.PerFrameFunctionalGroupsSequence) + 1}"):
        per_frame_item(multi_frame, len(ds.PerFrameFunctionalGroupsSequence) + 1)


@pytest.mark.parametrize("multi_frame", MULTI_FRAME, indirect=True)
def test_moving_the_slice_through_a_multi_frame_volume_selects_the_frame_item_under_it(qt, mrml, multi_frame):
    volume, resolve = _load(mrml, [multi_frame])
    panel = _panel(qt, resolve)
    panel.showNode(volume)
    frames = int(pydicom.dcmread(multi_frame, stop_before_pixels=True).NumberOfFrames)
    slice_node = mrml.scene.AddNewNodeByClass("vtkMRMLSliceNode")
    slice_node.SetOrientationToAxial()
    follower = SliceFollower(slice_node, lambda: volume, panel.followPoint)
    try:
        seen = []
        for k in reversed(range(volume.GetImageData().GetDimensions()[2])):
            ras = _ras_of_voxel(volume, 3, 3, k)
            slice_node.JumpSliceByCentering(*ras)
            frame = _frame_on_plane(multi_frame, ras)
            sequence_key = per_frame_sequence_key(panel.content.tree)
            assert panel.selectedKey() == f"{sequence_key}/item{frame}"
            selected = panel.tree.currentItem()
            assert selected.text(0) == f"item {frame}"
            shown = {selected.child(i).text(0) for i in range(selected.childCount())}
            assert shown == {element.keyword for element in
                             pydicom.dcmread(multi_frame, stop_before_pixels=True)
                             .PerFrameFunctionalGroupsSequence[frame - 1]}
            assert f"Frame {frame} of {frames} under the slice" in panel.summaryLabel.text()
            seen.append(frame)
        assert sorted(seen) == list(range(1, frames + 1))  # every frame reached once
        if multi_frame.name == "eCT_Supplemental.dcm":
            from test_panel_qt import _screenshot

            _screenshot(panel, qt, "panel-frame.png")
        explains = panel.model.explain_count
        slice_node.JumpSliceByCentering(*_ras_of_voxel(volume, 3, 3, 0))
        assert panel.model.explain_count == explains == 1  # one file, explained once, whatever the frame
    finally:
        follower.stop()


def test_the_frame_item_of_a_reordered_copy_follows_the_plane_not_the_file_order(qt, mrml, shared_data, tmp_path):
    """The same frames written in reverse file order (pixels and per-frame items together): the slice at a
    place still selects the item of the frame lying there, now with another number."""
    source = shared_data / "small-seg-24x38x3" / "multiframe" / "mf.dcm"
    ds = pydicom.dcmread(source)
    count = int(ds.NumberOfFrames)
    pixels = ds.pixel_array
    ds.PerFrameFunctionalGroupsSequence = pydicom.Sequence(list(reversed(ds.PerFrameFunctionalGroupsSequence)))
    ds.PixelData = np.ascontiguousarray(pixels[::-1]).tobytes()
    copy = tmp_path / "reversed.dcm"
    ds.save_as(copy, enforce_file_format=True)
    volume, resolve = _load(mrml, [copy])
    panel = _panel(qt, resolve)
    panel.showNode(volume)
    for k in range(count):
        ras = _ras_of_voxel(volume, 3, 3, k)
        assert panel.followPoint(volume, ras)
        frame = _frame_on_plane(copy, ras)
        assert panel.content.frame == frame == count - _frame_on_plane(source, ras) + 1
        assert panel.selectedKey().endswith(f"/item{frame}")
        voxels = pydicom.dcmread(copy).pixel_array[frame - 1]
        from vtkmodules.util import numpy_support

        image = volume.GetImageData()
        slab = numpy_support.vtk_to_numpy(image.GetPointData().GetScalars()).reshape(
            image.GetDimensions()[::-1])[k]
        assert np.array_equal(slab, voxels.astype(slab.dtype))  # the voxels shown there are that frame's


def test_the_frame_items_phi_is_masked_like_the_breakdowns(qt, mrml, shared_data):
    """Each frame of the legacy converted CT names its source slice (Referenced SOP Instance UID, PS3.15 action
    U): hidden in frame 3's item under the mask, in the tree and in the bytes, shown without it."""
    path = shared_data / "small-seg-24x38x3" / "multiframe" / "mf.dcm"
    source_uid = str(pydicom.dcmread(path, stop_before_pixels=True).PerFrameFunctionalGroupsSequence[2]
                     .ConversionSourceAttributesSequence[0].ReferencedSOPInstanceUID)
    volume, resolve = _load(mrml, [path])
    panel = _panel(qt, resolve)
    panel.showNode(volume)
    assert panel.followPoint(volume, _ras_of_voxel(volume, 0, 0, 2)) and panel.content.frame == 3
    key = f"{panel.content.frame_key}/(0020,9172)/item1/(0008,1155)"
    row = panel.content.tree.row(key)
    assert source_uid not in row.columns[6] and "••••" in row.columns[6]
    panel.selectKey(key)
    assert source_uid[:12].encode().hex(" ") not in panel.bytesView.toPlainText()
    assert "08 00 55 11" in panel.bytesView.toPlainText()  # its tag, little endian, read from the file
    panel.maskCheckBox.setChecked(False)
    assert panel.content.frame == 3 and panel.content.tree.row(key).columns[6] == source_uid
    panel.selectKey(key)
    assert source_uid[:12].encode().hex(" ") in panel.bytesView.toPlainText()  # the UID's bytes, from the file


# -- the crosshair -------------------------------------------------------------------------------------


def test_moving_the_crosshair_changes_the_explained_instance(qt, mrml, shared_data):
    volume, resolve = _load(mrml, sorted((shared_data / "liver-ct-seg-sr" / "ct").glob("*.dcm")))
    panel = _panel(qt, resolve)
    panel.showNode(volume)
    crosshair = mrml.scene.AddNewNodeByClass("vtkMRMLCrosshairNode")
    follower = CrosshairFollower(crosshair, lambda: panel.model.node, panel.followPoint)
    try:
        seen = []
        for k in (2, 0, 1):
            ras = _ras_of_voxel(volume, 7, 9, k)
            crosshair.SetCrosshairRAS(*ras)
            shown = pydicom.dcmread(panel.content.path, stop_before_pixels=True)
            assert np.isclose(float(shown.ImagePositionPatient[2]), ras[2], atol=1e-3)  # axial: LPS z = RAS S
            seen.append(str(shown.SOPInstanceUID))
        assert len(set(seen)) == 3
        crosshair.SetCrosshairThickness(2)  # the crosshair's look changes, not its place: nothing to redo
        assert str(pydicom.dcmread(panel.content.path, stop_before_pixels=True).SOPInstanceUID) == seen[-1]
    finally:
        follower.stop()
    crosshair.SetCrosshairRAS(*_ras_of_voxel(volume, 7, 9, 2))
    assert str(pydicom.dcmread(panel.content.path, stop_before_pixels=True).SOPInstanceUID) == seen[-1]  # stopped


def test_a_view_across_the_slices_is_not_followed_but_the_crosshair_in_it_is(qt, mrml, shared_data):
    """A sagittal view of an axial CT shows a line of every slice: its centre says nothing about the instance
    meant. Shift+move there sets the crosshair, which does."""
    volume, resolve = _load(mrml, sorted((shared_data / "liver-ct-seg-sr" / "ct").glob("*.dcm")))
    panel = _panel(qt, resolve)
    panel.showNode(volume)
    first = panel.content.path
    sagittal = mrml.scene.AddNewNodeByClass("vtkMRMLSliceNode")
    sagittal.SetOrientationToSagittal()
    axial = mrml.scene.AddNewNodeByClass("vtkMRMLSliceNode")
    axial.SetOrientationToAxial()
    assert not view_parallel_to_slices(sagittal, volume) and view_parallel_to_slices(axial, volume)
    crosshair = mrml.scene.AddNewNodeByClass("vtkMRMLCrosshairNode")
    followers = [SliceFollower(sagittal, lambda: volume, panel.followPoint),
                 CrosshairFollower(crosshair, lambda: panel.model.node, panel.followPoint)]
    try:
        far = _ras_of_voxel(volume, 7, 9, 2)
        sagittal.JumpSliceByCentering(*far)
        assert panel.content.path == first  # the sagittal view moved: still the first instance
        crosshair.SetCrosshairRAS(*far)
        shown = pydicom.dcmread(panel.content.path, stop_before_pixels=True)
        assert np.isclose(float(shown.ImagePositionPatient[2]), far[2], atol=1e-3)
    finally:
        for follower in followers:
            follower.stop()


def test_the_crosshair_on_a_multi_frame_volume_selects_the_frame_item(qt, mrml):
    path = Path(pydicom_test_file("eCT_Supplemental.dcm"))
    volume, resolve = _load(mrml, [path])
    panel = _panel(qt, resolve)
    panel.showNode(volume)
    crosshair = mrml.scene.AddNewNodeByClass("vtkMRMLCrosshairNode")
    follower = CrosshairFollower(crosshair, lambda: panel.model.node, panel.followPoint)
    try:
        for k in (0, 1):
            ras = _ras_of_voxel(volume, 100, 200, k)
            crosshair.SetCrosshairRAS(*ras)
            assert panel.selectedKey().endswith(f"/(5200,9230)/item{_frame_on_plane(path, ras)}")
    finally:
        follower.stop()


def test_a_segmentation_followed_ignores_the_crosshair(qt, mrml, shared_data):
    folder = shared_data / "liver-ct-seg-sr"
    files = [*sorted((folder / "ct").glob("*.dcm")), folder / "seg" / "liver.dcm"]
    nodes = []
    for loadable in default_selection(examine_paths([str(f) for f in files]).loadables):
        nodes += load_loadable(loadable, mrml.scene).nodes
    panel = _panel(qt, resolver_for_files([str(f) for f in files]))
    panel.showNode(next(node for node in nodes if node.IsA("vtkMRMLSegmentationNode")))
    shown = panel.content.path
    crosshair = mrml.scene.AddNewNodeByClass("vtkMRMLCrosshairNode")
    follower = CrosshairFollower(crosshair, lambda: panel.model.node, panel.followPoint)
    try:
        crosshair.SetCrosshairRAS(1.0, 2.0, 3.0)  # no exception, the SEG stays explained
        assert panel.content.path == shown and panel.tabs.isTabEnabled(panel.segTabIndex)
    finally:
        follower.stop()


# -- the DICOM browser's selected series ------------------------------------------------------------------


class _FakeCTKDICOMDatabase:
    """A stand-in for ctkDICOMDatabase (not CTK): its method names ``filesForSeries`` and
    ``descriptionForSeries``, answered from an index of real files' headers."""

    def __init__(self, paths):
        self.files: dict[str, list[str]] = {}
        self.descriptions: dict[str, str] = {}
        for patient in index_paths([str(p) for p in paths]).patients:
            for study in patient.studies:
                for series in study.series:
                    self.files[series.series_instance_uid] = [i.path for i in series.instances]
                    self.descriptions[series.series_instance_uid] = series.series_description

    def filesForSeries(self, uid, hits=-1):  # noqa: N802 - CTK's name
        return list(self.files.get(uid, []))

    def descriptionForSeries(self, uid):  # noqa: N802 - CTK's name
        return self.descriptions.get(uid, "")


def test_the_series_just_picked_is_the_one_followed():
    tracker = SeriesSelectionTracker()
    assert tracker.update(["'1.2.3'"]) == "1.2.3"  # the classic table's UIDs may carry quotes
    assert tracker.update(["1.2.3", "1.2.4"]) == "1.2.4"  # Ctrl+click adds one: that one
    assert tracker.update(["1.2.4"]) is None  # deselecting: nothing new to show
    assert tracker.update(["1.2.3", "1.2.4"]) == "1.2.3"
    assert tracker.update(["1.2.4"]) == "1.2.4"  # a plain click on one already selected: that one alone
    assert tracker.update([]) is None
    assert clean_series_uids(["", " 1.2 ", "1.2", "'1.3'"]) == ["1.2", "1.3"]


def test_a_series_maps_to_its_files_through_the_database_and_says_which_are_gone(shared_data, tmp_path):
    folder = shared_data / "liver-ct-seg-sr" / "ct"
    copies = [shutil.copy(path, tmp_path / path.name) for path in sorted(folder.glob("*.dcm"))]
    uid = str(pydicom.dcmread(copies[0], stop_before_pixels=True).SeriesInstanceUID)
    database = _FakeCTKDICOMDatabase(copies)
    series = series_files(database, uid)
    assert sorted(series.files) == sorted(str(c) for c in copies) and not series.message
    Path(copies[1]).unlink()
    series = series_files(database, uid)
    assert len(series.files) == 2 and "1 of the 3 files" in series.message and str(copies[1]) in series.message
    unknown = series_files(database, "1.2.3.4")
    assert unknown.files == [] and "no file for series 1.2.3.4" in unknown.message
    assert "No DICOM database" in series_files(None, uid).message


def _visual_browser_stand_in(qt, with_signal=True):
    """A stand-in for ctkDICOMVisualBrowserWidget (not CTK): ``patientView()`` -> an object with
    ``selectedSeriesInstanceUIDs()`` and ``studyListView()``, whose ``seriesSelectionChanged(QString, QStringList)``
    is a real Qt signal, as in CTK 5056664a's ctkDICOMStudyListView."""
    from PyQt5.QtCore import QObject, pyqtSignal

    class StudyListView(QObject):
        seriesSelectionChanged = pyqtSignal(str, list)

    class PatientView:
        def __init__(self):
            self.selection: list[str] = []
            self.study_list = StudyListView() if with_signal else object()

        def studyListView(self):  # noqa: N802 - CTK's name
            return self.study_list

        def selectedSeriesInstanceUIDs(self):  # noqa: N802 - CTK's name
            return list(self.selection)

        def select(self, study_uid, series_uids):
            """What a click does in CTK: the series view's selection changes, the study list re-emits it."""
            self.selection = list(series_uids)
            if with_signal:
                self.study_list.seriesSelectionChanged.emit(study_uid, list(series_uids))

    class VisualBrowser:
        def __init__(self):
            self.patient_view = PatientView()

        def patientView(self):  # noqa: N802 - CTK's name
            return self.patient_view

    return VisualBrowser()


def _two_series(shared_data):
    ct = sorted((shared_data / "liver-ct-seg-sr" / "ct").glob("*.dcm"))
    small = sorted((shared_data / "small-seg-24x38x3" / "image").glob("*.dcm"))
    headers = [pydicom.dcmread(files[0], stop_before_pixels=True) for files in (ct, small)]
    return ct + small, [(str(h.StudyInstanceUID), str(h.SeriesInstanceUID)) for h in headers]


def test_picking_a_series_in_the_visual_browser_explains_its_instances(qt, shared_data):
    from DICOMTeachLib.panel.browser_follow import VisualBrowserFollower

    files, (liver, small) = _two_series(shared_data)
    database = _FakeCTKDICOMDatabase(files)
    panel = _panel(qt)

    def show(uid):
        series = series_files(database, uid)
        panel.showFiles(series.name, series.files, series.message)

    browser = _visual_browser_stand_in(qt)
    follower = VisualBrowserFollower(browser, show, qt)
    try:
        assert follower.how == "signal"
        for study, series in (small, liver):
            browser.patientView().select(study, [series])
            shown = pydicom.dcmread(panel.content.path, stop_before_pixels=True)
            assert str(shown.SeriesInstanceUID) == series
            count = len(database.filesForSeries(series))
            assert panel.instanceSlider.maximum() == count and panel.instanceSlider.isVisible() == (count > 1)
        browser.patientView().select(small[0], [])  # deselected in the other study: the liver CT stays
        assert str(pydicom.dcmread(panel.content.path, stop_before_pixels=True).SeriesInstanceUID) == liver[1]
    finally:
        follower.stop()
    browser.patientView().select(*small[:1], [small[1]])
    assert str(pydicom.dcmread(panel.content.path, stop_before_pixels=True).SeriesInstanceUID) == liver[1]


def test_a_visual_browser_without_the_signal_is_polled_only_while_shown(qt, shared_data):
    from DICOMTeachLib.panel.browser_follow import VisualBrowserFollower

    files, (liver, _small) = _two_series(shared_data)
    picked = []
    browser = _visual_browser_stand_in(qt, with_signal=False)
    shown = [False]
    follower = VisualBrowserFollower(browser, picked.append, qt, is_shown=lambda: shown[0])
    try:
        assert follower.how == "poll" and follower._timer.isActive()
        browser.patientView().select(liver[0], [liver[1]])
        follower.poll()  # what the timer calls
        assert picked == []  # the DICOM module is not on screen: nothing read
        shown[0] = True
        follower.poll()
        follower.poll()
        assert picked == [liver[1]]  # once, not at every tick
    finally:
        follower.stop()
    assert follower._timer is None


def test_a_browser_of_another_shape_is_not_followed_and_says_why(qt):
    from DICOMTeachLib.panel.browser_follow import VisualBrowserFollower

    follower = VisualBrowserFollower(object(), lambda uid: None, qt)
    assert follower.how == "" and "neither seriesSelectionChanged" in follower.reason

    class Broken:
        def patientView(self):  # noqa: N802 - CTK's name
            raise RuntimeError("underlying C++ object has been deleted")

    follower = VisualBrowserFollower(Broken(), lambda uid: None, qt)
    assert follower.how == "" and "deleted" in follower.reason
