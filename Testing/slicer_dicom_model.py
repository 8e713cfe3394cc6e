"""Slicer 5.12's DICOM browser around our plugin, modelled from its sources (slicer-core has no DICOMLib).

- ``DICOMLoadable``/``DICOMPlugin``: the fields and defaults of Modules/Scripted/DICOMLib/DICOMPlugin.py
  (the base plugin's seven tags included).
- ``core_loadables``: what Slicer's core plugins offer for one series' files, with their confidences, as
  DICOMScalarVolumePlugin (0.5 all files, 0.2 without pixel data, RT structure sets left out),
  DICOMSegmentationPlugin (0.95 for Modality SEG), DICOMTID1500Plugin (0.95 for an Enhanced/Comprehensive/
  Comprehensive 3D SR whose template is 1500) and MultiVolumeImporterPlugin (1.0 for repeated positions
  told apart by a frame tag other than TemporalPositionIdentifier, 0.9 for it, 1.0 by position +
  InstanceNumber when RepetitionTime is present) decide them.
- ``select``: DICOMUtils.selectHighestConfidenceLoadables (per series of each loadable's first file, every
  loadable with the highest confidence) followed by DICOMBrowser's loadable table, which unchecks a
  loadable only when an earlier one *of the same plugin* with the same files is checked.
"""

from __future__ import annotations

import types
from collections import Counter, defaultdict

import pydicom


class DICOMLoadable:
    def __init__(self):
        self.files, self.name, self.tooltip, self.warning = [], "Unknown", "No further information available", ""
        self.selected, self.confidence = False, 0.5


class DICOMPlugin:
    def __init__(self):
        self.loadType = "Generic DICOM"
        self.loadableCache = {}
        self.tags = {"seriesDescription": "0008,103E", "seriesNumber": "0020,0011", "frameOfReferenceUID": "0020,0052",
                     "seriesInstanceUID": "0020,000E", "modality": "0008,0060", "instanceUID": "0008,0018",
                     "sopClassUID": "0008,0016"}


def dicomlib_module() -> types.ModuleType:
    module = types.ModuleType("DICOMLib")
    module.DICOMLoadable, module.DICOMPlugin = DICOMLoadable, DICOMPlugin
    return module


def _loadable(files, name, confidence, plugin):
    loadable = DICOMLoadable()
    loadable.files, loadable.name, loadable.confidence, loadable.selected = list(files), name, confidence, True
    loadable.plugin = plugin
    return loadable


_TID1500_SR_CLASSES = {"1.2.840.10008.5.1.4.1.1.88.22", "1.2.840.10008.5.1.4.1.1.88.33", "1.2.840.10008.5.1.4.1.1.88.34"}
_MULTIVOLUME_TAGS = ("TriggerTime", "EchoTime", "FlipAngle", "RepetitionTime", "AcquisitionTime", "SeriesTime",
                     "ContentTime", "CardiacCycle", "NominalPercentageOfCardiacPhase", "TemporalPositionIdentifier",
                     "DiffusionBValue")


def core_loadables(files: list[str]) -> list[DICOMLoadable]:
    """What Slicer 5.12's core plugins (and MultiVolumeImporter) offer for one series' files."""
    headers = {path: pydicom.dcmread(path, stop_before_pixels=False) for path in files}
    loadables = []
    ordinary = [p for p in files if headers[p].get("SOPClassUID") != "1.2.840.10008.5.1.4.1.1.481.3"]
    if ordinary:
        with_pixels = [p for p in ordinary if "PixelData" in headers[p]]
        loadables.append(_loadable(with_pixels or ordinary, "scalar", 0.5 if with_pixels else 0.2, "Scalar Volume"))
    for path, ds in headers.items():
        if ds.get("Modality") == "SEG":
            loadables.append(_loadable([path], "seg", 0.95, "DICOMSegmentation"))
        template = ds.get("ContentTemplateSequence")
        if (ds.get("Modality") == "SR" and ds.get("SOPClassUID") in _TID1500_SR_CLASSES and template
                and template[0].get("TemplateIdentifier") == "1500"):
            loadables.append(_loadable([path], "sr", 0.95, "DICOMTID1500"))
    loadables += _multivolume_loadables(files, headers)
    return loadables


def _multivolume_loadables(files, headers) -> list[DICOMLoadable]:
    positions = Counter(str(headers[p].get("ImagePositionPatient")) for p in files)
    if len(set(positions.values())) != 1 or set(positions.values()) == {1}:
        return []
    (per_position,) = set(positions.values())
    found = []
    for tag in _MULTIVOLUME_TAGS:
        values = {str(headers[p].get(tag, "")) for p in files}
        if "" not in values and len(values) == per_position:
            found.append(_loadable(files, f"multivolume by {tag}", 0.9 if tag == "TemporalPositionIdentifier" else 1.0,
                                   "MultiVolume"))
            break
    if all(headers[p].get("RepetitionTime") not in (None, "") and headers[p].get("InstanceNumber") is not None
           for p in files):
        found.append(_loadable(files, "multivolume by IPP+InstanceNumber", 1.0, "MultiVolume"))
    return found


def series_uid(path: str) -> str:
    return str(pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["SeriesInstanceUID"]).SeriesInstanceUID)


def select(loadables_by_plugin: dict[str, list]) -> dict[str, list]:
    """Slicer's default selection; {series UID: [(plugin, loadable), ...] checked}."""
    by_series = defaultdict(list)
    for plugin, loadables in loadables_by_plugin.items():
        for loadable in loadables:
            by_series[series_uid(loadable.files[0])].append((plugin, loadable))
    for entries in by_series.values():
        highest = max(loadable.confidence for _, loadable in entries)
        for _, loadable in entries:
            loadable.selected = loadable.confidence == highest
    for loadables in loadables_by_plugin.values():  # DICOMBrowser's table: duplicates within one plugin only
        for index, this in enumerate(loadables):
            for previous in loadables[:index]:
                if not set(this.files) ^ set(previous.files) and previous.selected:
                    this.selected = False
                    break
    return {uid: [(plugin, loadable) for plugin, loadable in entries if loadable.selected]
            for uid, entries in by_series.items()}
