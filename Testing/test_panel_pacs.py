"""The panel's PACS tab in a real Qt (PyQt5, offscreen), against the real lesson PACS (Debian's Orthanc).

The tab is the code Slicer runs (panel/qt_pacs.py through qt_shim); the node it
sends is loaded by the library's loaders into a slicer-core scene. What the PACS
holds is checked through Orthanc's own REST API, not through the tab.
"""

from __future__ import annotations

import json
import urllib.request

import pydicom
import pytest

pytest.importorskip("PyQt5.QtWidgets")

from test_panel_qt import _load, _screenshot, _volume  # noqa: E402

from DICOMTeachLib.errors import DICOMTeachError  # noqa: E402
from DICOMTeachLib.net.pacs import LessonPacs, free_port  # noqa: E402
from DICOMTeachLib.panel import pacs_model  # noqa: E402
from DICOMTeachLib.panel.follow import NodeInstances  # noqa: E402
from DICOMTeachLib.panel.model import TeachingPanelModel  # noqa: E402
from DICOMTeachLib.panel.pacs_model import PacsTarget  # noqa: E402
from DICOMTeachLib.panel.qt_panel import TeachingPanel  # noqa: E402


class NetworkingInstaller:
    """Stands where Slicer's logic.ensureNetworking goes (here the packages are installed): counts calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> list[str]:
        self.calls += 1
        return []


def _pacs_panel(qt, target: PacsTarget, resolve=None, installer=None):
    panel = TeachingPanel(qt, TeachingPanelModel(resolve=resolve), open_page=lambda path: None,
                          ensure_networking=installer, pacs_target=target)
    panel.widget.resize(860, 640)
    panel.widget.show()
    panel.tabs.setCurrentIndex(panel.pacsTabIndex)
    return panel


def _orthanc(pacs: LessonPacs, path: str, method: str = "GET", body: str | None = None):
    """Orthanc's REST API (loopback): the answer's JSON."""
    data = body.encode() if body is not None else None
    request = urllib.request.Request(f"{pacs.http_url}{path}", data=data, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode()
    return json.loads(text) if text.strip() else None


def _orthanc_series(pacs: LessonPacs, series_uid: str) -> list[str]:
    """Orthanc's ids of the series with this SeriesInstanceUID (its own index, not DIMSE)."""
    return [hit["ID"] for hit in _orthanc(pacs, "/tools/lookup", "POST", series_uid) or []
            if hit["Type"] == "Series"]


@pytest.mark.slow
def test_echo_from_the_panel_shows_the_accepted_association_and_success(qt, lesson_pacs):
    installer = NetworkingInstaller()
    panel = _pacs_panel(qt, PacsTarget(lesson_pacs.dicom_address, lesson_pacs.ae_title), installer=installer)
    assert installer.calls == 0  # building the panel installs nothing
    panel.pacs.echoButton.click()
    text = panel.pacs.exchangeView.toPlainText()
    assert f"Association 1: DICOMTEACH (us) -> ORTHANC at {lesson_pacs.dicom_address}: released" in text
    assert "presentation context 1: Verification SOP Class (1.2.840.10008.1.1)" in text
    assert "result: accepted with" in text
    assert "-> C-ECHO-RQ" in text and "<- C-ECHO-RSP" in text and "0x0000 Success" in text
    assert panel.pacs.statusLabel.text().startswith("C-ECHO: final status 0x0000 Success")
    assert qt.QFontInfo(panel.pacs.exchangeView.font()).fixedPitch()  # command-set columns line up
    panel.pacs.echoButton.click()
    assert installer.calls == 1  # once, before the first network action


