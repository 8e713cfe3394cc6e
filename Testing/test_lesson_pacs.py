"""`dicomteach pacs start/stop`: a real Orthanc on loopback ports with temporary storage, ended by its own pid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from DICOMTeachLib.cli import main
from DICOMTeachLib.net.pacs import DICOMWEB_PLUGIN, ORTHANC, LessonPacs

pytestmark = pytest.mark.skipif(not (Path(ORTHANC).exists() and Path(DICOMWEB_PLUGIN).exists()),
                                reason="Orthanc is not installed (apt-get install orthanc orthanc-dicomweb)")


def test_start_status_echo_and_stop_from_the_command_line(tmp_path, capsys):
    pytest.importorskip("pynetdicom")
    folder = tmp_path / "pacs"
    assert main(["pacs", "start", "--folder", str(folder), "--json"]) == 0
    started = json.loads(capsys.readouterr().out)
    try:
        assert started["state"] == "started" and started["dicom_address"].startswith("127.0.0.1:")
        assert (folder / "storage").is_dir()
        assert main(["pacs", "status", "--folder", str(folder)]) == 0
        assert "running" in capsys.readouterr().out
        assert main(["pacs", "start", "--folder", str(folder)]) == 2
        assert "a lesson PACS already runs" in capsys.readouterr().err
        assert main(["echo", started["dicom_address"], "--called-ae", started["ae_title"]]) == 0
        capsys.readouterr()
    finally:
        assert main(["pacs", "stop", "--folder", str(folder)]) == 0
    assert "stopped" in capsys.readouterr().out
    assert not folder.exists() and not LessonPacs(folder, started["pid"], 0, 0, 0).is_running()


def test_stop_without_a_pacs_says_so(tmp_path):
    assert main(["pacs", "stop", "--folder", str(tmp_path)]) == 2


def test_stop_never_ends_a_process_that_is_not_ours(tmp_path):
    import os

    stranger = LessonPacs(tmp_path, os.getpid(), 0, 0, 0)  # our own test process, not an Orthanc
    stranger.stop(keep_folder=True)
    assert stranger.pid == os.getpid()  # still alive: we are running this line


def test_a_pacs_that_knows_its_callers_rejects_a_stranger_with_the_reason(tmp_path):
    pytest.importorskip("pynetdicom")
    from DICOMTeachLib.net import dimse

    pacs = LessonPacs.start(tmp_path / "strict", known_callers_only=True)
    try:
        known = dimse.echo(dimse.Peer.parse(pacs.dicom_address, called_ae="ORTHANC", calling_ae="DICOMTEACH"))
        stranger = dimse.echo(dimse.Peer.parse(pacs.dicom_address, called_ae="ORTHANC", calling_ae="STRANGER"))
    finally:
        pacs.stop()
    assert known.ok
    association = stranger.associations[0]
    assert association.outcome == "rejected" and "calling AE title is not recognised" in association.reason
    assert stranger.messages() == []  # no DIMSE message on a rejected association
