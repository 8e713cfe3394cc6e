"""A DICOMDIR (the index of a patient CD) is followed by index, load and the plugin.

The DICOMDIRs are written at test time by pydicom's FileSet from the project's real files (upper-case CD
names: PT000000/ST000000/SE000000/IM000000), plus pydicom's own DICOMDIR test set.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import sys
import types
from pathlib import Path

import pydicom
import pytest
from conftest import PROJECT_ROOT
from pydicom.fileset import FileSet
from slicer_dicom_model import dicomlib_module

from DICOMTeachLib.cli import main
from DICOMTeachLib.dicomdir import read_dicomdir
from DICOMTeachLib.examine import examine_paths
from DICOMTeachLib.index import index_paths
from DICOMTeachLib.testdata import pydicom_test_directory


@pytest.fixture
def liver_cd(shared_data, tmp_path) -> Path:
    """The liver CT, its two SEGs and the SR written as DICOM media (a DICOMDIR and its tree)."""
    file_set = FileSet()
    for path in sorted((shared_data / "liver-ct-seg-sr").rglob("*.dcm")):
        file_set.add(pydicom.dcmread(path))
    file_set.write(tmp_path / "cd")
    return tmp_path / "cd"


def _load_json(capsys, path):
    code = main(["load", "--json", str(path)])
    return code, json.loads(capsys.readouterr().out)


def _nodes(tree):
    return sorted((node["class_name"], node["name"], node["details"].get("sha256", ""))
                  for patient in tree["patients"] for study in patient["studies"] for series in study["series"]
                  for node in series["nodes"])


def test_loading_a_dicomdir_loads_what_loading_its_folder_loads(liver_cd, capsys):
    code, from_dicomdir = _load_json(capsys, liver_cd / "DICOMDIR")
    assert code == 0
    code, from_folder = _load_json(capsys, liver_cd)
    assert code == 0
    loadables = sorted((item["kind"], item["name"], item["files"], item["selected"]) for item in from_dicomdir["loadables"])
    assert loadables == sorted((item["kind"], item["name"], item["files"], item["selected"])
                               for item in from_folder["loadables"])
    assert {item[0] for item in loadables if item[3]} == {"scalar volume", "segmentation", "structured report"}
    assert _nodes(from_dicomdir) == _nodes(from_folder) and len(_nodes(from_folder)) >= 4
    assert from_dicomdir["unreadable"] == {}


def test_index_of_a_dicomdir_equals_the_index_of_its_folder(liver_cd, shared_data):
    by_dicomdir, by_folder = index_paths([liver_cd / "DICOMDIR"]), index_paths([liver_cd])
    originals = index_paths([shared_data / "liver-ct-seg-sr"])
    assert by_dicomdir.counts == by_folder.counts == {**originals.counts, "skipped": 0}
    assert by_dicomdir.counts["instances"] == 6 and by_dicomdir.counts["series"] == 4


def test_missing_referenced_files_are_named_and_the_rest_loads(liver_cd, capsys):
    contents = read_dicomdir(liver_cd / "DICOMDIR")
    gone = [path for path in contents.files if "SE000003" in path]  # the SR's folder
    assert len(gone) == 1
    os.remove(gone[0])
    code, tree = _load_json(capsys, liver_cd / "DICOMDIR")
    assert code == 2  # a DICOM file the command was asked for could not be read (README: exit codes)
    assert tree["unreadable"] == {gone[0]: f"referenced by the DICOMDIR but missing ({liver_cd / 'DICOMDIR'})"}
    kinds = {item["kind"] for item in tree["loadables"] if item["selected"]}
    assert kinds == {"scalar volume", "segmentation"}


def test_lower_case_copies_of_cd_names_are_found(liver_cd, tmp_path):
    copy = tmp_path / "copied"
    shutil.copytree(liver_cd, copy)
    for folder, directories, files in os.walk(copy, topdown=False):  # as some copy tools write a CD
        for name in files + directories:
            if name != "DICOMDIR":
                os.rename(os.path.join(folder, name), os.path.join(folder, name.lower()))
    contents = read_dicomdir(copy / "DICOMDIR")
    assert len(contents.files) == 6 and contents.missing == {}
    assert all("/pt000000/st000000/" in path for path in contents.files)


def test_pydicom_dicomdir_test_set_is_followed(capsys):
    dicomdir = pydicom_test_directory() / "dicomdirtests" / "DICOMDIR"
    contents = read_dicomdir(dicomdir)
    records = [r for r in pydicom.dcmread(dicomdir).DirectoryRecordSequence if "ReferencedFileID" in r]
    assert len(contents.files) == len(records) == 31 and contents.missing == {}
    index = index_paths([dicomdir])
    assert index.counts["instances"] == 31 and index.counts["skipped"] == 0


def test_a_broken_dicomdir_is_reported_by_name(tmp_path):
    broken = tmp_path / "DICOMDIR"
    broken.write_bytes(b"not a directory of anything")
    result = examine_paths([str(broken)])
    assert result.loadables == [] and "named DICOMDIR but not a DICOM file" in result.unreadable[str(broken)]


def test_the_plugin_follows_a_dicomdir(liver_cd, monkeypatch, mrml):
    import slicer

    monkeypatch.setitem(sys.modules, "DICOMLib", dicomlib_module())
    monkeypatch.setattr(slicer, "mrmlScene", mrml.scene, raising=False)
    monkeypatch.setattr(slicer, "modules", types.SimpleNamespace(), raising=False)
    monkeypatch.syspath_prepend(str(PROJECT_ROOT / "DICOMTeachPlugin"))
    sys.modules.pop("DICOMTeachPlugin", None)
    plugin = importlib.import_module("DICOMTeachPlugin").DICOMTeachPluginClass()
    sys.modules.pop("DICOMTeachPlugin", None)
    names = sorted(item.name for item in plugin.examineFiles([str(liver_cd / "DICOMDIR")]))
    expected = sorted(item.name for item in examine_paths([str(liver_cd)]).loadables)
    assert names == expected and len(names) >= 4
