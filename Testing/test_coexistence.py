"""DICOMTeach beside Slicer 5.12's own DICOM plugins: one loadable checked per series, never a tie.

Slicer's browser is replayed with the rules of its sources (slicer_dicom_model): our plugin's real
examineFiles, the core plugins' loadables and confidences for the same files, DICOMUtils' selection.
"""

from __future__ import annotations

from collections import defaultdict

import pydicom
import pytest
from slicer_dicom_model import core_loadables, select

from DICOMTeachLib.coexistence import SLICER_CONFIDENCES, ranked_confidence
from DICOMTeachLib.examine import ExamineContext, examine_paths


def file_lists_by_series(paths: list[str]) -> dict[str, list[str]]:
    """The browser examines one file list per series."""
    series = defaultdict(list)
    for path in paths:
        series[str(pydicom.dcmread(path, stop_before_pixels=True).SeriesInstanceUID)].append(path)
    return dict(series)


def replay_browser(plugin_module, paths, prefer):
    plugin_module.preferDICOMTeachLoaders = lambda: prefer
    plugin = plugin_module.DICOMTeachPluginClass()
    lists = file_lists_by_series(paths)
    loadables_by_plugin = defaultdict(list)
    for files in lists.values():
        loadables_by_plugin["DICOMTeach"] += plugin.examineFiles(files)
        for loadable in core_loadables(files):
            loadables_by_plugin[loadable.plugin].append(loadable)
    return lists, select(dict(loadables_by_plugin))


@pytest.mark.parametrize("prefer", [False, True], ids=["default: Slicer's plugins win", "DICOMTeach preferred"])
def test_ct_seg_sr_study_checks_one_loadable_per_series(plugin_module, shared_data, prefer):
    case = shared_data / "liver-ct-seg-sr"
    paths = [str(p) for p in sorted((case / "ct").glob("*.dcm"))] + [str(case / "seg" / "liver.dcm"),
                                                                      str(case / "sr" / "liver-measurements-sr.dcm")]
    lists, chosen = replay_browser(plugin_module, paths, prefer)
    assert set(chosen) == set(lists) and len(lists) == 3
    modality = {uid: str(pydicom.dcmread(files[0], stop_before_pixels=True).Modality) for uid, files in lists.items()}
    slicer_plugin = {"CT": "Scalar Volume", "SEG": "DICOMSegmentation", "SR": "DICOMTID1500"}
    for uid, entries in chosen.items():
        assert len(entries) == 1, f"{modality[uid]} series would load {len(entries)} times: {entries}"
        (plugin, loadable), = entries
        assert plugin == ("DICOMTeach" if prefer else slicer_plugin[modality[uid]])
        assert sorted(loadable.files) == sorted(lists[uid])


def test_lidc_ct_and_its_seg_check_one_loadable_each(plugin_module, shared_data):
    case = shared_data / "lidc-idri-0001-ct-seg"
    paths = [str(p) for p in sorted((case / "ct").glob("*.dcm"))] + [str(p) for p in (case / "seg").glob("*.dcm")]
    for prefer in (False, True):
        lists, chosen = replay_browser(plugin_module, paths, prefer)
        assert {uid: len(entries) for uid, entries in chosen.items()} == dict.fromkeys(lists, 1)


def test_no_confidence_of_ours_equals_one_of_slicers(shared_data, pydicom_ct_files):
    folders = [shared_data / "liver-ct-seg-sr", shared_data / "small-seg-24x38x3", shared_data / "highdicom-test-files",
               shared_data / "qin-headneck-sr-seg-no-images", pydicom_ct_files[0].parent]
    from DICOMTeachLib.examine import examine_files

    paths = [str(p) for folder in folders for p in sorted(folder.rglob("*")) if p.is_file()]
    for prefer in (False, True):
        loadables = examine_files(paths, context=ExamineContext(prefer_dicomteach=prefer)).loadables
        assert len(loadables) > 20
        ties = [(item.name, item.confidence) for item in loadables
                if any(abs(item.confidence - value) < 1e-9 for value in SLICER_CONFIDENCES)]
        assert ties == []


def test_a_refused_loadable_ranks_below_slicers_even_when_dicomteach_is_preferred():
    assert ranked_confidence(0.2, prefer_dicomteach=True, loadable_refused=True) < 0.2
    assert ranked_confidence(0.5, prefer_dicomteach=True) > 0.5 > ranked_confidence(0.5, prefer_dicomteach=False)


def test_the_reason_says_which_way_and_names_the_setting(pydicom_ct_files):
    loadable = examine_paths([str(pydicom_ct_files[0])]).loadables[0]
    assert "one step below" in loadable.confidence_reason
    assert "DICOM/DICOMTeach/PreferDICOMTeachLoaders" in loadable.confidence_reason


@pytest.mark.parametrize("style", ["instance-number", "temporal"])
@pytest.mark.parametrize("prefer", [False, True], ids=["default", "DICOMTeach preferred"])
def test_a_4d_series_checks_one_loadable_beside_multivolume_importer(plugin_module, lidc_ct_files, tmp_path, style,
                                                                     prefer):
    from fourd_data import neighbouring_slices, write_4d_series

    paths = [str(p) for p in write_4d_series(neighbouring_slices(lidc_ct_files, 4), tmp_path, 3, style)]
    lists, chosen = replay_browser(plugin_module, paths, prefer)
    ((plugin, loadable),) = chosen[next(iter(lists))]
    assert plugin == ("DICOMTeach" if prefer else "MultiVolume")
    assert sorted(loadable.files) == sorted(paths)
    if prefer:
        assert loadable.dicomTeachLoadable.kind == "volume sequence"


def test_a_4d_series_multivolume_importer_does_not_recognise_loads_as_our_sequence_by_default(
        plugin_module, lidc_ct_files, tmp_path):
    """Without RepetitionTime no MultiVolumeImporter strategy applies, and Slicer's scalar plugin would stack
    the repeated positions into one distorted volume: DICOMTeach's sequence is the highest even by default."""
    from fourd_data import neighbouring_slices, write_4d_series

    paths = [str(p) for p in write_4d_series(neighbouring_slices(lidc_ct_files, 4), tmp_path, 3, "instance-number")]
    for path in paths:
        dataset = pydicom.dcmread(path)
        del dataset.RepetitionTime
        dataset.save_as(path)
    lists, chosen = replay_browser(plugin_module, paths, prefer=False)
    ((plugin, loadable),) = chosen[next(iter(lists))]
    assert plugin == "DICOMTeach" and loadable.dicomTeachLoadable.kind == "volume sequence"
