"""The decoder packages we would install really make pydicom decode those transfer syntaxes."""

import importlib.metadata

import pytest
from pydicom.pixels import get_decoder
from pydicom.uid import UID

from DICOMTeachLib.decoders import (
    DECODER_PACKAGES,
    can_decode,
    missing_decoder_packages,
    transfer_syntaxes_of,
)
from DICOMTeachLib.testdata import pydicom_test_file


@pytest.mark.parametrize("syntax", sorted(DECODER_PACKAGES))
def test_listed_packages_are_ones_pydicom_uses_for_that_syntax(syntax):
    decoder = get_decoder(UID(syntax))
    plugins = set(decoder._available) | set(decoder._unavailable)  # pydicom's plugin names for the syntax
    assert plugins & {"pylibjpeg", "pyjpegls"}, plugins
    for package in DECODER_PACKAGES[syntax]:
        importlib.metadata.version(package)  # installed in the test environment: it must exist on PyPI
    assert can_decode(syntax)


def test_nothing_is_missing_when_the_decoders_are_installed():
    compressed = ["JPEG2000.dcm", "JPEG-LL.dcm", "SC_rgb_rle.dcm", "MR_small_jpeg_ls_lossless.dcm"]
    syntaxes = transfer_syntaxes_of([str(pydicom_test_file(name)) for name in compressed])
    assert len(syntaxes) == 4 and all(UID(s).is_compressed for s in syntaxes)
    assert missing_decoder_packages(syntaxes) == []


def test_native_and_unreadable_files_need_nothing(tmp_path):
    junk = tmp_path / "junk.dcm"
    junk.write_bytes(b"not dicom")
    syntaxes = transfer_syntaxes_of([str(pydicom_test_file("CT_small.dcm")), str(junk)])
    assert syntaxes == {"1.2.840.10008.1.2.1"}
    assert missing_decoder_packages(syntaxes) == []


_HIDDEN_DECODERS_SCRIPT = r"""
import importlib.abc, json, sys

# Until "installed", the decoder packages are absent: any import of them fails as on a fresh Slicer.
HIDDEN = {"gdcm", "_gdcmswig", "pylibjpeg", "libjpeg", "openjpeg", "rle", "jpeg_ls", "PIL"}

class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None

hider = Hide()
sys.meta_path.insert(0, hider)
from DICOMTeachLib.decoders import can_decode, refresh_decoder_plugins
from DICOMTeachLib.examine import examine_files
from DICOMTeachLib.headless import MRMLEnvironment
from DICOMTeachLib.loading import load_loadable
path, syntax = sys.argv[1], sys.argv[2]
report = {"before": can_decode(syntax), "refused_before": examine_files([path]).loadables[0].plan.refuse}
sys.meta_path.remove(hider)  # pip_install has put the packages in place
report["installed_not_refreshed"] = can_decode(syntax)
report["gained"] = refresh_decoder_plugins()
report["after"] = can_decode(syntax)
loadable = examine_files([path]).loadables[0]
with MRMLEnvironment.create() as env:
    node = load_loadable(loadable, env.scene).nodes[0]
    from vtkmodules.util.numpy_support import vtk_to_numpy
    voxels = vtk_to_numpy(node.GetImageData().GetPointData().GetScalars())
    report["voxels"] = [int(voxels.min()), int(voxels.max()), int(voxels.astype("int64").sum())]
print(json.dumps(report))
"""


def test_decoders_installed_while_running_decode_without_a_restart(tmp_path):
    """pydicom fixes decoder availability at first import; refresh_decoder_plugins makes a later install count."""
    import json
    import os
    import subprocess
    import sys

    import pydicom

    path = str(pydicom_test_file("JPEG-LL.dcm"))  # JPEG Lossless, greyscale
    syntax = str(pydicom.dcmread(path).file_meta.TransferSyntaxUID)
    script = tmp_path / "hidden_decoders.py"
    script.write_text(_HIDDEN_DECODERS_SCRIPT)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    completed = subprocess.run([sys.executable, str(script), path, syntax], capture_output=True, text=True,
                               env=env, timeout=300, check=False)
    assert completed.returncode == 0, completed.stderr[-2000:]
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["before"] is False and "no decoder" in report["refused_before"]
    assert report["installed_not_refreshed"] is False  # the bug: pydicom still refuses after the install
    assert syntax in report["gained"] and report["after"] is True
    expected = pydicom.dcmread(path).pixel_array.astype("int64")
    assert report["voxels"] == [int(expected.min()), int(expected.max()), int(expected.sum())]
