"""The Slicer-side files agree with the library and with each other.

Slicer's desktop app is not available to the test suite, so these checks
catch what would otherwise only fail inside Slicer: a widget name used in
DICOMTeach.py that the .ui file lacks, or a library name imported by the module
or the plugin that no longer exists.
"""

import ast
import importlib
import re
import xml.etree.ElementTree as ET

import pytest
from conftest import PROJECT_ROOT

SLICER_FILES = [PROJECT_ROOT / "DICOMTeach" / "DICOMTeach.py", PROJECT_ROOT / "DICOMTeachPlugin" / "DICOMTeachPlugin.py"]


def test_every_widget_the_panel_uses_is_in_the_ui_file():
    source = (PROJECT_ROOT / "DICOMTeach" / "DICOMTeach.py").read_text()
    used = set(re.findall(r"self\.ui\.(\w+)", source))
    tree = ET.parse(PROJECT_ROOT / "DICOMTeach" / "Resources" / "UI" / "DICOMTeach.ui")
    defined = {widget.get("name") for widget in tree.iter("widget")}
    assert used, "the panel uses no widget?"
    assert used <= defined, f"missing in DICOMTeach.ui: {sorted(used - defined)}"


@pytest.mark.parametrize("path", SLICER_FILES, ids=lambda p: p.name)
def test_library_names_imported_by_slicer_files_exist(path):
    imports = [node for node in ast.walk(ast.parse(path.read_text()))
               if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("DICOMTeachLib")]
    assert imports
    for node in imports:
        module = importlib.import_module(node.module)
        for alias in node.names:
            assert hasattr(module, alias.name), f"{path.name}: {node.module} has no {alias.name}"
