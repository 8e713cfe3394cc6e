"""Where real DICOM files written by others can be found without a download.

pydicom ships its test files inside the package; ``../shared/data`` (beside a
checkout) holds the project's third-party data set. Single files are looked up
by name: ``pydicom.data.get_testdata_files("*")`` would try to download the rest
and hang without a network.
"""

from __future__ import annotations

import os
from pathlib import Path


def pydicom_test_file(name: str) -> Path:
    """Path of one of pydicom's bundled test files (e.g. "CT_small.dcm")."""
    from pydicom.data import get_testdata_file

    found = get_testdata_file(name, download=False)
    if found is None:
        raise FileNotFoundError(f"pydicom does not ship a test file named {name!r}")
    return Path(found)


def pydicom_test_directory() -> Path:
    """pydicom's bundled ``data/test_files`` folder."""
    import pydicom.data

    return Path(pydicom.data.__file__).parent / "test_files"


def pydicom_ct_series() -> list[Path]:
    """The 4-slice CT series pydicom ships in ``dicomdirtests/77654033/CT2``."""
    folder = pydicom_test_directory() / "dicomdirtests" / "77654033" / "CT2"
    return sorted(path for path in folder.iterdir() if path.is_file())


def shared_data_directory() -> Path | None:
    """``../shared/data`` beside the project checkout, or $DICOMTEACH_SHARED_DATA; None when absent."""
    configured = os.environ.get("DICOMTEACH_SHARED_DATA")
    candidates = [Path(configured)] if configured else []
    candidates.append(Path(__file__).resolve().parents[3] / "shared" / "data")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return None
