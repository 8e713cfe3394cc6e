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