@pytest.mark.slow
def test_send_the_followed_ct_then_query_finds_its_series(qt, mrml, shared_data, lesson_pacs):
    folder = shared_data / "liver-ct-seg-sr" / "ct"
    files = sorted(folder.glob("*.dcm"))
    header = pydicom.dcmread(files[0], stop_before_pixels=True)
    series_uid = str(header.SeriesInstanceUID)
    for orthanc_id in _orthanc_series(lesson_pacs, series_uid):  # other tests may have stored it already
        _orthanc(lesson_pacs, f"/series/{orthanc_id}", "DELETE")
    assert _orthanc_series(lesson_pacs, series_uid) == []

    nodes, resolve = _load(mrml, [folder])
    panel = _pacs_panel(qt, PacsTarget(lesson_pacs.dicom_address, lesson_pacs.ae_title), resolve)
    panel.showNode(_volume(nodes))
    assert panel.pacs.selectionLabel.text() == f"{len(files)} file(s) of '{_volume(nodes).GetName()}'"
    during = []
    report_progress = panel.pacs._sending

    def watch(done, total):  # what the student sees after each C-STORE-RSP
        report_progress(done, total)
        panel.pacs.onEcho()  # busy: ignored (had it run, the label would show the C-ECHO's status)
        during.append((panel.pacs.statusLabel.text(), panel.pacs.sendButton.isEnabled()))
    panel.pacs._sending = watch
    panel.pacs.sendButton.click()
    assert during == [(f"Sending: {done} of {len(files)} instance(s) sent ...", False)
                      for done in range(1, len(files) + 1)]
    assert panel.pacs.sendButton.isEnabled() and panel.pacs.echoButton.isEnabled()
    text = panel.pacs.exchangeView.toPlainText()
    assert f"C-STORE with {lesson_pacs.dicom_address}: {len(files)} of {len(files)} instance(s) stored" in text
    assert "presentation context 1: CT Image Storage (1.2.840.10008.5.1.4.1.1.2)" in text
    sent = {str(pydicom.dcmread(path, stop_before_pixels=True).SOPInstanceUID) for path in files}
    [orthanc_id] = _orthanc_series(lesson_pacs, series_uid)
    stored = {_orthanc(lesson_pacs, f"/instances/{instance}/simplified-tags")["SOPInstanceUID"]
              for instance in _orthanc(lesson_pacs, f"/series/{orthanc_id}")["Instances"]}
    assert stored == sent

    # The query fields now ask for what was sent.
    assert (panel.pacs.levelCombo.currentText(), panel.pacs.keysEdit.text()) == (
        "series", f"SeriesInstanceUID={series_uid}")
    panel.pacs.queryButton.click()
    text = panel.pacs.exchangeView.toPlainText()
    assert panel.pacs.last_outcome.matches == 1
    assert "1 match(es); final status 0x0000 Success" in text
    request_line = next(line for line in text.splitlines() if "SeriesInstanceUID" in line and "single value" in line)
    assert series_uid in request_line
    answers = [line for line in text.splitlines() if "SeriesInstanceUID" in line and "returned" in line]
    assert answers and all(series_uid in line for line in answers)
    modality = next(line for line in text.splitlines() if "Modality" in line and "returned" in line)
    assert repr(str(header.Modality)) in modality  # the PACS's answer carries the file's own Modality
    assert panel.pacs.exchangeView.find("<- C-FIND-RSP")  # the picture shows the PACS's answer
    panel.pacs.exchangeView.centerCursor()
    panel.widget.resize(1020, 640)  # command-set lines run to ~110 characters
    _screenshot(panel, qt, "panel-pacs.png")


@pytest.mark.slow
def test_a_server_down_gives_a_clear_message_in_the_view(qt):
    port = free_port()  # nobody listens there
    panel = _pacs_panel(qt, PacsTarget(f"127.0.0.1:{port}", "ORTHANC"))
    panel.pacs.echoButton.click()
    text = panel.pacs.exchangeView.toPlainText()
    assert text.startswith(f"C-ECHO with 127.0.0.1:{port}: not done")
    assert f"cannot reach 127.0.0.1:{port}: connection refused" in text
    assert panel.pacs.statusLabel.text().startswith("C-ECHO failed: cannot reach")
    assert panel.pacs.last_outcome.ok is False
    panel.pacs.keysEdit.setText("Modality=CT")
    panel.pacs.queryButton.click()
    assert "connection refused" in panel.pacs.exchangeView.toPlainText()


