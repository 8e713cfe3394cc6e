"""The loadables checked by default follow the DICOM browser's rule, per series."""

from DICOMTeachLib.examine import default_selection, examine_files
from DICOMTeachLib.loadable import LoadableKind


def test_clean_parts_of_a_mixed_series_are_chosen_over_the_whole(pydicom_ct_files):
    loadables = examine_files([str(p) for p in pydicom_ct_files]).loadables
    whole = [loadable for loadable in loadables if len(loadable.files) == len(pydicom_ct_files)]
    chosen = default_selection(loadables)
    assert whole and whole[0].warnings and whole[0] not in chosen
    assert sorted(f for loadable in chosen for f in loadable.files) == sorted(map(str, pydicom_ct_files))


def test_volume_and_segmentation_of_one_study_are_both_chosen(shared_data):
    case = shared_data / "liver-ct-seg-sr"
    files = [str(p) for p in sorted((case / "ct").glob("*.dcm"))] + [str(case / "seg" / "liver.dcm")]
    loadables = examine_files(files).loadables
    chosen = default_selection(loadables)
    assert {loadable.kind for loadable in chosen} == {LoadableKind.SCALAR_VOLUME, LoadableKind.SEGMENTATION}
