"""What examine learns about a scalar volume and hands to the builder (Loadable.plan)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..hierarchy import SeriesIdentity
from ..pixel_data import PixelDataInfo


@dataclass(frozen=True)
class FrameRef:
    """One 2D image of the stack: a single-frame file, or one frame of a multi-frame file."""

    path: str
    #: 0-based frame index inside the file
    frame: int
    position: tuple[float, float, float] | None
    orientation: tuple[float, ...] | None
    #: DICOM PixelSpacing: (row spacing, column spacing)
    pixel_spacing: tuple[float, float] | None
    rows: int
    columns: int
    slope: float = 1.0
    intercept: float = 0.0
    sop_instance_uid: str = ""
    #: the value that tells time points apart, when there is one
    temporal: str = ""


@dataclass
class PixelFormat:
    """How the stored pixels are laid out (the same for every file of a loadable)."""

    bits_allocated: int
    bits_stored: int
    pixel_representation: int
    samples_per_pixel: int
    photometric: str
    planar_configuration: int = 0
    #: bits per palette entry (PALETTE COLOR only)
    palette_bits: int = 0


@dataclass
class VolumePlan:
    """A sorted stack ready to build: geometry, pixel layout and where every frame is."""

    frames: list[FrameRef]
    ijk_to_ras: np.ndarray
    spacing: tuple[float, float, float]
    pixel_format: PixelFormat
    #: numpy dtype name of the voxels after rescale ("int16", "float64", ...)
    voxel_type: str
    identity: SeriesIdentity
    transfer_syntaxes: dict[str, str] = field(default_factory=dict)
    pixel_data: dict[str, PixelDataInfo] = field(default_factory=dict)
    #: (center, width) presets from the data, first one applied
    window_presets: list[tuple[float, float]] = field(default_factory=list)
    #: why the builder must refuse (e.g. repeated positions that would stack into a distorted volume)
    refuse: str = ""
    #: InstanceNumber of each file, in the order of :attr:`files` ("?" when absent), as Slicer records them
    instance_numbers: list[str] = field(default_factory=list)
    #: SOP Class UID of the middle file, which decides the voxel quantity and units (CT: Hounsfield units)
    sop_class_uid: str = ""

    @property
    def files(self) -> list[str]:
        seen: dict[str, None] = {}
        for frame in self.frames:
            seen.setdefault(frame.path, None)
        return list(seen)

    @property
    def dimensions(self) -> tuple[int, int, int]:
        """(columns, rows, slices): VTK's order."""
        first = self.frames[0]
        return first.columns, first.rows, len(self.frames)


@dataclass
class SequencePlan:
    """A 4D series: one volume plan per time point, in time order, and the sequence's index."""

    time_points: list[VolumePlan]
    #: the frame attribute that orders the time points ("TriggerTime", ...), or "InstanceNumber order"
    index_name: str
    index_unit: str
    #: one numeric index value per time point (as text, as vtkMRMLSequenceNode stores them)
    index_values: list[str]
    refuse: str = ""

    @property
    def files(self) -> list[str]:
        return [path for plan in self.time_points for path in plan.files]

    @property
    def identity(self) -> SeriesIdentity:
        """The series identity, with the instances of every time point."""
        from dataclasses import replace

        uids = tuple(uid for plan in self.time_points for uid in plan.identity.instance_uids)
        return replace(self.time_points[0].identity, instance_uids=uids)