@pytest.mark.slow
def test_a_rejected_association_and_a_bad_key_are_explained_not_raised(qt, lesson_pacs):
    panel = _pacs_panel(qt, PacsTarget(lesson_pacs.dicom_address, "NOT-ORTHANC"))
    panel.pacs.echoButton.click()
    text = panel.pacs.exchangeView.toPlainText()
    assert f"-> NOT-ORTHANC at {lesson_pacs.dicom_address}: rejected" in text
    assert "rejected permanently by the DICOM UL service-user: the called AE title is not recognised" in text
    assert "the panel's Called AE" in text  # what to change, in the panel's words
    assert "C-ECHO-RQ" not in text  # nothing is sent on a rejected association
    panel.pacs.calledEdit.setText(lesson_pacs.ae_title)
    panel.pacs.keysEdit.setText("NoSuchKeyword=1")
    panel.pacs.queryButton.click()
    assert "unknown query key 'NoSuchKeyword'" in panel.pacs.exchangeView.toPlainText()


def test_a_failing_installer_is_told_and_nothing_is_sent(qt):
    def installer():
        raise RuntimeError("pip could not reach the index")

    panel = _pacs_panel(qt, PacsTarget(f"127.0.0.1:{free_port()}"), installer=installer)
    panel.pacs.echoButton.click()
    assert "could not be installed: RuntimeError: pip could not reach the index" in \
        panel.pacs.exchangeView.toPlainText()
    assert not panel.pacs.networking_ready


def test_send_offers_what_the_panel_follows_and_says_why_when_nothing(qt, mrml):
    from DICOMTeachLib.testdata import pydicom_test_file

    panel = _pacs_panel(qt, PacsTarget())
    assert not panel.pacs.sendButton.isEnabled()
    assert panel.pacs.selectionLabel.text().startswith("nothing selected")
    panel.showFile(str(pydicom_test_file("CT_small.dcm")))
    assert panel.pacs.sendButton.isEnabled()
    assert panel.pacs.selectionLabel.text() == "1 file(s) of 'CT_small.dcm'"
    panel.showNode(mrml.scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", "drawn by hand"))
    assert not panel.pacs.sendButton.isEnabled()
    assert "'drawn by hand' was not loaded from DICOM" in panel.pacs.selectionLabel.text()


# -- the Qt-free half ------------------------------------------------------------------------------------


def test_query_text_keeps_quoted_values_and_uid_lists():
    keys = pacs_model.parse_query_text('Modality=CT SeriesDescription="Liver CT" '
                                       r'SeriesInstanceUID=1.2.3\1.2.4 StudyDate=20200101- PatientName')
    assert keys == {"Modality": "CT", "SeriesDescription": "Liver CT", "SeriesInstanceUID": r"1.2.3\1.2.4",
                    "StudyDate": "20200101-", "PatientName": None}
    assert pacs_model.parse_query_text("") == {}
    with pytest.raises(DICOMTeachError, match="cannot read the query keys"):
        pacs_model.parse_query_text('SeriesDescription="Liver')


def test_the_send_selection_is_the_files_still_on_disk(tmp_path):
    kept = tmp_path / "kept.dcm"
    kept.write_bytes(b"")
    instances = NodeInstances("CT", uids=["1", "2"], files=["", str(kept)], message="1 of the 2 files are gone")
    chosen = pacs_model.send_selection(instances, str(kept))
    assert (chosen.files, chosen.label) == ([str(kept)], "1 file(s) of 'CT'")
    gone = NodeInstances("CT", uids=["1"], files=[""], message="The files of 'CT' are gone")
    assert pacs_model.send_selection(gone).label == "The files of 'CT' are gone"
    assert pacs_model.send_selection(None, str(kept)).files == [str(kept)]


def test_a_send_with_nothing_selected_is_a_message_not_an_exception():
    outcome = pacs_model.send(PacsTarget(), pacs_model.send_selection(None))
    assert not outcome.ok and "nothing selected" in outcome.headline


def test_the_default_target_is_the_running_lesson_pacs_else_a_local_orthanc(tmp_path, lesson_pacs):
    assert pacs_model.default_target(tmp_path) == PacsTarget()  # no lesson PACS there
    assert pacs_model.default_target(lesson_pacs.folder) == PacsTarget(lesson_pacs.dicom_address,
                                                                       lesson_pacs.ae_title)
