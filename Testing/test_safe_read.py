"""Bounds checked before pydicom: lengths, depth, inflation, impossible image headers, paths."""

from __future__ import annotations

import contextlib
import os
import struct
import zlib
from pathlib import Path

import fuzz_helpers
import pydicom
import pytest

from DICOMTeachLib.bounds import check_image_header
from DICOMTeachLib.errors import DICOMTeachError, InvalidDicomError, NotDicomError
from DICOMTeachLib.examine import examine_files, read_header
from DICOMTeachLib.explain import explain
from DICOMTeachLib.index import index_paths
from DICOMTeachLib.paths import files_and_problems
from DICOMTeachLib.phi.deidentify import deidentify
from DICOMTeachLib.safe_read import MAX_SEQUENCE_DEPTH, check_structure
from DICOMTeachLib.testdata import pydicom_test_directory, pydicom_test_file


def _deep_copy(tmp_path: Path, depth: int, undefined: bool) -> Path:
    data = fuzz_helpers._with_deep_sequence(pydicom_test_file("CT_small.dcm").read_bytes(), depth, undefined)
    path = tmp_path / f"deep_{depth}_{'u' if undefined else 'd'}.dcm"
    path.write_bytes(data)
    return path


def test_every_file_pydicom_ships_passes_the_structure_check():
    refused = {}
    for path in sorted(pydicom_test_directory().rglob("*.dcm")):
        try:
            pydicom.dcmread(path)
        except Exception:  # noqa: BLE001 - files pydicom itself cannot read are not the question here
            continue
        try:
            check_structure(path)
        except DICOMTeachError as error:
            refused[path.name] = error.reason
    assert refused == {}


@pytest.mark.parametrize("undefined", [True, False], ids=["undefined-length", "defined-length"])
def test_sequences_deeper_than_the_cap_are_refused_by_every_entry_point(tmp_path, undefined):
    at_cap = _deep_copy(tmp_path, MAX_SEQUENCE_DEPTH, undefined)
    check_structure(at_cap)  # 64 levels: still read
    for depth in (MAX_SEQUENCE_DEPTH + 1, 300, 20000):
        path = _deep_copy(tmp_path, depth, undefined)
        with fuzz_helpers.time_limit(20):
            with pytest.raises(InvalidDicomError, match=f"nested more than {MAX_SEQUENCE_DEPTH} levels"):
                explain(path)
            index = index_paths([path])  # reads only the first tags: the sequence after them is never walked
            assert index.counts["instances"] == 1 or "nested more than" in index.skipped[str(path)]
            assert "nested more than" in examine_files([str(path)]).unreadable[str(path)]
            report = deidentify([path], tmp_path / f"out{depth}", salt="x")
            assert report.files == [] and "nested more than" in report.skipped[0].reason


def test_a_huge_length_inside_a_sequence_is_refused_before_allocation(tmp_path):
    data = bytearray(pydicom_test_file("rtplan.dcm").read_bytes())
    item = data.find(b"\xfe\xff\x00\xe0", 200)  # the first item header of a sequence
    data[item + 4:item + 8] = struct.pack("<L", 0x7FFFFFF0)
    path = tmp_path / "huge_item.dcm"
    path.write_bytes(bytes(data))
    with pytest.raises(InvalidDicomError, match="declares 2147483632 bytes"):
        check_structure(path)


def test_a_gigabyte_of_zeros_is_judged_from_its_first_bytes(tmp_path):
    for name, prefix in (("zeros.bin", b""), ("zeros_dicm.dcm", b"\0" * 128 + b"DICM")):
        path = tmp_path / name
        with open(path, "wb") as handle:  # sparse: no gigabyte written to disk
            handle.write(prefix)
            handle.truncate(2**30)
        with fuzz_helpers.time_limit(20):
            with pytest.raises(DICOMTeachError, match=r"CommandGroupLength twice in a row at offset (8|140)\b"):
                explain(path)
            assert "twice in a row" in index_paths([path]).skipped[str(path)]
            assert "twice in a row" in examine_files([str(path)]).unreadable[str(path)]
            report = deidentify([path], tmp_path / "out", salt="x")
            assert "twice in a row" in report.skipped[0].reason
    with pytest.raises(NotDicomError):
        check_structure(tmp_path / "zeros.bin")


