"""References found outside the examined files (Slicer's DICOM database) are not warned about."""

import pydicom

from DICOMTeachLib.examine import ExamineContext, examine_files
from DICOMTeachLib.loadable import LoadableKind


def _instance_uids(paths):
    return {pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID for p in paths}


def test_seg_examined_alone_warns_about_its_absent_series(shared_data):
    seg = shared_data / "liver-ct-seg-sr" / "seg" / "liver.dcm"
    (loadable,) = examine_files([str(seg)]).loadables
    assert loadable.kind is LoadableKind.SEGMENTATION
    assert any("not among the examined files" in warning for warning in loadable.warnings)


def test_seg_and_sr_whose_references_are_available_elsewhere_get_no_reference_warning(shared_data):
    case = shared_data / "liver-ct-seg-sr"
    ct_uids = _instance_uids(sorted((case / "ct").glob("*.dcm")))
    seg_uids = _instance_uids([case / "seg" / "liver.dcm"])
    context = ExamineContext(available_instances=ct_uids | seg_uids)
    files = [str(case / "seg" / "liver.dcm"), str(case / "sr" / "liver-measurements-sr.dcm")]
    loadables = examine_files(files, context=context).loadables
    assert {loadable.kind for loadable in loadables} == {LoadableKind.SEGMENTATION, LoadableKind.STRUCTURED_REPORT}
    for loadable in loadables:
        assert not [w for w in loadable.warnings if "examined files" in w], (loadable.name, loadable.warnings)
