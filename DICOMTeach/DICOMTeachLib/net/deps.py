"""The networking packages, imported on first use with a clear message when they are missing.

pynetdicom (DIMSE) and dicomweb-client (DICOMweb) are the `net` extra of the
package; Slicer does not bundle them, and the module installs them on first use
(``slicer.util.pip_install``), never when it is imported.
"""

from __future__ import annotations

import importlib

from ..errors import MissingDependencyError

NET_PACKAGES = ("pynetdicom", "dicomweb-client")


def _require(module: str, package: str):
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise MissingDependencyError(
            f"{package} is not installed: pip install 'dicomteach[net]' (in Slicer the DICOM Teach module "
            "installs it on first use)") from error


def require_pynetdicom():
    """pynetdicom with the submodules we use loaded."""
    pynetdicom = _require("pynetdicom", "pynetdicom")
    importlib.import_module("pynetdicom.events")
    return pynetdicom


def require_dicomweb_client():
    return _require("dicomweb_client", "dicomweb-client")


def missing_packages() -> list[str]:
    """The pip names of the networking packages not importable here (what Slicer installs on first use)."""
    modules = {"pynetdicom": "pynetdicom", "dicomweb-client": "dicomweb_client"}
    missing = []
    for package, module in modules.items():
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(package)
    return missing