def test_a_cut_deflated_stream_and_a_deflate_bomb_are_refused(tmp_path):
    data = pydicom_test_file("image_dfl.dcm").read_bytes()
    cut = tmp_path / "cut_dfl.dcm"
    cut.write_bytes(data[:len(data) - 200])
    with pytest.raises(InvalidDicomError, match="compressed stream does not end"):
        check_structure(cut)
    prefix = data[:data.index(b"1.2.840.10008.1.2.1.99") + 22]  # preamble and file meta, up to the syntax UID
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    bomb_body = compressor.compress(b"\0" * (300 * 2**20)) + compressor.flush()
    bomb = tmp_path / "bomb.dcm"
    bomb.write_bytes(prefix + bomb_body)
    with pytest.raises(InvalidDicomError, match="inflates to more than"):
        check_structure(bomb)


def test_a_vr_that_is_no_vr_is_refused(tmp_path):
    data = bytearray(pydicom_test_file("CT_small.dcm").read_bytes())
    at = data.find(b"\x08\x00\x60\x00CS")  # Modality
    data[at + 4:at + 6] = b"ZZ"
    path = tmp_path / "vr.dcm"
    path.write_bytes(bytes(data))
    with pytest.raises(InvalidDicomError, match="Modality at offset .* has VR bytes b'ZZ', which is no VR"):
        check_structure(path)


def _edited_header(tmp_path: Path, source: str, **values) -> Path:
    ds = pydicom.dcmread(pydicom_test_file(source))
    for keyword, value in values.items():
        if isinstance(value, pydicom.DataElement):
            ds[value.tag] = value
        else:
            setattr(ds, keyword, value)
    path = tmp_path / f"{source}_{'_'.join(values)}.dcm"
    with pydicom.config.disable_value_validation():
        ds.save_as(path)
    return path


@pytest.mark.parametrize("source, values, reason", [
    ("emri_small.dcm", {"NumberOfFrames": pydicom.DataElement(0x00280008, "IS", "999999999")},
     "NumberOfFrames 999999999 of 64x64 need"),
    ("emri_small.dcm", {"NumberOfFrames": pydicom.DataElement(0x00280008, "IS", "-1")}, "NumberOfFrames is -1"),
    ("CT_small.dcm", {"Columns": 0}, "Columns is 0"),
    ("CT_small.dcm", {"BitsStored": 40}, "BitsStored is 40 with BitsAllocated 16"),
    ("CT_small.dcm", {"PixelSpacing": pydicom.DataElement(0x00280030, "DS", "0\\0")}, "is not a usable spacing"),
    ("CT_small.dcm", {"ImagePositionPatient": pydicom.DataElement(0x00200032, "DS", "NaN\\0\\0")},
     "is not a finite position"),
    ("CT_small.dcm", {"ImagePositionPatient": pydicom.DataElement(0x00200032, "DS", "1e308\\0\\0")},
     "is not a finite position"),
    ("CT_small.dcm", {"ImageOrientationPatient": pydicom.DataElement(0x00200037, "DS", "0\\0\\0\\0\\1\\0")},
     "has a zero direction"),
    ("MR2_J2KR.dcm", {"PhotometricInterpretation": "YBR_FULL_422"}, "contradicts JPEG 2000 compression"),
])
def test_impossible_image_headers_are_refused_at_examine(tmp_path, source, values, reason):
    path = _edited_header(tmp_path, source, **values)
    with pytest.raises(InvalidDicomError, match="the image header cannot be used") as caught:
        read_header(str(path))
    assert reason in caught.value.reason and caught.value.path == str(path)
    assert reason in examine_files([str(path)]).unreadable[str(path)]


