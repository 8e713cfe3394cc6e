"""The DICOM plugin is a thin adapter that never lets an exception reach Slicer's DICOM browser.

slicer-core has no DICOMLib (it is Qt code in the desktop app), so this test
gives the plugin module the two DICOMLib names it imports, with the fields and
defaults Slicer's DICOMLib defines (DICOMLoadable: files, name, tooltip,
warning, selected, confidence; DICOMPlugin: loadType and a tags dict). Everything
else is real: the slicer-core ``slicer`` module, a real scene, real files.
"""

from __future__ import annotations

import importlib
import sys
import types

import pytest
from conftest import PROJECT_ROOT


class _DICOMLoadable:
    def __init__(self):
        self.files, self.name, self.tooltip, self.warning = [], "Unknown", "No further information", ""
        self.selected, self.confidence = False, 0.5


class _DICOMPlugin:
    def __init__(self):
        self.loadType = "Generic DICOM"
        self.tags = {"seriesDescription": "0008,103e", "seriesNumber": "0020,0011"}


@pytest.fixture
def plugin_module(monkeypatch, mrml):
    import slicer

    dicomlib = types.ModuleType("DICOMLib")
    dicomlib.DICOMLoadable, dicomlib.DICOMPlugin = _DICOMLoadable, _DICOMPlugin
    monkeypatch.setitem(sys.modules, "DICOMLib", dicomlib)
    monkeypatch.setattr(slicer, "mrmlScene", mrml.scene, raising=False)
    monkeypatch.setattr(slicer, "modules", types.SimpleNamespace(), raising=False)
    monkeypatch.syspath_prepend(str(PROJECT_ROOT / "DICOMTeachPlugin"))
    sys.modules.pop("DICOMTeachPlugin", None)
    module = importlib.import_module("DICOMTeachPlugin")
    yield module
    sys.modules.pop("DICOMTeachPlugin", None)


def test_hidden_module_registers_the_plugin_under_its_own_key(plugin_module):
    import slicer

    parent = types.SimpleNamespace()
    plugin_module.DICOMTeachPlugin(parent)
    assert parent.hidden is True
    assert slicer.modules.dicomPlugins == {"DICOMTeachPlugin": plugin_module.DICOMTeachPluginClass}


def test_plugin_keeps_base_tags_and_declares_the_examined_ones(plugin_module):
    plugin = plugin_module.DICOMTeachPluginClass()
    assert plugin.tags["seriesDescription"] == "0008,103e"
    assert plugin.tags["SeriesInstanceUID"] == "0020,000E"
    assert plugin.tags["ImagePositionPatient"] == "0020,0032"


def test_examine_of_files_that_are_not_dicom_returns_no_loadable(plugin_module, tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("not DICOM")
    assert plugin_module.DICOMTeachPluginClass().examineFiles([str(junk), str(tmp_path / "absent.dcm")]) == []


def test_load_failure_is_false_not_an_exception(plugin_module, caplog):
    from DICOMTeachLib.loadable import Loadable, LoadableKind

    slicer_loadable = _DICOMLoadable()
    slicer_loadable.name = "broken"
    slicer_loadable.dicomTeachLoadable = Loadable(
        kind=LoadableKind.SCALAR_VOLUME, name="broken", files=["/nonexistent/file.dcm"],
        confidence=0.5, confidence_reason="test")
    assert plugin_module.DICOMTeachPluginClass().load(slicer_loadable) is False
    assert "broken" in caplog.text
