"""PHI: profile actions, de-identification of real files, and the masked explanation."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pydicom
import pytest

from DICOMTeachLib.cli import main
from DICOMTeachLib.errors import DICOMTeachError
from DICOMTeachLib.phi import deidentify, mask_dataset_text, phi_action, phi_attributes, resolve_code
from DICOMTeachLib.standard import standard
from DICOMTeachLib.testdata import pydicom_test_file


def _fingerprints(paths: list[Path]) -> dict[Path, tuple[str, int]]:
    return {path: (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns) for path in paths}


def _read(path: Path) -> pydicom.Dataset:
    return pydicom.dcmread(path)


def _outputs(report) -> list[pydicom.Dataset]:
    return [_read(item.output) for item in report.files]


# --- actions -------------------------------------------------------------------------------------


def test_phi_action_comes_from_the_profile_table():
    for keyword in ("PatientName", "PatientBirthDate", "SOPInstanceUID", "InstitutionName"):
        tag = pydicom.datadict.tag_for_keyword(keyword)
        table = standard().phi_action(tag)
        assert table is not None, keyword
        action = phi_action(tag)
        assert action.code == table.basic and action.listed and action.is_phi
        assert action.meaning  # explained in words
    uid = phi_action(pydicom.datadict.tag_for_keyword("SOPInstanceUID"))
    assert uid.code == "U" and uid.options == tuple(sorted(standard().phi_action(uid.tag).options.items()))
    assert ("Retain UIDs", "K") in uid.options
    rows = phi_action(pydicom.datadict.tag_for_keyword("Rows"))
    assert rows.code == "K" and not rows.listed and not rows.is_phi


def test_private_curve_and_overlay_elements_are_removed_per_profile():
    assert phi_action(0x00091001).code == standard().private_profile_action().basic == "X"  # private element
    assert ("Retain Safe Private", "C") in phi_action(0x00091001).options
    assert phi_action(0x00090010).name == "Private Creator"
    assert phi_action(0x50000010).code == "X"  # curve group 50xx
    assert phi_action(0x60023000).code == "X"  # overlay data in group 6002
    assert phi_action(0x60000010).code == "K"  # overlay rows are not PHI


def test_alternatives_resolve_by_attribute_type():
    assert resolve_code("X/Z/D", "1") == "D"
    assert resolve_code("X/Z/D", "2") == "Z"
    assert resolve_code("X/Z/D", "3") == "X"
    assert resolve_code("Z/D", "1C") == "D"
    assert resolve_code("Z/D", "3") == "Z"
    assert resolve_code("X/Z/U*", "1") == "U"
    assert resolve_code("X/Z/U*", "2") == "U"  # references kept (new UIDs): a SEG keeps its source images
    assert resolve_code("X/Z/U*", "3") == "X"
    assert resolve_code("X/Z/U*", None) == "U"
    assert resolve_code("X/D", None) == "X"
    assert resolve_code("Z", "1") == "D"  # Z allows a dummy value where the IOD needs one
    assert resolve_code("Z", "2") == "Z" and resolve_code("Z", None) == "Z"


def test_phi_attributes_lists_what_the_file_carries():
    ds = _read(pydicom_test_file("CT_small.dcm"))
    found = {element.path: element for element in phi_attributes(ds)}
    assert "PatientName" in found and found["PatientName"].value == str(ds.PatientName)
    assert "StudyInstanceUID" in found and found["StudyInstanceUID"].action.code == "U"
    assert "Rows" not in found and "PixelData" not in found
    assert any(element.action.name == "Private Creator" for element in found.values())
    assert [element.path for element in phi_attributes(pydicom_test_file("CT_small.dcm"))] == list(found)
    text = mask_dataset_text(ds)
    assert str(ds.PatientName) not in text and ds.StudyInstanceUID not in text
    assert "(0028,0010) US Rows: 128" in text


# --- de-identification -----------------------------------------------------------------------------


def test_ct_series_stays_one_series_with_new_uids(pydicom_ct_files, tmp_path):
    sources = [_read(path) for path in pydicom_ct_files]
    report = deidentify(pydicom_ct_files, tmp_path / "out")
    outputs = _outputs(report)
    assert len(outputs) == len(sources) == 4
    assert len({ds.SeriesInstanceUID for ds in outputs}) == 1
    assert len({ds.StudyInstanceUID for ds in outputs}) == 1
    assert outputs[0].SeriesInstanceUID != sources[0].SeriesInstanceUID
    assert outputs[0].StudyInstanceUID != sources[0].StudyInstanceUID
    assert len({ds.SOPInstanceUID for ds in outputs}) == 4
    old_uids = {ds.SOPInstanceUID for ds in sources}
    for source, out in zip(sources, outputs, strict=True):
        assert out.SOPInstanceUID not in old_uids
        assert out.SOPInstanceUID == out.file_meta.MediaStorageSOPInstanceUID
        assert out.SOPClassUID == source.SOPClassUID
        assert out.PixelData == source.PixelData  # byte-identical pixels
        assert out.PatientIdentityRemoved == "YES"
        assert out.DeidentificationMethodCodeSequence[0].CodeValue == "113100"
        assert out.DeidentificationMethodCodeSequence[0].CodingSchemeDesignator == "DCM"
    assert report.uids_replaced >= 4 + 2  # instances, series, study (and frame of reference)


def test_deidentified_liver_ct_and_seg_examine_as_one_volume_and_its_segmentation(shared_data, tmp_path):
    """What Slicer's DICOM browser would offer: one volume of all slices, and the SEG on it."""
    from DICOMTeachLib.examine import examine_files
    from DICOMTeachLib.loadable import LoadableKind

    root = shared_data / "liver-ct-seg-sr"
    report = deidentify([root / "ct", root / "seg" / "liver.dcm"], tmp_path / "out")
    result = examine_files([str(item.output) for item in report.files])
    volumes = [item for item in result.loadables if item.kind == LoadableKind.SCALAR_VOLUME]
    segmentations = [item for item in result.loadables if item.kind == LoadableKind.SEGMENTATION]
    ct_outputs = sorted(str(item.output) for item in report.files if item.source.parent.name == "ct")
    assert len(volumes) == 1 and sorted(map(str, volumes[0].files)) == ct_outputs
    assert len(segmentations) == 1
    assert segmentations[0].referenced_instance_uids
    ct_instances = {_read(Path(path)).SOPInstanceUID for path in ct_outputs}
    assert set(segmentations[0].referenced_instance_uids) <= ct_instances


