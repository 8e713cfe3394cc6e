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


# --- what the Extensions Index asks of an extension (Slicer 5.12's templates) ---------------------------


def _cmake_value(name: str) -> str:
    match = re.search(rf'set\({name} "([^"]*)"\)', (PROJECT_ROOT / "CMakeLists.txt").read_text())
    assert match, name
    return match.group(1)


def test_license_file_is_the_bsd_3_clause_text_pyproject_declares():
    import tomllib

    declared = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["license"]
    text = (PROJECT_ROOT / "LICENSE").read_text()
    assert declared == "BSD-3-Clause" and text.startswith("BSD 3-Clause License")
    assert text.count("\n1. Redistributions") == 1 and "3. Neither the name of the copyright holder" in text


def test_module_self_test_is_registered_with_ctest():
    cmake = (PROJECT_ROOT / "DICOMTeach" / "CMakeLists.txt").read_text()
    block = re.search(r"if\(BUILD_TESTING\)(.*?)endif\(\)", cmake, re.S)
    assert block and "slicer_add_python_unittest(SCRIPT ${MODULE_NAME}.py)" in block.group(1)
    tree = ast.parse((PROJECT_ROOT / "DICOMTeach" / "DICOMTeach.py").read_text())
    tests = [node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "DICOMTeachTest"]
    assert tests and any(getattr(base, "id", "") == "ScriptedLoadableModuleTest" for base in tests[0].bases)


def test_category_is_translated_in_slicers_core_module_context():
    source = (PROJECT_ROOT / "DICOMTeach" / "DICOMTeach.py").read_text()
    assert 'self.parent.categories = [translate("qSlicerAbstractCoreModule", "Informatics")]' in source
    assert _cmake_value("EXTENSION_CATEGORY") == "Informatics"


def test_help_links_to_the_readme_that_is_the_homepage():
    homepage = _cmake_value("EXTENSION_HOMEPAGE")
    assert homepage.endswith("#readme")
    module = (PROJECT_ROOT / "DICOMTeach" / "DICOMTeach.py").read_text()
    plugin = (PROJECT_ROOT / "DICOMTeachPlugin" / "DICOMTeachPlugin.py").read_text()
    assert f'HOMEPAGE = "{homepage}"' in module and "getDefaultModuleDocumentationLink" not in module
    assert homepage in plugin


def test_contributors_are_named_as_the_template_asks():
    pattern = re.compile(r"^[^()]+ \([^()]+\)$")  # "Name (Organization)"
    assert pattern.match(_cmake_value("EXTENSION_CONTRIBUTORS"))
    for path in SLICER_FILES:
        (contributors,) = re.findall(r"contributors = \[([^\]]*)\]", path.read_text())
        assert all(pattern.match(name) for name in ast.literal_eval(f"[{contributors}]")), path.name


def test_cmake_minimum_is_the_5_12_templates():
    text = (PROJECT_ROOT / "CMakeLists.txt").read_text()
    assert text.startswith("cmake_minimum_required(VERSION 3.28.0...3.28.0 FATAL_ERROR)")


def test_readme_shows_a_screenshot_that_ships_with_the_repository():
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", (PROJECT_ROOT / "README.md").read_text())
    assert images and all((PROJECT_ROOT / image).is_file() for image in images)
    screenshot = _cmake_value("EXTENSION_SCREENSHOTURLS").split("/main/")[-1]
    assert screenshot in images
