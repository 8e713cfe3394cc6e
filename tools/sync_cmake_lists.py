"""Rewrite the file lists of DICOMTeach/CMakeLists.txt from the files on disk.

Slicer's build copies only the files a scripted module lists, so a file left
out of MODULE_PYTHON_SCRIPTS or MODULE_PYTHON_RESOURCES silently goes missing
from the installed extension. Run this after adding a file; the test
Testing/test_cmake_lists.py fails while the lists and the disk disagree.

    python tools/sync_cmake_lists.py          # rewrite
    python tools/sync_cmake_lists.py --check  # exit 1 when out of date
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULE_DIRS = ["DICOMTeach", "DICOMTeachPlugin"]
SKIP_PARTS = {"__pycache__"}
SKIP_SUFFIXES = {".pyc", ".txt"}  # CMakeLists.txt itself is not shipped


def shipped_files(module_dir: Path) -> tuple[list[str], list[str]]:
    """(python scripts, resources) of a module, as CMake-relative paths."""
    scripts, resources = [], []
    for path in sorted(module_dir.rglob("*")):
        relative = path.relative_to(module_dir)
        if (not path.is_file() or SKIP_PARTS & set(relative.parts) or path.suffix in SKIP_SUFFIXES
                or any(part.endswith(".egg-info") for part in relative.parts)):
            continue
        (scripts if path.suffix == ".py" else resources).append(relative.as_posix())
    return scripts, resources


def expand(name: str, module_name: str) -> str:
    return name.replace("${MODULE_NAME}", module_name)


def listed(module_dir: Path) -> tuple[list[str], list[str]]:
    text = (module_dir / "CMakeLists.txt").read_text()
    module_name = module_dir.name

    def names(variable: str) -> list[str]:
        match = re.search(rf"set\({variable}\s*(.*?)\)", text, re.S)
        return [expand(name, module_name) for name in match.group(1).split()] if match else []

    return names("MODULE_PYTHON_SCRIPTS"), names("MODULE_PYTHON_RESOURCES")


def rewrite(module_dir: Path) -> bool:
    """Rewrite the lists; True when the file changed."""
    path = module_dir / "CMakeLists.txt"
    text = path.read_text()
    scripts, resources = shipped_files(module_dir)
    for variable, names in (("MODULE_PYTHON_SCRIPTS", scripts), ("MODULE_PYTHON_RESOURCES", resources)):
        body = "".join(f"  {n.replace(module_dir.name + '.py', '${MODULE_NAME}.py')}\n" for n in names)
        text = re.sub(rf"set\({variable}\s*.*?\)", f"set({variable}\n{body}  )", text, count=1, flags=re.S)
    changed = text != path.read_text()
    if changed:
        path.write_text(text)
    return changed


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name in MODULE_DIRS:
        module_dir = ROOT / name
        if check:
            if listed(module_dir) != shipped_files(module_dir):
                stale.append(name)
        elif rewrite(module_dir):
            print(f"updated {name}/CMakeLists.txt")
    if stale:
        print("out of date (run python tools/sync_cmake_lists.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