@pytest.mark.parametrize("name", ["CT_small.dcm", "MR_small.dcm", "highdicom-test-files/dx_image.dcm"])
def test_patient_attributes_follow_their_profile_action(name, tmp_path, request):
    if "/" in name:
        source_path = request.getfixturevalue("shared_data") / name
    else:
        source_path = pydicom_test_file(name)
    source = _read(source_path)
    report = deidentify([source_path], tmp_path / "out")
    out = _outputs(report)[0]
    by_path = {change.path: change for change in report.files[0].changes}
    checked = []
    for keyword in ("PatientName", "PatientID", "PatientBirthDate", "StudyDate", "InstitutionName"):
        if keyword not in source or not source[keyword].value:
            continue
        checked.append(keyword)
        change = by_path[keyword]
        assert change.profile_code == standard().phi_action(source[keyword].tag).basic
        assert change.old.startswith("••••") and str(source[keyword].value) not in change.old
        if change.action == "X":
            assert keyword not in out
        elif change.action == "Z":
            assert keyword in out and not out[keyword].value
        else:
            assert out[keyword].value and out[keyword].value != source[keyword].value
    assert {"PatientName", "PatientID"} <= set(checked)
    if name.endswith("dx_image.dcm"):
        assert "PatientBirthDate" in checked  # the one file here with a birth date
    assert not any(element.tag.is_private for element in out)
    private = {f"({e.tag.group:04X},{e.tag.element:04X})" for e in source.iterall() if e.tag.is_private}
    assert private <= {change.tag for change in report.files[0].changes if change.action == "X"}
    if len(source.PixelData) % 2:  # dx_image.dcm's value has an odd length; writing pads it (PS3.5 7.1.1)
        assert out.PixelData == source.PixelData + b"\0"
    else:
        assert out.PixelData == source.PixelData


