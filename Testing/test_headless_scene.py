"""A real MRML scene built with slicer-core survives a save to .mrb and back."""

import numpy as np
import pydicom
import pytest
from vtkmodules.util import numpy_support

from DICOMTeachLib.errors import DICOMTeachError
from DICOMTeachLib.headless import MRMLEnvironment
from DICOMTeachLib.hierarchy import SeriesIdentity, add_series_to_hierarchy, describe_hierarchy


def _volume_from_file(env, path):
    """A scalar volume node holding the pixels of one real CT slice."""
    import vtk

    ds = pydicom.dcmread(path)
    pixels = ds.pixel_array.astype(np.int16)
    image = vtk.vtkImageData()
    image.SetDimensions(pixels.shape[1], pixels.shape[0], 1)
    image.AllocateScalars(vtk.VTK_SHORT, 1)
    numpy_support.vtk_to_numpy(image.GetPointData().GetScalars())[:] = pixels.ravel()
    node = env.scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", f"{ds.SeriesNumber}: {ds.SeriesDescription}")
    node.SetAndObserveImageData(image)
    spacing = [float(v) for v in ds.PixelSpacing]
    node.SetSpacing(spacing[1], spacing[0], float(ds.SliceThickness))
    node.CreateDefaultDisplayNodes()
    return node, ds, pixels


def test_volume_and_hierarchy_survive_mrb_round_trip(mrml, pydicom_ct_files, tmp_path):
    node, ds, pixels = _volume_from_file(mrml, pydicom_ct_files[0])
    identity = SeriesIdentity.from_dataset(ds)
    series_item = add_series_to_hierarchy(mrml.scene, node, identity)
    assert series_item

    bundle = mrml.save_mrb(tmp_path / "scene.mrb")
    reread = MRMLEnvironment.load_mrb(bundle)
    try:
        volume = reread.scene.GetFirstNodeByClass("vtkMRMLScalarVolumeNode")
        assert volume.GetName() == node.GetName()
        assert volume.GetImageData().GetDimensions() == (ds.Columns, ds.Rows, 1)
        assert volume.GetSpacing() == pytest.approx(node.GetSpacing())
        voxels = numpy_support.vtk_to_numpy(volume.GetImageData().GetPointData().GetScalars())
        assert np.array_equal(voxels, pixels.ravel())

        (patient,) = describe_hierarchy(reread.scene)
        assert patient.level == "Patient" and patient.uid == str(ds.PatientID)
        (study,) = patient.children
        assert study.level == "Study" and study.uid == ds.StudyInstanceUID
        (series,) = study.children
        assert series.uid == ds.SeriesInstanceUID
        assert series.attributes["DICOM.Modality"] == ds.Modality
        assert series.node_id == volume.GetID()
    finally:
        reread.close()


def test_two_series_of_one_study_share_patient_and_study_items(mrml, pydicom_ct_files):
    first, ds, _ = _volume_from_file(mrml, pydicom_ct_files[0])
    second, _, _ = _volume_from_file(mrml, pydicom_ct_files[1])
    identity = SeriesIdentity.from_dataset(ds)
    other = SeriesIdentity(**{**identity.__dict__, "series_instance_uid": identity.series_instance_uid + ".9"})
    add_series_to_hierarchy(mrml.scene, first, identity)
    add_series_to_hierarchy(mrml.scene, second, other)
    add_series_to_hierarchy(mrml.scene, first, identity)  # loading again must not duplicate items

    (patient,) = describe_hierarchy(mrml.scene)
    (study,) = patient.children
    assert sorted(s.uid for s in study.children) == sorted([identity.series_instance_uid, other.series_instance_uid])
    assert patient.attributes["DICOM.PatientName"] == str(ds.PatientName)


def test_empty_patient_id_is_keyed_on_the_study_as_slicer_does(mrml, pydicom_ct_files):
    node, ds, _ = _volume_from_file(mrml, pydicom_ct_files[0])
    identity = SeriesIdentity.from_dataset(ds)
    anonymous = SeriesIdentity(**{**identity.__dict__, "patient_id": "", "patient_name": ""})
    add_series_to_hierarchy(mrml.scene, node, anonymous)
    (patient,) = describe_hierarchy(mrml.scene)
    assert patient.uid == f"Patient-{ds.StudyInstanceUID}"
    # Slicer stores the invented ID as the patient's ID and shows it in the name (its default display setting)
    assert patient.attributes["DICOM.PatientID"] == patient.uid
    assert patient.name == f"No name ({patient.uid})"


def test_missing_bundle_is_a_clear_error(tmp_path):
    with pytest.raises(DICOMTeachError, match="no such scene bundle"):
        MRMLEnvironment.load_mrb(tmp_path / "absent.mrb")
