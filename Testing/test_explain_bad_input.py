"""Bad input: explained as far as the bytes allow, with a clear reason for the rest, never a traceback or a hang."""

from __future__ import annotations

import random
import struct
from pathlib import Path

import pydicom
import pytest
from fuzz_helpers import time_limit
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from DICOMTeachLib.errors import DICOMTeachError, NotDicomError
from DICOMTeachLib.explain import explain
from DICOMTeachLib.explain.breakdown import MAX_ITEMS
from DICOMTeachLib.testdata import pydicom_test_file

#: Seconds one explain may take on a small damaged file before we call it a hang.
PER_FILE_LIMIT = 5


def test_text_file_is_not_dicom(tmp_path):
    path = tmp_path / "readme.txt"
    path.write_text("Hello, this is plain text and certainly not a DICOM file.\n" * 10)
    with pytest.raises(NotDicomError) as caught:
        explain(path)
    assert caught.value.path == str(path) and "not a DICOM file" in caught.value.reason


def test_empty_file_is_not_dicom(tmp_path):
    path = tmp_path / "empty.dcm"
    path.write_bytes(b"")
    with pytest.raises(NotDicomError, match="empty"):
        explain(path)


def test_random_bytes_are_not_dicom(tmp_path):
    path = tmp_path / "noise.bin"
    path.write_bytes(random.Random(7).randbytes(4096))
    with pytest.raises(NotDicomError):
        explain(path)


@pytest.mark.parametrize("name", ["MR_truncated.dcm", "rtplan_truncated.dcm"])
def test_pydicoms_truncated_files_are_explained_with_the_truncation(name):
    explanation = explain(pydicom_test_file(name))
    assert explanation.iod is not None
    truncated = [p for p in explanation.problems if p.code == "truncated"]
    assert truncated and truncated[0].severity == "error"


def test_file_cut_inside_a_value_says_it_ends_early(tmp_path):
    data = pydicom_test_file("CT_small.dcm").read_bytes()
    path = tmp_path / "cut.dcm"
    path.write_bytes(data[:len(data) - 5000])  # inside the pixel data
    explanation = explain(path)
    problem = next(p for p in explanation.problems if p.code == "truncated")
    assert "ends early" in problem.message
    assert explanation.module("patient").status == "present"  # everything before the cut is explained


def test_file_without_preamble_but_with_meta_is_explained(tmp_path):
    data = pydicom_test_file("MR_small.dcm").read_bytes()
    path = tmp_path / "no_preamble.dcm"
    path.write_bytes(data[132:])  # drop preamble and "DICM": the meta group starts the file
    explanation = explain(path)
    assert explanation.iod[0] == "mr-image"
    assert "no-preamble" in explanation.problem_codes()


def test_file_without_meta_is_explained_with_a_guessed_transfer_syntax():
    explanation = explain(pydicom_test_file("ExplVR_LitEndNoMeta.dcm"))
    assert {"no-preamble", "no-file-meta"} <= explanation.problem_codes()
    assert explanation.transfer_syntax[0] == "1.2.840.10008.1.2.1"


def test_deflated_file_is_explained():
    path = pydicom_test_file("image_dfl.dcm")
    ds = pydicom.dcmread(path)
    explanation = explain(path)
    assert explanation.sop_class_uid == ds.SOPClassUID
    assert explanation.iod is not None


def test_retired_sop_class_is_explained_generically(tmp_path):
    ds = pydicom.dcmread(pydicom_test_file("MR_small.dcm"))
    retired = "1.2.840.10008.5.1.4.1.1.6"  # Ultrasound Image Storage (Retired)
    ds.SOPClassUID = retired
    ds.file_meta.MediaStorageSOPClassUID = retired
    path = tmp_path / "retired.dcm"
    ds.save_as(path)
    explanation = explain(path)
    assert explanation.sop_class_uid == retired
    assert explanation.problem_codes() & {"unknown-sop-class", "retired-sop-class"}
    assert explanation.other_elements or explanation.modules