def test_instance_creation_and_sr_content_dates_do_not_survive(tmp_path):
    """Rows PS3.15 added after 2020 (Instance Creation Date/Time, content item Date/Time/DateTime) apply."""
    source_path = pydicom_test_file("test-SR.dcm")
    source = _read(source_path)
    content_tags = (0x0040A120, 0x0040A121, 0x0040A122)  # DateTime, Date, Time of SR content items
    originals = {int(e.tag): str(e.value) for e in source.iterall() if e.tag in content_tags}
    assert source.InstanceCreationDate and source.InstanceCreationTime and set(originals) == set(content_tags)
    report = deidentify([source_path], tmp_path / "out")
    out = _outputs(report)[0]
    for keyword in ("InstanceCreationDate", "InstanceCreationTime"):
        assert standard().phi_action(source[keyword].tag).basic != "K"
        assert keyword not in out or out[keyword].value != source[keyword].value
    left = [(e.keyword, str(e.value)) for e in out.iterall() if e.tag in content_tags]
    assert left and not [item for item in left if item[1] in originals.values()]
    for change in report.files[0].changes:
        if change.keyword in ("InstanceCreationDate", "InstanceCreationTime", "DateTime", "Date", "Time"):
            assert change.profile_code == standard().phi_action(pydicom.datadict.tag_for_keyword(change.keyword)).basic


def test_inputs_are_never_touched(pydicom_ct_files, shared_data, tmp_path):
    inputs = [*pydicom_ct_files, *sorted((shared_data / "liver-ct-seg-sr" / "ct").glob("*.dcm"))]
    before = _fingerprints(inputs)
    deidentify(inputs, tmp_path / "out")
    assert _fingerprints(inputs) == before


