"""4D series: slices whose positions repeat, told apart into time points (MultiVolumeImporter's strategies).

Slicer loads such a series as a volume sequence through MultiVolumeImporterPlugin
(fedorov/MultiVolumeImporter): when every position holds the same number of
images and one frame attribute takes that many values, each covering every
position once, that attribute orders the time points (its "frame identifying
tag": TriggerTime, TemporalPositionIdentifier, b-value, ...). Failing that, as
for GE DSC/fMRI and Philips cine series where only InstanceNumber changes, the
images of each position are ordered by InstanceNumber and the n-th image of
every position makes time point n. Enhanced multi-frame files carry the time
point of each frame in TemporalPositionIndex.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import geometry
from .plan import FrameRef

#: Frame attributes that can order time points, in the order they are tried, with their unit.
#: MultiVolumeImporter's list and units; times of day (TM) become milliseconds from the first time point.
ORDERING_TAGS: dict[str, str] = {
    "TemporalPositionIndex": "count",  # per frame of an enhanced multi-frame file
    "TemporalPositionIdentifier": "count",
    "TriggerTime": "ms",
    "NominalPercentageOfCardiacPhase": "%",
    "DiffusionBValue": "s/mm2",
    "EchoTime": "ms",
    "FlipAngle": "degrees",
    "RepetitionTime": "ms",
    "AcquisitionTime": "ms",
    "ContentTime": "ms",
    "SeriesTime": "ms",
}
TIME_OF_DAY_TAGS = {"AcquisitionTime", "ContentTime", "SeriesTime"}
BY_INSTANCE_NUMBER = "InstanceNumber"

#: (frame, keyword) -> the value as text ("" when absent)
ValueOf = Callable[[FrameRef, str], str]


@dataclass
class TimePoint:
    #: the sequence index value (a number as text)
    index_value: str
    #: what the name shows ("TriggerTime 500", "InstanceNumber order 2")
    label: str
    frames: list[FrameRef]


@dataclass
class TimeSplit:
    """How repeated positions split into time points; empty ``time_points`` when they do not."""

    ordered_by: str = ""
    unit: str = ""
    time_points: list[TimePoint] = field(default_factory=list)
    #: why repeated positions could not be told apart ("" when they were, or did not repeat)
    problem: str = ""
    #: every frame attribute that would order the same time points (MultiVolumeImporter offers one loadable each)
    ordering_tags: list[str] = field(default_factory=list)

    @property
    def index_name(self) -> str:
        return "InstanceNumber order" if self.ordered_by == BY_INSTANCE_NUMBER else self.ordered_by


def time_of_day_ms(value: str) -> float | None:
    """DICOM TM (HHMMSS.FFFFFF, colons tolerated) in milliseconds since midnight."""
    text = value.replace(":", "").strip()
    if len(text) < 2 or not text[:2].isdigit():
        return None
    try:
        hours, minutes = int(text[:2]), int(text[2:4] or 0)
        seconds = float(text[4:] or 0)
    except ValueError:
        return None
    return ((hours * 60 + minutes) * 60 + seconds) * 1000.0


def _number(keyword: str, value: str) -> float | None:
    if keyword in TIME_OF_DAY_TAGS:
        return time_of_day_ms(value)
    try:
        return float(value.split("\\")[0])
    except ValueError:
        return None


def _text_number(number: float) -> str:
    return f"{number:.6g}"


def _ordered_by(keyword: str, frames: list[FrameRef], keys: list[int], positions: int, count: int,
                value_of: ValueOf) -> list[TimePoint] | None:
    """The time points when ``keyword`` takes ``count`` values, each at every position once; else None."""
    values = [value_of(frame, keyword) for frame in frames]
    if any(not value for value in values):
        return None
    numbers = {value: _number(keyword, value) for value in set(values)}
    if len(numbers) != count or any(number is None for number in numbers.values()):
        return None
    if not all(len({k for k, v in zip(keys, values, strict=True) if v == value}) == positions for value in numbers):
        return None
    ordered = sorted(numbers, key=numbers.get)
    first = numbers[ordered[0]]
    return [TimePoint(_text_number(numbers[value] - first if keyword in TIME_OF_DAY_TAGS else numbers[value]),
                      f"{keyword} {value}", [f for f, v in zip(frames, values, strict=True) if v == value])
            for value in ordered]


def split_time_points(frames: list[FrameRef], value_of: ValueOf) -> TimeSplit:
    """Split a stack whose positions repeat into its time points, or say why that is impossible."""
    if len(frames) < 2 or any(f.position is None or f.orientation is None for f in frames):
        return TimeSplit()
    normal = geometry.slice_normal(frames[0].orientation)
    keys = [round(float(np.asarray(f.position) @ normal) / geometry.DUPLICATE_TOLERANCE) for f in frames]
    per_position = Counter(keys)
    counts = Counter(per_position.values())
    if set(counts) == {1}:
        return TimeSplit()
    if len(counts) > 1:
        usual = counts.most_common(1)[0][0]
        detail = ", ".join(f"{positions} position(s) hold {images}" for images, positions in sorted(counts.items()))
        return TimeSplit(problem=(
            f"positions repeat unequally ({detail} images): a 4D series with a time point short or extra? "
            f"Not stacked and not loaded as a sequence (the usual count is {usual} per position)"))
    (count,) = counts

    found: TimeSplit | None = None
    for keyword, unit in ORDERING_TAGS.items():
        points = _ordered_by(keyword, frames, keys, len(per_position), count, value_of)
        if points is None:
            continue
        if found is None:
            found = TimeSplit(ordered_by=keyword, unit=unit, time_points=points)
        found.ordering_tags.append(keyword)
    if found is not None:
        return found

    # No attribute tells the time points apart: InstanceNumber order within each position.
    by_position: dict[int, list[tuple[float, FrameRef]]] = defaultdict(list)
    for key, frame in zip(keys, frames, strict=True):
        number = _number(BY_INSTANCE_NUMBER, value_of(frame, BY_INSTANCE_NUMBER))
        if number is None:
            return TimeSplit(problem="positions repeat and neither a temporal attribute nor InstanceNumber "
                                     "tells the images of one position apart")
        by_position[key].append((number, frame))
    for images in by_position.values():
        images.sort(key=lambda item: item[0])
        if len({number for number, _ in images}) != len(images):
            return TimeSplit(problem="positions repeat and neither a temporal attribute nor InstanceNumber "
                                     "tells the images of one position apart (InstanceNumber repeats too)")
    points = [TimePoint(str(n + 1), f"InstanceNumber order {n + 1}",
                        [images[n][1] for images in by_position.values()]) for n in range(count)]
    return TimeSplit(ordered_by=BY_INSTANCE_NUMBER, unit="", time_points=points)
