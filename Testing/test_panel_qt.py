"""The teaching panel in a real Qt (PyQt5, offscreen) on a real headless MRML scene.

The panel code is the one Slicer runs (DICOMTeachLib.panel.qt_panel, given
PyQt5's classes through qt_shim); nodes are loaded by the library's loaders
into a slicer-core scene. Expected values come from the files (pydicom) and the
standard's tables, never from the panel itself. The tests also write the
screenshots the README shows (Resources/Screenshots/panel-*.png).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pydicom
import pytest

pytest.importorskip("PyQt5.QtWidgets")

from conftest import PROJECT_ROOT  # noqa: E402

from DICOMTeachLib.examine import default_selection, examine_paths  # noqa: E402
from DICOMTeachLib.loading import load_loadable  # noqa: E402
from DICOMTeachLib.panel.follow import SliceFollower, resolver_for_files  # noqa: E402
from DICOMTeachLib.panel.model import TeachingPanelModel  # noqa: E402
from DICOMTeachLib.panel.qt_panel import TeachingPanel  # noqa: E402
from DICOMTeachLib.testdata import pydicom_test_file  # noqa: E402

SCREENSHOTS = PROJECT_ROOT / "Resources" / "Screenshots"


def _load(mrml, paths):
    """Examine and load as the DICOM browser would; the panel resolves UIDs among these files."""
    files = [str(p) for path in paths for p in (sorted(Path(path).rglob("*")) if Path(path).is_dir() else [path])
             if Path(p).is_file()]
    examined = examine_paths(files)
    nodes = []
    for loadable in default_selection(examined.loadables):
        nodes += load_loadable(loadable, mrml.scene).nodes
    return nodes, resolver_for_files(files)


def _panel(qt, resolve=None, size=(860, 760)):
    panel = TeachingPanel(qt, TeachingPanelModel(resolve=resolve), open_page=lambda path: None)
    panel.widget.resize(*size)
    panel.widget.show()
    return panel


def _screenshot(panel, qt, name: str) -> Path:
    qt.QApplication.processEvents()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    image = panel.widget.grab().toImage()
    # A palette of 256 colours keeps each PNG small enough to commit (the panel has few colours).
    image = image.convertToFormat(qt.QImage.Format_Indexed8, qt.Qt.ThresholdDither | qt.Qt.AvoidDither)
    assert image.save(str(path), "PNG", 0)
    return path


def _column(item, name):
    from DICOMTeachLib.panel.tree import COLUMNS

    return item.text(COLUMNS.index(name))


def _items(tree):
    stack = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    while stack:
        item = stack.pop(0)
        yield item
        stack[0:0] = [item.child(i) for i in range(item.childCount())]


def _volume(nodes):
    return next(node for node in nodes if node.IsA("vtkMRMLScalarVolumeNode"))


def test_selecting_a_loaded_ct_fills_the_tree_with_the_modules_of_the_ct_image_iod(qt, mrml, shared_data):
    from DICOMTeachLib.standard import standard

    nodes, resolve = _load(mrml, [shared_data / "liver-ct-seg-sr" / "ct"])
    panel = _panel(qt, resolve)
    panel.showNode(_volume(nodes))
    iod = standard().iod("CT Image")
    top = [panel.tree.topLevelItem(i) for i in range(panel.tree.topLevelItemCount())]
    entities = [item.text(0).removesuffix(" IE") for item in top if item.text(0).endswith(" IE")]
    assert entities == list(iod.information_entities)
    shown_modules = [top[i].child(j).text(0) for i in range(len(entities)) for j in range(top[i].childCount())]
    assert shown_modules == [module.name for module in iod.modules]
    assert "CT Image" in panel.summaryLabel.text()
    assert panel.instanceSlider.isVisible() and panel.instanceSlider.maximum() == 3
    qt.QApplication.processEvents()  # laid out first, so the selected row scrolls into view
    panel.selectKey("module:image-pixel/(0028,0010)")
    assert "28 00 10 00" in panel.bytesView.toPlainText()  # (0028,0010), little endian, from the file
    _screenshot(panel, qt, "panel-ct.png")


def test_clicking_a_problem_selects_its_attribute(qt, mrml, shared_data):
    from PyQt5.QtTest import QTest

    path = sorted((shared_data / "lidc-idri-0001-ct-seg" / "ct").glob("*.dcm"))[0]
    panel = _panel(qt)
    panel.showFile(str(path))
    errors = [(row, problem, key) for row, (problem, key) in enumerate(
        sorted(panel.content.tree.problem_keys, key=lambda pk: {"error": 0, "warning": 1}.get(pk[0].severity, 2)))
        if problem.severity == "error" and key]
    assert errors, "the LIDC slice has a type 2 attribute missing (Acquisition Number)"
    row, problem, key = errors[0]
    listed = panel.problemList.item(row)
    assert problem.message in listed.text()
    QTest.mouseClick(panel.problemList.viewport(), qt.Qt.LeftButton, qt.Qt.NoModifier,
                     panel.problemList.visualItemRect(listed).center())
    current = panel.tree.currentItem()
    assert panel.selectedKey() == key
    assert _column(current, "Tag") == problem.tag
    assert not pydicom.dcmread(path, stop_before_pixels=True).get(problem.keyword)  # really missing in the file
    assert _column(current, "Verdict").startswith("missing")


def test_the_phi_mask_is_on_by_default_and_hides_patients_name_in_the_tree_and_the_bytes(qt):
    path = pydicom_test_file("CT_small.dcm")
    name = str(pydicom.dcmread(path, stop_before_pixels=True).PatientName)
    panel = _panel(qt)
    assert panel.maskCheckBox.isChecked()
    panel.showFile(str(path))
    row = next(item for item in _items(panel.tree) if item.text(0) == "PatientName")
    assert name not in _column(row, "Value") and "••••" in _column(row, "Value")
    panel.tree.setCurrentItem(row)
    shown_bytes = panel.bytesView.toPlainText()
    assert "10 00 10 00" in shown_bytes  # the tag, little endian
    assert name.encode().hex(" ")[:11] not in shown_bytes and name[:6] not in shown_bytes
    assert all(name not in panel.phiTable.item(r, 4).text() for r in range(panel.phiTable.rowCount()))
    panel.maskCheckBox.setChecked(False)
    row = next(item for item in _items(panel.tree) if item.text(0) == "PatientName")
    family, given = name.split("^")[:2]
    assert family in _column(row, "Value") and given in _column(row, "Value")  # the name's components, shown
    panel.tree.setCurrentItem(row)
    assert name.encode()[:8].hex(" ") in panel.bytesView.toPlainText()


def test_moving_the_slice_changes_the_explained_instance(qt, mrml, shared_data):
    import numpy as np

    nodes, resolve = _load(mrml, [shared_data / "liver-ct-seg-sr" / "ct"])
    volume = _volume(nodes)
    panel = _panel(qt, resolve)
    panel.showNode(volume)
    slice_node = mrml.scene.AddNewNodeByClass("vtkMRMLSliceNode")
    slice_node.SetOrientationToAxial()
    follower = SliceFollower(slice_node, lambda: volume, panel.followPoint)
    try:
        import vtk

        ijk_to_ras = vtk.vtkMatrix4x4()
        volume.GetIJKToRASMatrix(ijk_to_ras)
        seen = []
        for k in (2, 0, 1):
            ras = ijk_to_ras.MultiplyPoint((5.0, 5.0, float(k), 1.0))[:3]
            slice_node.JumpSliceByCentering(*ras)
            shown = pydicom.dcmread(panel.content.path, stop_before_pixels=True)
            # The instance explained is the one whose image plane passes through the slice: its
            # position along the normal (LPS z = RAS S for axial slices) equals the slice's.
            assert np.isclose(float(shown.ImagePositionPatient[2]), ras[2], atol=1e-3)
            seen.append(str(shown.SOPInstanceUID))
            assert panel.instanceSlider.value() == k + 1
        assert len(set(seen)) == 3
        explains = panel.model.explain_count
        slice_node.JumpSliceByCentering(*ijk_to_ras.MultiplyPoint((5.0, 5.0, 2.0, 1.0))[:3])
        assert panel.model.explain_count == explains  # back on a slice seen before: cached, not explained again
        panel.instanceSlider.setValue(2)  # the slider steps through the node's instances too
        assert str(pydicom.dcmread(panel.content.path, stop_before_pixels=True).SOPInstanceUID) == seen[2]
        assert panel.instanceCountLabel.text() == "2 of 3"
    finally:
        follower.stop()


def test_a_node_not_loaded_from_dicom_gives_a_clear_message(qt, mrml):
    node = mrml.scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", "drawn by hand")
    panel = _panel(qt)
    panel.showNode(node)
    assert panel.messageLabel.isVisibleTo(panel.widget)
    assert "'drawn by hand' was not loaded from DICOM" in panel.messageLabel.text()
    assert panel.tree.topLevelItemCount() == 0
    assert not panel.openPageButton.isEnabled()


def test_a_node_whose_files_are_gone_gives_a_clear_message(qt, mrml, shared_data, tmp_path):
    copies = []
    for source in sorted((shared_data / "liver-ct-seg-sr" / "ct").glob("*.dcm")):
        copies.append(shutil.copy(source, tmp_path / source.name))
    nodes, resolve = _load(mrml, copies)
    for copy in copies:
        Path(copy).unlink()
    panel = _panel(qt, resolve)
    panel.showNode(_volume(nodes))
    text = panel.messageLabel.text()
    assert "are gone" in text and "none of its 3 instance(s)" in text
    assert str(tmp_path) in text
    assert panel.tree.topLevelItemCount() == 0


def test_a_seg_shows_its_frames_with_segment_and_source_image(qt, mrml, shared_data):
    folder = shared_data / "liver-ct-seg-sr"
    nodes, resolve = _load(mrml, [folder / "ct", folder / "seg" / "liver.dcm"])
    segmentation = next(node for node in nodes if node.IsA("vtkMRMLSegmentationNode"))
    panel = _panel(qt, resolve)
    panel.showNode(segmentation)
    seg = pydicom.dcmread(folder / "seg" / "liver.dcm", stop_before_pixels=True)
    frames = seg.PerFrameFunctionalGroupsSequence
    assert panel.tabs.isTabEnabled(panel.segTabIndex)
    assert panel.segTable.rowCount() == len(frames)
    for row, group in enumerate(frames):
        source = group.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID
        assert panel.segTable.item(row, 3).text() == source
        assert panel.segTable.item(row, 1).text() == str(group.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
        assert panel.segTable.item(row, 5).text() == Path(resolve(source)).name  # the CT slice, found
    panel.tabs.setCurrentIndex(panel.segTabIndex)
    _screenshot(panel, qt, "panel-seg.png")


def test_an_sr_shows_its_content_tree(qt, mrml, shared_data):
    from DICOMTeachLib.sr.content import read_sr

    folder = shared_data / "liver-ct-seg-sr"
    sr_path = folder / "sr" / "liver-measurements-sr.dcm"
    nodes, resolve = _load(mrml, [folder / "ct", folder / "seg" / "liver.dcm", sr_path])
    panel = _panel(qt, resolve)
    sr_node = next(node for node in nodes if node.IsA("vtkMRMLTableNode"))
    panel.showNode(sr_node)
    assert panel.tabs.isTabEnabled(panel.srTabIndex)
    document = read_sr(str(sr_path))
    texts = {item.position: item.text for item in document.root.walk() if item.value_type == "TEXT" and item.text}
    masked = {item.text(0): item.text(4) for item in _items(panel.srTree)}
    assert texts and all(masked[position].startswith("••••") for position in texts)  # names, free text: hidden
    panel.maskCheckBox.setChecked(False)
    shown = {(item.text(0), item.text(4)) for item in _items(panel.srTree)}
    assert {(item.position, item.value_text()) for item in document.root.walk()} == shown
    measurement = next(item for item in document.root.walk() if item.value_type == "NUM"
                       and item.concept and item.concept.meaning == "Attenuation Coefficient")
    assert (measurement.position, measurement.value_text()) in shown
    panel.maskCheckBox.setChecked(True)
    panel.tabs.setCurrentIndex(panel.srTabIndex)
    _screenshot(panel, qt, "panel-sr.png")


def test_a_lesson_answer_is_accepted_when_right_and_explained_when_wrong(qt):
    from PyQt5.QtTest import QTest

    panel = _panel(qt)
    lessons = panel.lessons
    row = next(i for i, lesson in enumerate(lessons.lessons) if lesson.id == "ten-fingers")
    lessons.lessonList.setCurrentRow(row)
    lessons.showFileButton.click()
    ds = pydicom.dcmread(lessons.lesson.files()[0], stop_before_pixels=True)
    assert panel.content.path == str(lessons.lesson.files()[0])
    largest = (1 << ds.BitsStored) - 1 if ds.PixelRepresentation == 0 else (1 << (ds.BitsStored - 1)) - 1
    smallest = 0 if ds.PixelRepresentation == 0 else -(1 << (ds.BitsStored - 1))

    QTest.keyClicks(lessons.answerEdit, f"0 {(1 << ds.BitsAllocated) - 1}")
    QTest.mouseClick(lessons.checkButton, qt.Qt.LeftButton)
    wrong = lessons.feedbackView.toPlainText()
    assert wrong.startswith("Not yet.") and "Bits Allocated" in wrong and "Bits Stored" in wrong

    lessons.answerEdit.setText(f"{smallest} {largest}")
    QTest.mouseClick(lessons.checkButton, qt.Qt.LeftButton)
    right = lessons.feedbackView.toPlainText()
    assert right.startswith("Right.") and f"{smallest} .. {largest}" in right
    panel.tabs.setCurrentIndex(panel.lessonsTabIndex)
    _screenshot(panel, qt, "panel-lesson.png")


def test_open_as_page_writes_the_interactive_page_of_the_shown_instance(qt):
    opened = []
    panel = TeachingPanel(qt, TeachingPanelModel(), open_page=opened.append)
    panel.showFile(str(pydicom_test_file("CT_small.dcm")))
    panel.openPageButton.click()
    assert opened == [panel.last_page_path]
    page = Path(opened[0]).read_text(encoding="utf-8")
    assert "CT Image" in page and "<script>" in page
    name = str(pydicom.dcmread(pydicom_test_file("CT_small.dcm"), stop_before_pixels=True).PatientName)
    assert name not in page  # the page is masked like the panel


def test_the_extension_screenshots_point_at_committed_pictures():
    import re

    text = (PROJECT_ROOT / "CMakeLists.txt").read_text()
    urls = re.search(r'set\(EXTENSION_SCREENSHOTURLS "([^"]+)"\)', text)[1].split()
    assert any(url.endswith("/panel-ct.png") for url in urls)
    for url in urls:
        assert (PROJECT_ROOT / url.split("/main/", 1)[1]).is_file(), url
    readme = (PROJECT_ROOT / "README.md").read_text()
    for name in ("panel-ct.png", "panel-seg.png", "panel-sr.png", "panel-lesson.png", "panel-pacs.png", "panel-frame.png",
                 "page.png"):
        assert f"Resources/Screenshots/{name}" in readme and (SCREENSHOTS / name).stat().st_size < 150_000


@pytest.mark.parametrize("relative", ["DICOMTeach/DICOMTeach.py", "DICOMTeach/DICOMTeachLib/panel/qt_panel.py",
                                      "DICOMTeach/DICOMTeachLib/panel/qt_pacs.py"])
def test_the_widget_code_uses_the_qt_subset_pythonqt_and_pyqt5_share(relative):
    """What runs only in Slicer cannot be run here: at least it must avoid what behaves differently."""
    import re

    source = (PROJECT_ROOT / relative).read_text()
    assert not re.search(r"\.connect\(\s*['\"]", source), "string-based connect"
    properties = r"(enabled|visible|checked|text|toolTip|maximum|minimum|value|collapsed|plainText|currentIndex)"
    assert not re.search(rf"\.{properties}\s*=[^=]", source), "attribute-style property assignment"
    assert "Qt.Checked ==" not in source and "== qt.Qt.Checked" not in source
