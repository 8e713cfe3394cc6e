"""The header index: the same values pydicom reads, the tree Slicer's hierarchy uses, skipped files with reasons."""

from __future__ import annotations

import json

import pydicom
import pytest
from pydicom.uid import generate_uid

from DICOMTeachLib.cli import main
from DICOMTeachLib.index import INDEX_TAGS, index_paths, read_index_header
from DICOMTeachLib.testdata import pydicom_ct_series, pydicom_test_directory, pydicom_test_file


def _pydicom_values(path):
    dataset = pydicom.dcmread(path, stop_before_pixels=True)
    values = {}
    for keyword, *_ in INDEX_TAGS:
        value = dataset.get(keyword)
        if type(value).__name__ == "MultiValue":
            value = "\\".join(str(v) for v in value)
        if value is not None and str(value).strip():
            values[keyword] = str(value).strip()
    return values


def _ours(path):
    return {k: str(v) for k, v in read_index_header(str(path)).items() if not k.startswith("_") and str(v)}


def test_every_shared_data_file_indexes_to_the_values_pydicom_reads(shared_data):
    files = [p for p in sorted(shared_data.rglob("*")) if p.is_file() and p.suffix != ".md"]
    assert len(files) > 150
    for path in files:
        assert _ours(path) == _pydicom_values(path), path


@pytest.mark.parametrize("name", ["MR_small_bigendian.dcm", "SC_rgb_jpeg.dcm", "charset_files/chrJapMulti.dcm",
                                  "charset_files/chrRuss.dcm", "charset_files/chrX2.dcm", "charset_files/chrGreek.dcm",
                                  "no_meta.dcm", "reportsi.dcm", "image_dfl.dcm"])
def test_odd_files_index_like_pydicom_reads_them(name):
    candidates = [p for p in (pydicom_test_directory(), pydicom_test_directory().parent) if (p / name).is_file()]
    candidates = [folder / name for folder in candidates]
    if not candidates:
        pytest.skip(f"pydicom does not ship {name}")
    path = candidates[0]
    try:
        expected = _pydicom_values(path)
    except pydicom.errors.InvalidDicomError:
        with pytest.raises(Exception, match="not a DICOM file"):
            read_index_header(str(path))
        return
    assert _ours(path) == expected


def test_lidc_folder_is_one_series_of_133_instances_in_instance_order(lidc_ct_files):
    index = index_paths([lidc_ct_files[0].parent])
    assert index.counts == {"patients": 1, "studies": 1, "series": 1, "instances": 133, "skipped": 0}
    (patient,) = index.patients
    first = pydicom.dcmread(lidc_ct_files[0], stop_before_pixels=True)
    assert patient.patient_id == first.PatientID and patient.key == first.PatientID
    (study,) = patient.studies
    assert study.study_instance_uid == first.StudyInstanceUID
    (series,) = study.series
    assert series.series_instance_uid == first.SeriesInstanceUID and series.modality == "CT"
    numbers = [instance.instance_number for instance in series.instances]
    assert numbers == sorted(numbers)


def test_shared_data_tree_groups_by_uid_and_skips_non_dicom_with_the_reason(shared_data):
    index = index_paths([shared_data])
    assert set(index.skipped) == {str(p) for p in shared_data.rglob("*.md")}
    assert all("not a DICOM file" in reason for reason in index.skipped.values())
    studies = {s.study_instance_uid: s for p in index.patients for s in p.studies}
    liver_ct = pydicom.dcmread(next((shared_data / "liver-ct-seg-sr" / "ct").iterdir()), stop_before_pixels=True)
    liver_seg = pydicom.dcmread(shared_data / "liver-ct-seg-sr" / "seg" / "liver.dcm", stop_before_pixels=True)
    if liver_seg.StudyInstanceUID == liver_ct.StudyInstanceUID:
        modalities = {s.modality for s in studies[liver_ct.StudyInstanceUID].series}
        assert {"CT", "SEG"} <= modalities
    total = sum(len(series.instances) for study in studies.values() for series in study.series)
    assert total == index.counts["instances"] == len([p for p in shared_data.rglob("*") if p.is_file()]) - len(
        index.skipped)