def test_output_folder_overlapping_an_input_is_refused(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    copy = folder / "ct.dcm"
    shutil.copyfile(pydicom_test_file("CT_small.dcm"), copy)
    before = _fingerprints([copy])
    for bad_output in (folder, folder / "deid", tmp_path):
        with pytest.raises(DICOMTeachError, match="overlaps the input"):
            deidentify([folder], bad_output)
    with pytest.raises(DICOMTeachError, match="overlaps the input"):
        deidentify([copy], folder)
    assert _fingerprints([copy]) == before


def test_folder_layout_kept_and_non_dicom_skipped(tmp_path):
    folder = tmp_path / "in"
    (folder / "a" / "b").mkdir(parents=True)
    shutil.copyfile(pydicom_test_file("CT_small.dcm"), folder / "a" / "b" / "ct.dcm")
    shutil.copyfile(pydicom_test_file("MR_small.dcm"), folder / "mr.dcm")
    (folder / "a" / "notes.txt").write_text("not DICOM")
    report = deidentify([folder], tmp_path / "out")
    assert sorted(item.output.relative_to(tmp_path / "out").as_posix() for item in report.files) == [
        "in/a/b/ct.dcm", "in/mr.dcm"]
    assert [skipped.path.name for skipped in report.skipped] == ["notes.txt"]
    assert "not a DICOM file" in report.skipped[0].reason


def test_damaged_and_bare_inputs_are_reported_not_raised(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "empty.dcm").write_bytes(b"")
    (folder / "truncated.dcm").write_bytes(pydicom_test_file("CT_small.dcm").read_bytes()[:1000])
    shutil.copyfile(pydicom_test_file("rtstruct.dcm"), folder / "bare.dcm")  # no preamble, no file meta
    shutil.copytree(pydicom_test_file("CT_small.dcm").parent / "dicomdirtests" / "TINY_ALPHA", folder / "dir")
    report = deidentify([folder], tmp_path / "out")
    reasons = {skipped.path.name: skipped.reason for skipped in report.skipped}
    assert "not a DICOM file" in reasons["empty.dcm"]
    assert "truncated.dcm" in reasons and "DICOMDIR" in reasons
    bare = next(item for item in report.files if item.source.name == "bare.dcm")
    out = pydicom.dcmread(bare.output)  # a proper DICOM file now: preamble and file meta
    assert out.file_meta.MediaStorageSOPInstanceUID == out.SOPInstanceUID
    assert out.SOPInstanceUID != pydicom.dcmread(folder / "bare.dcm", force=True).SOPInstanceUID
    assert not any(path.name in ("empty.dcm", "truncated.dcm") for path in (tmp_path / "out").rglob("*"))


def test_liver_seg_references_map_to_the_deidentified_ct(shared_data, tmp_path):
    root = shared_data / "liver-ct-seg-sr"
    report = deidentify([root / "ct", root / "seg"], tmp_path / "out")
    by_name = {item.source.name: _read(item.output) for item in report.files}
    ct = [by_name[name] for name in ("01.dcm", "02.dcm", "03.dcm")]
    seg = by_name["liver.dcm"]
    source_seg = _read(root / "seg" / "liver.dcm")
    assert len({ds.SeriesInstanceUID for ds in ct}) == 1
    referenced = seg.ReferencedSeriesSequence[0]
    assert referenced.SeriesInstanceUID == ct[0].SeriesInstanceUID
    assert referenced.SeriesInstanceUID != source_seg.ReferencedSeriesSequence[0].SeriesInstanceUID
    ct_instances = {ds.SOPInstanceUID for ds in ct}
    assert {item.ReferencedSOPInstanceUID for item in referenced.ReferencedInstanceSequence} == ct_instances
    assert seg.FrameOfReferenceUID == ct[0].FrameOfReferenceUID != source_seg.FrameOfReferenceUID
    assert seg.StudyInstanceUID == ct[0].StudyInstanceUID
    # Per-frame source images (a reference sequence nested in functional groups) follow the same map.
    sources = [source.ReferencedSOPInstanceUID for frame in seg.PerFrameFunctionalGroupsSequence
               for derivation in frame.DerivationImageSequence for source in derivation.SourceImageSequence]
    assert len(sources) == int(source_seg.NumberOfFrames) == 3 and set(sources) <= ct_instances
    assert seg.PixelData == source_seg.PixelData


def test_lidc_series_and_seg_deidentified_together(lidc_ct_files, shared_data, tmp_path):
    seg_folder = shared_data / "lidc-idri-0001-ct-seg" / "seg"
    report = deidentify([*lidc_ct_files, seg_folder], tmp_path / "out")
    outputs = {item.source: _read(item.output) for item in report.files}
    ct = [outputs[path] for path in lidc_ct_files]
    assert len({ds.SeriesInstanceUID for ds in ct}) == 1  # still one series, grouped by UID
    assert len({ds.SOPInstanceUID for ds in ct}) == len(lidc_ct_files) == 133
    assert all(ds.SOPInstanceUID == ds.file_meta.MediaStorageSOPInstanceUID for ds in ct)
    source = _read(lidc_ct_files[0])
    assert source.PatientID and source.StudyDate  # TCIA kept these; the profile does not
    for keyword in ("PatientID", "StudyDate"):
        assert all(str(ds.get(keyword, "")) != str(source[keyword].value) for ds in ct), keyword
    seg = next(ds for path, ds in outputs.items() if path.parent == seg_folder)
    ct_instances = {ds.SOPInstanceUID for ds in ct}
    referenced = seg.ReferencedSeriesSequence[0]
    assert referenced.SeriesInstanceUID == ct[0].SeriesInstanceUID
    assert {item.ReferencedSOPInstanceUID for item in referenced.ReferencedInstanceSequence} <= ct_instances


def test_cli_reports_counts_per_action_and_file(pydicom_ct_files, tmp_path, capsys):
    assert main(["deidentify", *map(str, pydicom_ct_files), "-o", str(tmp_path / "out"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert len(report["files"]) == 4
    per_file = report["files"][0]
    assert per_file["action_counts"]["U"] >= 3  # instance, series, study UIDs
    assert sum(report["action_counts"].values()) == sum(len(item["changes"]) for item in report["files"])
    source_name = str(_read(pydicom_ct_files[0]).PatientName)
    assert source_name not in json.dumps(report)  # old values are masked in the report
    assert main(["deidentify", str(pydicom_ct_files[0]), "-o", str(tmp_path / "text")]) == 0
    assert "De-identified 1 file(s)" in capsys.readouterr().out


def test_deidentified_files_stay_valid_for_dciodvfy(shared_data, tmp_path):
    """The reference validator finds no missing or empty attribute, and no other error, the source lacked."""
    from oracles.dciodvfy import run_dciodvfy

    root = shared_data / "liver-ct-seg-sr"
    inputs = [root, pydicom_test_file("CT_small.dcm"), pydicom_test_file("MR_small.dcm")]
    report = deidentify(inputs, tmp_path / "out")
    assert len(report.files) == 8
    for item in report.files:
        before, after = run_dciodvfy(item.source), run_dciodvfy(item.output)
        assert after.iod == before.iod is not None
        findings = {(found.kind, found.type, found.keyword) for found in after.errors}
        assert findings <= {(found.kind, found.type, found.keyword) for found in before.errors}, item.source
        assert len(after.other_errors) <= len(before.other_errors), (item.source, after.other_errors)


# --- masked explanation ----------------------------------------------------------------------------


def _is_short_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return len(text) < 8  # "-1.0" may be any number on screen; dates and UIDs are longer


def _phi_values(path: Path) -> set[str]:
    """The source's PHI values (each value of a multi-valued one).

    Short values ("M", "-1.0") also occur as ordinary words and numbers, so they cannot be searched for.
    """
    values = set()
    for element in phi_attributes(pydicom.dcmread(path, stop_before_pixels=True)):
        for part in element.value.split("\\"):
            part = part.strip()
            if len(part) >= 4 and not part.startswith("<") and not _is_short_number(part):
                values.add(part)
    return values


def _masked_cases(shared_data: Path) -> list[Path]:
    return [pydicom_test_file("CT_small.dcm"), pydicom_test_file("MR_small.dcm"),
            shared_data / "liver-ct-seg-sr" / "sr" / "liver-measurements-sr.dcm",
            shared_data / "liver-ct-seg-sr" / "seg" / "liver.dcm"]


def test_masked_explanation_shows_no_phi_value_of_the_source(shared_data):
    from DICOMTeachLib.explain import explain
    from DICOMTeachLib.phi import mask_explanation

    for path in _masked_cases(shared_data):
        explanation = explain(path)
        phi = _phi_values(path)
        original = json.dumps(explanation.to_json_dict(), ensure_ascii=False)
        source = pydicom.dcmread(path, stop_before_pixels=True)
        assert source.PatientName.family_name in original and source.StudyInstanceUID in original  # not vacuous
        masked = mask_explanation(explanation)
        text = json.dumps(masked.to_json_dict(), ensure_ascii=False)
        leaked = sorted(value for value in phi if value in text)
        assert not leaked, f"{path.name}: PHI visible in the masked explanation: {leaked}"
        assert "•••• (PHI: Z)" in text  # PatientName and friends are shown as hidden, not dropped
        if masked.anatomy is not None:
            anatomy = repr(masked.anatomy)
            assert not [value for value in phi if value in anatomy], path
        # What is not PHI stays readable, and the original is left as it was.
        rows = [attribute for module in masked.modules for attribute in module.attributes
                if attribute.keyword == "Rows" and attribute.status == "present"]
        if "Rows" in source:
            assert rows and rows[0].value == str(source.Rows)
        assert json.dumps(explanation.to_json_dict(), ensure_ascii=False) == original
