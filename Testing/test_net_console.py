"""What the Slicer module's console API returns (its Qt-free half), against the real lesson PACS."""

from __future__ import annotations

import ast

import pytest
from conftest import PROJECT_ROOT

from DICOMTeachLib.net.console import echo_text, query_text, send_files_text
from DICOMTeachLib.net.deps import missing_packages

pytestmark = pytest.mark.slow


def test_send_then_query_as_text(lesson_pacs, pydicom_ct_files):
    import pydicom

    text = send_files_text(lesson_pacs.dicom_address, [str(p) for p in pydicom_ct_files], "ORTHANC")
    assert f"C-STORE with {lesson_pacs.dicom_address}: {len(pydicom_ct_files)} of {len(pydicom_ct_files)}" in text
    series = str(pydicom.dcmread(pydicom_ct_files[0], stop_before_pixels=True).SeriesInstanceUID)
    text = query_text(lesson_pacs.dicom_address, "series", {"SeriesInstanceUID": series}, "ORTHANC")
    assert "1 match(es)" in text and series in text and "single value" in text
    assert "0x0000 Success" in echo_text(lesson_pacs.dicom_address, "ORTHANC")


def test_networking_packages_are_installed_here():
    assert missing_packages() == []


def test_the_module_installs_networking_on_first_use_not_at_import():
    """pip_install is called inside a Logic method only, never at the module's top level."""
    tree = ast.parse((PROJECT_ROOT / "DICOMTeach" / "DICOMTeach.py").read_text())
    top_level_calls = [node for statement in tree.body if not isinstance(statement, (ast.ClassDef, ast.FunctionDef))
                       for node in ast.walk(statement) if isinstance(node, ast.Attribute) and node.attr == "pip_install"]
    assert top_level_calls == []
    logic = next(node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "DICOMTeachLogic")
    methods = {node.name: node for node in logic.body if isinstance(node, ast.FunctionDef)}
    assert {"ensureNetworking", "echoPacs", "sendSeriesToPacs", "queryPacs"} <= set(methods)
    assert any(isinstance(n, ast.Attribute) and n.attr == "pip_install" for n in ast.walk(methods["ensureNetworking"]))
