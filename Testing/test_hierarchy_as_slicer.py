"""Loaded series sit in the subject hierarchy exactly as Slicer 5.12's DICOM plugins put them.

The rules are DICOMPlugin.addSeriesInSubjectHierarchy's and DICOMScalarVolumePlugin.setVolumeNodeProperties'
(read from Slicer's sources); every expected value below is read from the files' headers.
"""

from __future__ import annotations

import pydicom

from DICOMTeachLib.examine import default_selection, examine_files
from DICOMTeachLib.hierarchy import NameDisplay, SeriesIdentity, add_series_to_hierarchy, describe_hierarchy
from DICOMTeachLib.loading import load_loadable
from DICOMTeachLib.testdata import pydicom_test_file


def _load(scene, paths):
    nodes = []
    for loadable in default_selection(examine_files([str(p) for p in paths]).loadables):
        nodes += load_loadable(loadable, scene).nodes
    return nodes


def test_series_item_carries_the_ten_series_attributes_slicer_sets(mrml, lidc_ct_files):
    (node,) = _load(mrml.scene, lidc_ct_files)
    first = pydicom.dcmread(lidc_ct_files[0], stop_before_pixels=True)
    (patient,) = describe_hierarchy(mrml.scene)
    (study,) = patient.children
    (series,) = study.children
    expected = {"DICOM.Modality": "Modality", "DICOM.SeriesNumber": "SeriesNumber",
                "DICOM.FrameOfReferenceUID": "FrameOfReferenceUID", "DICOM.SeriesDescription": "SeriesDescription",
                "DICOM.SeriesDate": "SeriesDate", "DICOM.SeriesTime": "SeriesTime", "DICOM.ContentDate": "ContentDate",
                "DICOM.ContentTime": "ContentTime", "DICOM.Manufacturer": "Manufacturer",
                "DICOM.Model": "ManufacturerModelName"}
    for attribute, keyword in expected.items():
        assert series.attributes[attribute] == str(first.get(keyword, "") or "").strip(), attribute
    assert series.attributes["DICOM.Manufacturer"] == "GE MEDICAL SYSTEMS"
    # default display settings: patient ID shown, study date shown
    assert patient.name == f"{str(first.PatientName) or 'No name'} ({first.PatientID})"
    description = str(first.get("StudyDescription", "")) or "No study description"
    assert study.name == f"{description} ({first.StudyDate})" if first.get("StudyDate") else description
    assert patient.attributes["DICOM.PatientID"] == str(first.PatientID)


def test_volume_node_records_instance_numbers_in_slice_order_and_hounsfield_units(mrml, lidc_ct_files):
    (node,) = _load(mrml.scene, lidc_ct_files)
    by_uid = {}
    for path in lidc_ct_files:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        by_uid[str(ds.SOPInstanceUID)] = str(ds.InstanceNumber)
    uids = node.GetAttribute("DICOM.instanceUIDs").split()
    assert node.GetAttribute("DICOM.instanceNumbers").split() == [by_uid[uid] for uid in uids]
    units, quantity = node.GetVoxelValueUnits(), node.GetVoxelValueQuantity()
    assert (units.GetCodeValue(), units.GetCodingSchemeDesignator(), units.GetCodeMeaning()) == \
        ("[hnsf'U]", "UCUM", "Hounsfield unit")
    assert (quantity.GetCodeValue(), quantity.GetCodeMeaning()) == ("112031", "Attenuation Coefficient")


def test_mr_voxels_are_signal_intensity_and_a_file_without_instance_number_shows_a_question_mark(mrml, tmp_path):
    ds = pydicom.dcmread(pydicom_test_file("MR_small.dcm"))
    del ds.InstanceNumber
    copy = tmp_path / "mr.dcm"
    ds.save_as(copy)
    (node,) = _load(mrml.scene, [copy])
    assert node.GetVoxelValueQuantity().GetCodeMeaning() == "MR signal intensity"
    assert node.GetVoxelValueUnits().GetCodeValue() == "1"
    assert node.GetAttribute("DICOM.instanceNumbers") == "?"


def test_loading_a_series_twice_gives_unique_node_names(mrml, pydicom_ct_files):
    loadable = default_selection(examine_files([str(p) for p in pydicom_ct_files]).loadables)[0]
    first = load_loadable(loadable, mrml.scene).nodes[0]
    second = load_loadable(loadable, mrml.scene).nodes[0]
    assert first.GetName() == loadable.name and second.GetName() != first.GetName()
    assert second.GetName().startswith(loadable.name)


def test_item_names_follow_the_display_settings(mrml, pydicom_ct_files):
    ds = pydicom.dcmread(pydicom_ct_files[0], stop_before_pixels=True)
    node = mrml.scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", "v")
    identity = SeriesIdentity.from_dataset(ds)
    add_series_to_hierarchy(mrml.scene, node, identity,
                            names=NameDisplay(patient_id=False, patient_birth_date=True, study_id=True, study_date=False))
    (patient,) = describe_hierarchy(mrml.scene)
    (study,) = patient.children
    birth = str(ds.get("PatientBirthDate", ""))
    assert patient.name == str(ds.PatientName) + (f" ({birth})" if birth else "")
    description = str(ds.get("StudyDescription", "")) or "No study description"
    assert study.name == f"{description} ({ds.StudyID})"
