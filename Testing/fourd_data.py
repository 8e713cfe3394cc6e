"""4D series written at test time from real slices (never committed): positions repeated over time points.

``write_4d_series`` copies a few neighbouring slices of a real CT series ``time_points`` times, as one new
series; time point t adds ``3 * t`` to the stored values so every time point differs. Styles:

- ``"instance-number"``: GE DSC/fMRI style, only InstanceNumber changes (positions cycle; RepetitionTime set,
  as on an MR scanner, so that MultiVolumeImporter's position + InstanceNumber strategy applies);
- ``"temporal"``: TemporalPositionIdentifier and TriggerTime tell the time points apart;
- ``"acquisition-time"``: only AcquisitionTime (a time of day, 30 s per time point, across 10:00) does.

Files get shuffled names, so nothing can rely on the order of files on disk.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pydicom
from pydicom.uid import generate_uid


def neighbouring_slices(series: list[Path], count: int) -> list[Path]:
    by_position = sorted(series, key=lambda p: float(pydicom.dcmread(p, stop_before_pixels=True).ImagePositionPatient[2]))
    return by_position[:count]


def write_4d_series(sources: list[Path], folder: Path, time_points: int, style: str,
                    drop: tuple[int, int] | None = None) -> list[Path]:
    """The files of the new series; ``drop=(time point, slice)`` leaves one image out."""
    folder.mkdir(parents=True, exist_ok=True)
    series_uid = generate_uid()
    order = random.Random(4).sample(range(len(sources) * time_points), len(sources) * time_points)
    written = []
    for t in range(time_points):
        for s, source in enumerate(sources):
            if drop == (t, s):
                continue
            ds = pydicom.dcmread(source)
            pixels = ds.pixel_array
            ds.PixelData = np.clip(pixels.astype(np.int64) + 3 * t, np.iinfo(pixels.dtype).min,
                                   np.iinfo(pixels.dtype).max).astype(pixels.dtype).tobytes()
            ds.SeriesInstanceUID = series_uid
            ds.SOPInstanceUID = generate_uid()
            ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
            ds.InstanceNumber = t * len(sources) + s + 1
            ds.SeriesDescription = f"4D {style}"
            for keyword in ("TemporalPositionIdentifier", "TriggerTime", "NumberOfTemporalPositions"):
                if keyword in ds:
                    delattr(ds, keyword)
            if style == "instance-number":
                ds.RepetitionTime = "2000"
            elif style == "acquisition-time":
                seconds = 9 * 3600 + 59 * 60 + 30 + 30 * t  # 09:59:30, 10:00:00, 10:00:30, ...
                ds.AcquisitionTime = f"{seconds // 3600:02d}{seconds % 3600 // 60:02d}{seconds % 60:02d}.000000"
            elif style == "temporal":
                ds.TemporalPositionIdentifier = t + 1
                ds.NumberOfTemporalPositions = time_points
                ds.TriggerTime = str(500 * t)
            else:
                raise ValueError(style)
            path = folder / f"{order[t * len(sources) + s]:03d}.dcm"
            ds.save_as(path)
            written.append(path)
    return written


def time_point_files(paths: list[Path], time_point: int, slices: int) -> list[Path]:
    """The files written for one time point (by InstanceNumber), as Slicer's archetype reader is given them."""
    numbers = {p: int(pydicom.dcmread(p, stop_before_pixels=True).InstanceNumber) for p in paths}
    return sorted((p for p in paths if (numbers[p] - 1) // slices == time_point), key=numbers.get)