def test_huge_private_sequence_is_explained_quickly_and_capped(tmp_path):
    ds = pydicom.dcmread(pydicom_test_file("CT_small.dcm"))
    block = ds.private_block(0x0071, "DICOMTEACH TEST", create=True)
    items = []
    for number in range(3000):
        item = Dataset()
        item.add_new(0x00711001, "LO", f"item {number}")  # private element inside the item
        item.add_new(0x00711002, "UL", number)
        item.add_new(0x00710010, "LO", "DICOMTEACH TEST")
        items.append(item)
    block.add_new(0x10, "SQ", Sequence(items))
    path = tmp_path / "huge_private_sequence.dcm"
    ds.save_as(path)
    with time_limit(20, "explaining a 3000-item private sequence"):
        explanation = explain(path)
    sequence = next(a for a in explanation.other_elements if a.tag == "(0071,1010)")
    assert sequence.value == "3000 items"
    assert len(sequence.items) == MAX_ITEMS
    assert "private-element" in explanation.problem_codes()


def test_long_defined_length_sequence_is_read_with_its_items(tmp_path):
    ds = pydicom.dcmread(pydicom_test_file("CT_small.dcm"))
    items = []
    for number in range(40):
        item = Dataset()
        item.ReferencedSOPClassUID = ds.SOPClassUID
        item.ReferencedSOPInstanceUID = f"1.2.826.0.1.3680043.2.1125.{number}"
        items.append(item)
    ds.ReferencedImageSequence = Sequence(items)
    path = tmp_path / "references.dcm"
    ds.save_as(path)  # explicit VR little endian: defined-length sequence, longer than the defer size
    data = path.read_bytes()
    explanation = explain(path)
    sequence = next(a for m in explanation.modules for a in m.attributes if a.keyword == "ReferencedImageSequence")
    assert sequence.value == "40 items" and len(sequence.items) == MAX_ITEMS
    uid = next(a for a in sequence.items[5] if a.keyword == "ReferencedSOPInstanceUID")
    assert uid.value == items[5].ReferencedSOPInstanceUID
    assert data[uid.offset:uid.offset + 4] == struct.pack("<HH", 0x0008, 0x1155)


# -- mutation: a few hundred damaged files from a fixed seed --------------------------------------------------

MUTATION_SEED = 20261122
SOURCES = ["CT_small.dcm", "MR_small.dcm", "rtplan.dcm", "JPEG2000.dcm", "MR_small_implicit.dcm",
           "MR_small_bigendian.dcm"]
MUTANTS_PER_SOURCE = 50


def _element_offsets(path: Path) -> list[tuple[int, int]]:
    """(offset, header length) of the top-level elements, to aim length mutations at real length fields."""
    anatomy = explain(path).anatomy
    return [(e.offset, e.header_length) for e in anatomy.meta_elements + anatomy.elements if e.offset is not None]


def _mutants(rng: random.Random, data: bytes, elements: list[tuple[int, int]]):
    for number in range(MUTANTS_PER_SOURCE):
        kind = number % 4
        mutant = bytearray(data)
        if kind == 0:  # bit flips, mostly in the header where they matter
            for _ in range(rng.randint(1, 16)):
                position = rng.randrange(min(len(mutant), 4096))
                mutant[position] ^= 1 << rng.randrange(8)
        elif kind == 1:  # truncation anywhere
            mutant = mutant[:rng.randrange(1, len(mutant))]
        elif kind == 2:  # a length field set huge (or undefined)
            offset, header = rng.choice(elements)
            size = 4 if header == 12 else 2
            field = offset + header - size
            huge = rng.choice([0xFFFFFFFF, 0xFFFFFFF0, 0x7FFFFFFF, len(data) * 2]) if size == 4 else 0xFFFF
            mutant[field:field + size] = huge.to_bytes(size, "little")
        else:  # a run of random bytes
            start = rng.randrange(len(mutant))
            mutant[start:start + 64] = rng.randbytes(64)
        yield kind, bytes(mutant)


def test_mutated_files_raise_only_the_librarys_error_and_never_hang(tmp_path):
    rng = random.Random(MUTATION_SEED)
    explained = refused = 0
    for name in SOURCES:
        source = pydicom_test_file(name)
        data = source.read_bytes()
        elements = _element_offsets(source)
        for number, (kind, mutant) in enumerate(_mutants(rng, data, elements)):
            path = tmp_path / f"{source.stem}_{number}_{kind}.dcm"
            path.write_bytes(mutant)
            with time_limit(PER_FILE_LIMIT, f"explain({path.name})"):
                try:
                    explanation = explain(path)
                except DICOMTeachError as error:
                    assert error.path == str(path) and error.reason
                    refused += 1
                    continue
            assert explanation.path == str(path)
            explained += 1
            path.unlink()
    assert explained + refused == len(SOURCES) * MUTANTS_PER_SOURCE
    assert explained > refused  # most damage still leaves something to explain
