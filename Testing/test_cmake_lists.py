"""The Slicer build ships exactly the files on disk."""

import importlib.util
import re

from conftest import PROJECT_ROOT


def _sync_tool():
    spec = importlib.util.spec_from_file_location("sync_cmake_lists", PROJECT_ROOT / "tools" / "sync_cmake_lists.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_module_cmake_lists_name_every_shipped_file():
    tool = _sync_tool()
    for name in tool.MODULE_DIRS:
        module_dir = PROJECT_ROOT / name
        listed_scripts, listed_resources = tool.listed(module_dir)
        scripts, resources = tool.shipped_files(module_dir)
        assert listed_scripts == scripts, f"{name}/CMakeLists.txt scripts differ: run tools/sync_cmake_lists.py"
        assert listed_resources == resources, f"{name}/CMakeLists.txt resources differ"


def test_library_sources_are_shipped_with_the_module():
    scripts, _ = _sync_tool().listed(PROJECT_ROOT / "DICOMTeach")
    library = {p.relative_to(PROJECT_ROOT / "DICOMTeach").as_posix()
               for p in (PROJECT_ROOT / "DICOMTeach" / "DICOMTeachLib").rglob("*.py")}
    assert library and library <= set(scripts)


def test_extension_cmake_lists_follow_slicer_extension_template():
    text = (PROJECT_ROOT / "CMakeLists.txt").read_text()
    assert "project(DICOMTeach)" in text
    for variable in ("EXTENSION_HOMEPAGE", "EXTENSION_CATEGORY", "EXTENSION_CONTRIBUTORS", "EXTENSION_DESCRIPTION",
                     "EXTENSION_ICONURL", "EXTENSION_SCREENSHOTURLS", "EXTENSION_DEPENDS"):
        assert re.search(rf"set\({variable} ", text), variable
    order = [text.index(s) for s in ("find_package(Slicer REQUIRED)", "include(${Slicer_USE_FILE})",
                                     "add_subdirectory(DICOMTeach)", "add_subdirectory(DICOMTeachPlugin)",
                                     "include(${Slicer_EXTENSION_GENERATE_CONFIG})",
                                     "include(${Slicer_EXTENSION_CPACK})")]
    assert order == sorted(order)
    for module in ("DICOMTeach", "DICOMTeachPlugin"):
        module_text = (PROJECT_ROOT / module / "CMakeLists.txt").read_text()
        assert f"set(MODULE_NAME {module})" in module_text
        assert "slicerMacroBuildScriptedModule(" in module_text
