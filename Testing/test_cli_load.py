"""``dicomteach load``: loadables, the loaded hierarchy, JSON node descriptions, .mrb round trip, bad input."""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pydicom
import pytest
from volume_helpers import archetype, voxels

from DICOMTeachLib.cli import main
from DICOMTeachLib.headless import MRMLEnvironment
from DICOMTeachLib.scene_summary import summarize_scene


def _load_json(capsys, *args):
    code = main(["load", "--json", *map(str, args)])
    return code, json.loads(capsys.readouterr().out)


def _volume_nodes(tree):
    return [node for patient in tree["patients"] for study in patient["studies"] for series in study["series"]
            for node in series["nodes"] if "vtkMRMLScalarVolumeNode" in node["class_name"]
            or "VolumeNode" in node["class_name"]]


def test_json_describes_the_lidc_volume_as_slicers_reader_loads_it(capsys, lidc_ct_files, mrml):
    code, tree = _load_json(capsys, lidc_ct_files[0].parent)
    assert code == 0
    (loadable,) = [item for item in tree["loadables"] if item["kind"] == "scalar volume"]
    assert loadable["selected"] and loadable["confidence"] == 0.495 and loadable["warnings"] == []
    (patient,) = tree["patients"]
    first = pydicom.dcmread(lidc_ct_files[0], stop_before_pixels=True)
    assert patient["id"] == first.PatientID
    (study,) = patient["studies"]
    assert study["uid"] == first.StudyInstanceUID
    (series,) = study["series"]
    assert series["uid"] == first.SeriesInstanceUID and series["modality"] == "CT"
    (node,) = series["nodes"]
    details = node["details"]
    assert node["class_name"] == "vtkMRMLScalarVolumeNode" and details["dimensions"] == [512, 512, 133]
    assert details["spacing"] == pytest.approx([0.703125, 0.703125, 2.5])
    assert len(node["attributes"]["DICOM.instanceUIDs"].split()) == 133

    # The oracle: Slicer's reader on the same files in position order.
    z = {p: float(pydicom.dcmread(p, stop_before_pixels=True).ImagePositionPatient[2]) for p in lidc_ct_files}
    reference = archetype(mrml, sorted(lidc_ct_files, key=z.get))
    expected = voxels(reference)
    assert details["scalar_type"] == reference.GetImageData().GetScalarTypeAsString()
    assert (details["voxel_min"], details["voxel_max"]) == (int(expected.min()), int(expected.max()))
    assert details["sha256"] == hashlib.sha256(np.ascontiguousarray(expected).data).hexdigest()
    assert details["origin"] == pytest.approx(list(reference.GetOrigin()), abs=1e-4)


def test_saved_bundle_opens_back_with_the_same_nodes_and_hierarchy(capsys, tmp_path, shared_data, pydicom_ct_files):
    bundle = tmp_path / "scene.mrb"
    code, tree = _load_json(capsys, shared_data / "liver-ct-seg-sr" / "ct", pydicom_ct_files[0].parent,
                            "--save", bundle)
    assert code == 0 and bundle.is_file() and tree["saved"] == str(bundle)
    with MRMLEnvironment.load_mrb(bundle) as reread:
        from dataclasses import asdict

        again = [asdict(p) for p in summarize_scene(reread.scene)]
    before = sorted((n["name"], n["details"]["sha256"], tuple(n["details"]["dimensions"])) for n in _volume_nodes(tree))
    after = sorted((n["name"], n["details"]["sha256"], tuple(n["details"]["dimensions"]))
                   for n in _volume_nodes({"patients": again}))
    assert before == after and len(before) == 4  # liver CT + the three acquisitions of pydicom's CT2
    assert [p["id"] for p in again] == [p["id"] for p in tree["patients"]]
    ijk = {n["name"]: n["details"]["ijk_to_ras"] for n in _volume_nodes(tree)}
    for node in _volume_nodes({"patients": again}):
        assert np.allclose(node["details"]["ijk_to_ras"], ijk[node["name"]], atol=1e-6)


def test_text_output_lists_loadables_with_reasons_and_the_hierarchy(capsys, pydicom_ct_files):
    assert main(["load", str(pydicom_ct_files[0].parent)]) == 0
    out = capsys.readouterr().out
    assert "[ ] 0.445 scalar volume: 2: Routine Brain (4 file(s))" in out
    assert "warning: slices are not equally spaced" in out
    assert "[x] 0.495 scalar volume: 2: Routine Brain - AcquisitionNumber 45 (2 file(s))" in out
    assert "Patient Doe^Archibald (77654033)" in out and "vtkMRMLScalarVolumeNode" in out