def test_empty_patient_id_is_keyed_on_the_study_as_slicer_does(tmp_path):
    dataset = pydicom.dcmread(pydicom_ct_series()[0])
    dataset.PatientID = ""
    dataset.save_as(tmp_path / "anonymous.dcm")
    (patient,) = index_paths([tmp_path]).patients
    assert patient.patient_id == "" and patient.key == f"Patient-{dataset.StudyInstanceUID}"


def test_index_never_reads_pixel_data(tmp_path):
    # A copy cut off in the middle of its pixel data indexes exactly like the whole file.
    source = pydicom_ct_series()[0]
    data = source.read_bytes()
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(data[: len(data) - 200])
    assert _ours(cut) == _ours(source)


def test_files_without_uids_are_skipped_with_the_reason(tmp_path):
    dataset = pydicom.dcmread(pydicom_test_file("CT_small.dcm"))
    del dataset.SeriesInstanceUID
    dataset.SOPInstanceUID = generate_uid()
    dataset.save_as(tmp_path / "no-series.dcm")
    (tmp_path / "notes.txt").write_text("not dicom")
    index = index_paths([tmp_path])
    assert "SeriesInstanceUID" in index.skipped[str(tmp_path / "no-series.dcm")]
    assert "not a DICOM file" in index.skipped[str(tmp_path / "notes.txt")]
    assert index.counts["instances"] == 0


def test_index_command_prints_the_tree_and_json(capsys, pydicom_ct_files):
    assert main(["index", str(pydicom_ct_files[0].parent)]) == 0
    out = capsys.readouterr().out
    first = pydicom.dcmread(pydicom_ct_files[0], stop_before_pixels=True)
    assert f"{len(pydicom_ct_files)} instance(s)" in out and first.SeriesInstanceUID in out
    assert main(["index", "--json", str(pydicom_ct_files[0].parent)]) == 0
    tree = json.loads(capsys.readouterr().out)
    assert tree["counts"]["instances"] == len(pydicom_ct_files)
    series = tree["patients"][0]["studies"][0]["series"][0]
    assert {i["sop_instance_uid"] for i in series["instances"]} == {
        pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID for p in pydicom_ct_files}


def test_index_command_names_a_missing_path(capsys, tmp_path):
    assert main(["index", str(tmp_path / "absent")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def _elements(dataset):
    return [(e.tag, e.VR, [_elements(item) for item in e.value] if e.VR == "SQ" else repr(e.value))
            for e in dataset]


def _attributes(dataset):
    return {name: value for name, value in vars(dataset).items() if name not in ("_dict", "file_meta")}


def test_examine_headers_read_fast_equal_pydicoms_own_reading(shared_data):
    """The fast header path hands pydicom raw elements; every value must come out as dcmread gives it."""
    import warnings

    from DICOMTeachLib.fast_header import read_header_fast

    files = [p for p in sorted(shared_data.rglob("*.dcm"))]
    files += [p for p in sorted(pydicom_test_directory().glob("*.dcm"))]
    fast = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in files:
            result = read_header_fast(str(path))
            if result is None:
                continue
            fast += 1
            dataset, info = result
            reference = pydicom.dcmread(path, stop_before_pixels=True)
            assert _elements(dataset) == _elements(reference), path
            assert _elements(dataset.file_meta) == _elements(reference.file_meta), path
            assert dataset.original_encoding == reference.original_encoding, path
            for ours, theirs in ((dataset, reference), (dataset.file_meta, reference.file_meta)):
                assert _attributes(ours) == _attributes(theirs), path  # as pydicom's constructors set them
            assert info.present == ("PixelData" in pydicom.dcmread(path)), path
    assert fast > 100
