"""Shared fixtures: real data locations, a fresh headless MRML scene, the lesson PACS, a real Qt, the plugin."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Qt-free by design, but some VTK/ITK builds look for a display: keep them offscreen.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from DICOMTeachLib.testdata import pydicom_ct_series, shared_data_directory  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data (the project's third-party DICOM files); skips when it is absent."""
    folder = shared_data_directory()
    if folder is None:
        pytest.skip("../shared/data is absent (a fresh clone outside CI): third-party DICOM test data not found")
    return folder


@pytest.fixture(scope="session")
def lidc_ct_files(shared_data: Path) -> list[Path]:
    """The 133-slice LIDC-IDRI-0001 CT series."""
    return sorted((shared_data / "lidc-idri-0001-ct-seg" / "ct").glob("*.dcm"))


@pytest.fixture(scope="session")
def pydicom_ct_files() -> list[Path]:
    """pydicom's bundled 4-slice CT series (dicomdirtests/77654033/CT2)."""
    return pydicom_ct_series()


@pytest.fixture(scope="session")
def highdicom_maps():
    """highdicom 0.28's own tables (SOP class -> IOD, IOD -> modules, module -> attributes): an oracle."""
    from DICOMTeachLib.standard import _private_sources as sources

    try:
        return sources.highdicom_tables()
    except sources.SourceUnavailable as error:
        pytest.skip(str(error))


@pytest.fixture
def mrml():
    """A fresh headless MRML environment (real vtkMRMLScene and module logics)."""
    from DICOMTeachLib.headless import MRMLEnvironment

    env = MRMLEnvironment.create()
    yield env
    env.close()


@pytest.fixture(scope="session")
def lesson_pacs():
    """One real Orthanc (Debian's, with its DICOMweb plugin) for the whole session, on loopback ports with
    temporary storage; skips when Orthanc or pynetdicom is not installed."""
    pytest.importorskip("pynetdicom")
    from DICOMTeachLib.net.pacs import DICOMWEB_PLUGIN, ORTHANC, LessonPacs

    if not (Path(ORTHANC).exists() and Path(DICOMWEB_PLUGIN).exists()):
        pytest.skip("Orthanc is not installed (apt-get install orthanc orthanc-dicomweb; .ci/run does it)")
    pacs = LessonPacs.start()
    yield pacs
    pacs.stop()


@pytest.fixture(scope="session")
def qt():
    """PyQt5's namespace as the panel takes it (one QApplication for the process, offscreen)."""
    import sys

    pytest.importorskip("PyQt5.QtWidgets")
    from DICOMTeachLib.panel.qt_shim import pyqt5_namespace

    namespace = pyqt5_namespace()
    app = namespace.QApplication.instance() or namespace.QApplication(sys.argv[:1])
    yield namespace
    app.processEvents()


@pytest.fixture
def plugin_module(monkeypatch, mrml):
    """DICOMTeachPlugin.py imported beside the model of Slicer's DICOMLib (Testing/slicer_dicom_model.py)."""
    import importlib
    import sys
    import types

    import slicer
    from slicer_dicom_model import dicomlib_module

    monkeypatch.setitem(sys.modules, "DICOMLib", dicomlib_module())
    monkeypatch.setattr(slicer, "mrmlScene", mrml.scene, raising=False)
    monkeypatch.setattr(slicer, "modules", types.SimpleNamespace(), raising=False)
    monkeypatch.syspath_prepend(str(PROJECT_ROOT / "DICOMTeachPlugin"))
    sys.modules.pop("DICOMTeachPlugin", None)
    yield importlib.import_module("DICOMTeachPlugin")
    sys.modules.pop("DICOMTeachPlugin", None)