def test_a_slice_with_cut_pixel_data_is_left_out_by_name_and_everything_else_loads(capsys, tmp_path, lidc_ct_files,
                                                                                   pydicom_ct_files):
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    for path in lidc_ct_files[:5]:
        shutil.copy(path, damaged / path.name)
    victim = damaged / lidc_ct_files[2].name
    victim.write_bytes(victim.read_bytes()[:-300_000])  # truncated inside its pixel data
    healthy = tmp_path / "healthy"
    shutil.copytree(pydicom_ct_files[0].parent, healthy)
    sources = {p: p.read_bytes() for p in [*damaged.iterdir(), *healthy.iterdir()]}

    code, tree = _load_json(capsys, damaged, healthy)
    assert code == 2  # a DICOM file in a folder could not be read (all of it)
    assert tree["failed"] == []
    assert "ends inside its pixel data" in tree["unreadable"][str(victim)]
    (lidc,) = [item for item in tree["loadables"] if any("left out" in w for w in item["warnings"])]
    assert lidc["files"] == 4
    assert any(victim.name in warning and "left out" in warning for warning in lidc["warnings"])
    assert len(_volume_nodes(tree)) == 4  # the LIDC slices without the victim, the healthy series' three
    assert {p: p.read_bytes() for p in sources} == sources  # sources untouched


def test_mixed_sizes_and_missing_pixel_data_are_reported_by_file(capsys, tmp_path, lidc_ct_files):
    folder = tmp_path / "mixed"
    folder.mkdir()
    for index, path in enumerate(lidc_ct_files[:3]):
        dataset = pydicom.dcmread(path)
        if index == 1:
            pixels = dataset.pixel_array[:100, :120].copy()
            dataset.Rows, dataset.Columns = pixels.shape
            dataset.PixelData = pixels.tobytes()
        dataset.save_as(folder / f"{index}.dcm")
    nopixels = tmp_path / "nopixels"
    nopixels.mkdir()
    dataset = pydicom.dcmread(lidc_ct_files[0])
    del dataset.PixelData
    dataset.SeriesInstanceUID = pydicom.uid.generate_uid()
    dataset.save_as(nopixels / "header-only.dcm")

    code, tree = _load_json(capsys, folder, nopixels)
    assert code == 2  # nothing could be loaded
    reasons = " ".join(item["reason"] for item in tree["failed"])
    assert "different sizes" in reasons and "1.dcm" in reasons
    assert "no file holds pixel data" in reasons


def test_missing_path_is_a_clear_error(capsys, tmp_path):
    assert main(["load", str(tmp_path / "absent")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_a_slice_with_a_corrupt_header_is_skipped_by_name_and_leaves_a_gap(capsys, tmp_path, lidc_ct_files):
    z = {p: float(pydicom.dcmread(p, stop_before_pixels=True).ImagePositionPatient[2]) for p in lidc_ct_files}
    folder = tmp_path / "corrupt"
    folder.mkdir()
    for path in sorted(lidc_ct_files, key=z.get)[:6]:
        shutil.copy(path, folder / path.name)
    victim = folder / sorted(lidc_ct_files, key=z.get)[3].name
    data = bytearray(victim.read_bytes())
    data[132:400] = b"\xff" * 268  # the file meta and first elements become garbage
    victim.write_bytes(bytes(data))
    code, tree = _load_json(capsys, folder)
    assert code == 2  # a DICOM file in a folder could not be read
    assert str(victim) in tree["unreadable"]
    (loadable,) = [item for item in tree["loadables"] if item["kind"] == "scalar volume"]
    assert loadable["files"] == 5
    assert any("about 1 slice(s) appear to be missing" in warning for warning in loadable["warnings"])
    (node,) = _volume_nodes(tree)
    assert node["details"]["dimensions"] == [512, 512, 5]


def test_loading_a_series_twice_reuses_its_patient_and_study(mrml, pydicom_ct_files):
    from volume_helpers import build, examine, only

    from DICOMTeachLib.hierarchy import describe_hierarchy

    loadable = only(examine(pydicom_ct_files), "AcquisitionNumber 45")
    build(loadable, mrml)
    build(loadable, mrml)
    (patient,) = describe_hierarchy(mrml.scene)
    (study,) = patient.children
    assert len(study.children) == 2 and {item.uid for item in study.children} == {loadable.series_instance_uid}


def test_a_file_no_loader_offers_is_named_with_its_sop_class(capsys, shared_data):
    # qin-headneck's Real World Value Mapping object was read, offered by no examiner, and left unmentioned.
    folder = shared_data / "qin-headneck-sr-seg-no-images"
    sop_class = pydicom.dcmread(folder / "rwvm.dcm", stop_before_pixels=True).SOPClassUID
    assert main(["load", str(folder), "--json"]) == 0
    tree = json.loads(capsys.readouterr().out)
    assert tree["not_offered"] == {str(folder / "rwvm.dcm"): f"no loader for {sop_class.name} ({sop_class})"}
    assert sorted(item["kind"] for item in tree["loadables"]) == ["segmentation", "structured report"]
