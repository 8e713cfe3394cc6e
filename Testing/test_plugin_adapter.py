"""The DICOM plugin is a thin adapter that never lets an exception reach Slicer's DICOM browser.

slicer-core has no DICOMLib (it is Qt code in the desktop app), so this test
gives the plugin module the two DICOMLib names it imports, with the fields and
defaults Slicer's DICOMLib defines (slicer_dicom_model). Everything else is
real: the slicer-core ``slicer`` module, a real scene, real files.
"""

from __future__ import annotations

import sys
import types

from slicer_dicom_model import DICOMLoadable, DICOMPlugin


def test_hidden_module_registers_the_plugin_under_its_own_key(plugin_module):
    import slicer

    parent = types.SimpleNamespace()
    plugin_module.DICOMTeachPlugin(parent)
    assert parent.hidden is True
    assert slicer.modules.dicomPlugins == {"DICOMTeachPlugin": plugin_module.DICOMTeachPluginClass}


def test_plugin_adds_no_tag_to_the_database_precache(plugin_module):
    # examine reads headers itself: a registered tag would be cached for every file and never read
    assert plugin_module.DICOMTeachPluginClass().tags == DICOMPlugin().tags


def test_a_library_that_cannot_import_is_reported_once_and_the_constructor_never_raises(plugin_module, monkeypatch,
                                                                                         pydicom_ct_files, caplog):
    import slicer

    shown = []
    monkeypatch.setattr(slicer.util, "errorDisplay", lambda text, **kwargs: shown.append(text))
    for name in [name for name in sys.modules if name == "DICOMTeachLib" or name.startswith("DICOMTeachLib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "DICOMTeachLib", None)  # "import DICOMTeachLib" now raises ImportError
    plugin_module.DICOMTeachPluginClass._libraryProblemShown = False
    files = [str(p) for p in pydicom_ct_files]
    plugins = [plugin_module.DICOMTeachPluginClass() for _ in range(3)]  # as Slicer makes them, unguarded
    assert [plugin.examineFiles(files) for plugin in plugins] == [[], [], []]
    assert len(shown) == 1 and "does not import" in shown[0] and "other DICOM plugins" in shown[0]
    assert "DICOMTeach cannot examine DICOM files" in caplog.text
    assert "DICOMTeachLib" in plugin_module.DICOMTeachPluginClass.libraryProblem


def test_a_name_edited_in_the_browser_names_the_node(plugin_module, pydicom_ct_files, monkeypatch):
    import slicer

    monkeypatch.setattr(slicer.util, "showStatusMessage", lambda message: None)
    monkeypatch.setattr(slicer, "app", types.SimpleNamespace(processEvents=lambda: None), raising=False)

    plugin = plugin_module.DICOMTeachPluginClass()
    loadables = plugin.examineFiles([str(p) for p in pydicom_ct_files])
    chosen = max(loadables, key=lambda item: item.confidence)
    chosen.name = "Edited in the loadable table"
    node = plugin.load(chosen)
    assert node and node.GetName() == "Edited in the loadable table"
    assert slicer.mrmlScene.GetFirstNodeByName("Edited in the loadable table") is node


def test_examine_of_files_that_are_not_dicom_returns_no_loadable(plugin_module, tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("not DICOM")
    assert plugin_module.DICOMTeachPluginClass().examineFiles([str(junk), str(tmp_path / "absent.dcm")]) == []


def test_load_failure_is_false_not_an_exception(plugin_module, caplog):
    from DICOMTeachLib.loadable import Loadable, LoadableKind

    slicer_loadable = DICOMLoadable()
    slicer_loadable.name = "broken"
    slicer_loadable.dicomTeachLoadable = Loadable(
        kind=LoadableKind.SCALAR_VOLUME, name="broken", files=["/nonexistent/file.dcm"],
        confidence=0.5, confidence_reason="test")
    assert plugin_module.DICOMTeachPluginClass().load(slicer_loadable) is False
    assert "broken" in caplog.text


def test_the_preference_is_read_from_qsettings_under_the_librarys_key(plugin_module, monkeypatch, tmp_path):
    """Real QSettings (PyQt5 stands in for PythonQt's ``qt``): the key the settings panel writes is the one read."""
    from PyQt5 import QtCore

    from DICOMTeachLib.coexistence import PREFER_SETTING_KEY

    def settings():  # the application's settings file, here a fresh one
        return QtCore.QSettings(str(tmp_path / "Slicer.ini"), QtCore.QSettings.IniFormat)

    monkeypatch.setitem(sys.modules, "qt", types.SimpleNamespace(QSettings=settings))
    assert plugin_module.PREFER_SETTING_KEY == PREFER_SETTING_KEY
    assert plugin_module.preferDICOMTeachLoaders() is False
    settings().setValue(PREFER_SETTING_KEY, 1)  # ctkBooleanMapper stores valueAsInt
    assert plugin_module.preferDICOMTeachLoaders() is True
    settings().setValue(PREFER_SETTING_KEY, 0)
    assert plugin_module.preferDICOMTeachLoaders() is False