def test_the_real_headers_of_the_seeds_pass_the_image_checks():
    checked = 0
    for path in fuzz_helpers.seed_files():
        try:
            header = read_header(str(path))
        except NotDicomError:  # a bare data set (no "DICM"): examine reads only files
            continue
        check_image_header(header, str(path))
        checked += 1
    assert checked >= 20


def test_a_jpeg2000_codestream_that_contradicts_the_header_never_reaches_the_decoder(tmp_path, mrml):
    from DICOMTeachLib.errors import LoadError
    from DICOMTeachLib.loading import load_loadable

    path = _edited_header(tmp_path, "MR2_J2KR.dcm", Rows=512)  # the codestream holds 1024x1024
    (loadable,) = examine_files([str(path)]).loadables
    with pytest.raises(LoadError, match="the JPEG 2000 codestream holds 1024x1024 pixels with 1 component"):
        load_loadable(loadable, mrml.scene)


def test_folders_report_looping_links_pipes_and_linked_folders(tmp_path):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "ct.dcm").write_bytes(pydicom_test_file("CT_small.dcm").read_bytes())
    (folder / "loop").symlink_to(folder / "loop")
    os.mkfifo(folder / "pipe")
    (folder / "up").symlink_to(folder, target_is_directory=True)
    files, problems = files_and_problems([folder])
    assert files == [str(folder / "sub" / "ct.dcm")]
    assert "cannot be followed" in problems[str(folder / "loop")]
    assert "not a regular file" in problems[str(folder / "pipe")]
    assert "not followed" in problems[str(folder / "up")]


NATIVE_DECODE_CASE = """
import sys, pydicom
from DICOMTeachLib.examine import default_selection, examine_files
from DICOMTeachLib.errors import DICOMTeachError
from DICOMTeachLib.headless import MRMLEnvironment
from DICOMTeachLib.loading import load_loadable
path, photometric, samples = sys.argv[1], sys.argv[2], int(sys.argv[3])
ds = pydicom.dcmread(path)
ds.PhotometricInterpretation, ds.SamplesPerPixel = photometric, samples
ds.save_as(sys.argv[4])
result = examine_files([sys.argv[4]])
print("refused at examine:", result.unreadable.get(sys.argv[4], ""))
with MRMLEnvironment.create() as env:
    for loadable in default_selection(result.loadables):
        try:
            load_loadable(loadable, env.scene)
            print("loaded")
        except DICOMTeachError as error:
            print("refused at load:", error.reason)
"""


@pytest.mark.parametrize("photometric, samples", [("RGB", 1), ("YBR_FULL", 1), ("YBR_FULL_422", 1), ("RGB", 3),
                                                  ("YBR_FULL_422", 3)])
def test_photometric_contradicting_a_jpeg2000_codestream_is_refused_not_aborted(tmp_path, photometric, samples):
    """GDCM aborts the process (SIGABRT) on these: run in a subprocess, so that an abort fails one test."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", NATIVE_DECODE_CASE, str(pydicom_test_file("MR2_J2KR.dcm")),
                           photometric, str(samples), str(tmp_path / "mr.dcm")], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "QT_QPA_PLATFORM": "offscreen",
                                            "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "DICOMTeach")})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "refused at" in done.stdout and "loaded" not in done.stdout, done.stdout


def test_a_huge_length_at_the_top_level_never_allocates_what_it_declares(tmp_path):
    """Explain keeps such a value deferred (a truncation to explain); reading it later must not allocate 4 GB."""
    import tracemalloc

    data = bytearray(pydicom_test_file("CT_small.dcm").read_bytes())
    at = data.find(b"\x28\x00\x02\x00US")  # SamplesPerPixel, read by the explanation's conditions
    data[at:at + 8] = b"\x28\x00\x02\x00OB\x00\x00"  # as OB, whose 4-byte length follows
    data[at + 8:at + 8] = struct.pack("<L", 0xFFFFFFF0)
    path = tmp_path / "huge_samples.dcm"
    path.write_bytes(bytes(data))
    tracemalloc.start()
    try:
        with contextlib.suppress(DICOMTeachError):
            explain(path).to_json_dict()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20
