"""Decode the frames of a DICOM SEG into per-segment masks on a voxel grid, in-process.

BINARY frames are bit-packed (first pixel in the lowest bit, frames not
necessarily byte-aligned), FRACTIONAL frames hold 0..MaximumFractionalValue
(a voxel is inside when its fraction is at least one half), labelmap SEGs
(SOP class ...66.7) hold segment numbers. Frames may cover any subset of the
slices, in any order, several segments may share a slice (overlap). Each
frame's plane position comes from the per-frame (else shared) functional
groups. Pixel data is read with numpy, never through pydicom's per-element
machinery, unless it is compressed.

The grid is either the referenced volume's (when the caller has it loaded) or
one built from the SEG's own plane positions. Each segment's mask is cropped
to the slices and rows/columns its frames cover, so a small SEG on a large CT
stays small.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DICOMTeachError, LoadError
from .frame_scan import ScannedFrames, scan_frames
from .metadata import SegmentDescription, read_segment_descriptions

SEGMENTATION_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.4"
LABELMAP_SEGMENTATION_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.7"
SEG_SOP_CLASSES = (SEGMENTATION_SOP_CLASS, LABELMAP_SEGMENTATION_SOP_CLASS)

#: LPS <-> RAS: flip the first two axes.
LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])

#: How far (in voxels) a frame may sit from a grid position and still be placed on it.
GRID_TOLERANCE = 0.1


@dataclass
class Grid:
    """A voxel grid: IJK -> LPS (mm) matrix and its size (i = columns, j = rows, k = slices)."""

    ijk_to_lps: np.ndarray
    dimensions: tuple[int, int, int]

    @property
    def ijk_to_ras(self) -> np.ndarray:
        return LPS_TO_RAS @ self.ijk_to_lps

    @property
    def spacing(self) -> tuple[float, float, float]:
        return tuple(float(np.linalg.norm(self.ijk_to_lps[:3, axis])) for axis in range(3))

    @classmethod
    def from_ras(cls, ijk_to_ras: np.ndarray, dimensions: tuple[int, int, int]) -> Grid:
        return cls(LPS_TO_RAS @ np.asarray(ijk_to_ras, dtype=float), tuple(int(d) for d in dimensions))


@dataclass
class FrameLayout:
    """Where each frame goes, from the headers only."""

    rows: int
    columns: int
    row_direction: np.ndarray  # unit vector along a row (increasing column index)
    column_direction: np.ndarray  # unit vector down a column (increasing row index)
    pixel_spacing: tuple[float, float]  # (between rows, between columns), as PixelSpacing
    slice_spacing: float | None
    positions: np.ndarray  # (frames, 3) LPS of each frame's first pixel
    segment_numbers: np.ndarray  # (frames,) ReferencedSegmentNumber, 0 for labelmap SEGs
    has_positions: bool = True
    notes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # frames left out, and why

    @property
    def normal(self) -> np.ndarray:
        return np.cross(self.row_direction, self.column_direction)


@dataclass
class SegmentMask:
    """One segment's voxels: ``array`` (k, j, i) of 0/1 placed at ``offset`` (i, j, k) in the grid."""

    segment_number: int
    array: np.ndarray
    offset: tuple[int, int, int]

    @property
    def voxel_count(self) -> int:
        return int(np.count_nonzero(self.array))


@dataclass
class DecodedSegmentation:
    segments: list[SegmentDescription]
    grid: Grid
    masks: dict[int, SegmentMask]
    segmentation_type: str
    on_reference_grid: bool = False
    skipped: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    def mask_in_grid(self, segment_number: int) -> np.ndarray:
        """The full-grid (k, j, i) boolean mask of a segment (for tests and small data)."""
        ni, nj, nk = self.grid.dimensions
        full = np.zeros((nk, nj, ni), dtype=bool)
        mask = self.masks.get(segment_number)
        if mask is not None:
            i0, j0, k0 = mask.offset
            nz, ny, nx = mask.array.shape
            full[k0:k0 + nz, j0:j0 + ny, i0:i0 + nx] = mask.array.astype(bool)
        return full


def _vector(value: Any, count: int, what: str, path: str) -> np.ndarray:
    try:
        array = np.array([float(v) for v in value], dtype=float)
    except (TypeError, ValueError) as error:
        raise LoadError(f"{what} is not numeric ({value!r})", path) from error
    if array.shape != (count,):
        raise LoadError(f"{what} must have {count} values, has {array.size}", path)
    return array


def _group(frame_group: Any, shared_group: Any, keyword: str) -> Any:
    """A functional group macro item: per-frame first, else shared, else None."""
    for group in (frame_group, shared_group):
        if group is not None:
            sequence = group.get(keyword)
            if sequence:
                return sequence[0]
    return None


def read_frame_layout(dataset: Any, path: str = "") -> FrameLayout:
    """Frame geometry and segment numbers from the functional groups of a SEG header."""
    if "TotalPixelMatrixRows" in dataset or dataset.get("DimensionOrganizationType") in ("TILED_FULL",
                                                                                          "TILED_SPARSE"):
        raise LoadError("a slide microscopy (tiled) segmentation is in slide coordinates, not a volume: "
                        "it cannot be loaded as a segmentation node", path)
    frames = int(dataset.get("NumberOfFrames", 1) or 1)
    rows, columns = int(dataset.get("Rows", 0) or 0), int(dataset.get("Columns", 0) or 0)
    if rows <= 0 or columns <= 0:
        raise LoadError("Rows or Columns is missing or zero", path)
    shared_sequence = dataset.get("SharedFunctionalGroupsSequence")
    shared = shared_sequence[0] if shared_sequence else None
    per_frame_present = "PerFrameFunctionalGroupsSequence" in dataset
    labelmap = dataset.get("SOPClassUID") == LABELMAP_SEGMENTATION_SOP_CLASS
    scanned = scan_frames(dataset, path, frames, labelmap) if path and per_frame_present else None
    layout = _layout_from_shared(shared, scanned, rows, columns, path) if scanned is not None else None
    if layout is not None:
        return layout
    per_frame = dataset.get("PerFrameFunctionalGroupsSequence")
    notes: list[str] = []
    skipped_frames: list[str] = []
    if per_frame is not None and len(per_frame) < frames:
        raise LoadError(f"NumberOfFrames is {frames} but there are only {len(per_frame)} per-frame functional "
                        "groups", path)
    if per_frame is not None and len(per_frame) > frames:
        notes.append(f"NumberOfFrames is {frames} but there are {len(per_frame)} per-frame functional groups: "
                     f"the first {frames} are used")

    orientation = None
    spacing = None
    slice_spacing = None
    positions = np.zeros((frames, 3))
    numbers = np.zeros(frames, dtype=np.int64)
    has_positions = True
    for index in range(frames):
        group = per_frame[index] if per_frame is not None else None
        if _group(group, shared, "PlanePositionSlideSequence") is not None:
            raise LoadError("a slide microscopy segmentation (PlanePositionSlideSequence) is in slide "
                            "coordinates, not a volume: it cannot be loaded as a segmentation node", path)
        plane = _group(group, shared, "PlanePositionSequence")
        if plane is not None and "ImagePositionPatient" in plane:
            positions[index] = _vector(plane.ImagePositionPatient, 3, "ImagePositionPatient", path)
        else:
            has_positions = False
        if index == 0 or per_frame is not None and group is not None and "PlaneOrientationSequence" in group:
            item = _group(group, shared, "PlaneOrientationSequence")
            if item is not None and "ImageOrientationPatient" in item:
                this = _vector(item.ImageOrientationPatient, 6, "ImageOrientationPatient", path)
                if orientation is not None and not np.allclose(this, orientation, atol=1e-4):
                    raise LoadError("frames have different orientations: not one volume", path)
                orientation = this
        if index == 0 or group is not None and "PixelMeasuresSequence" in group:
            measures = _group(group, shared, "PixelMeasuresSequence")
            if measures is not None and "PixelSpacing" in measures:
                spacing = tuple(_vector(measures.PixelSpacing, 2, "PixelSpacing", path))
                between = measures.get("SpacingBetweenSlices")
                thickness = measures.get("SliceThickness")
                slice_spacing = float(between) if between else (float(thickness) if thickness else slice_spacing)
        if not labelmap:
            identification = _group(group, shared, "SegmentIdentificationSequence")
            if identification is None or "ReferencedSegmentNumber" not in identification:
                skipped_frames.append(f"frame {index + 1} names no segment (no SegmentIdentificationSequence)")
                numbers[index] = -1
            else:
                numbers[index] = int(identification.ReferencedSegmentNumber)

    if orientation is None:
        orientation = np.array([1.0, 0, 0, 0, 1.0, 0])
        has_positions = False
    row_direction = orientation[:3] / (np.linalg.norm(orientation[:3]) or 1.0)
    column_direction = orientation[3:] / (np.linalg.norm(orientation[3:]) or 1.0)
    if spacing is None:
        spacing = tuple(_vector(dataset.PixelSpacing, 2, "PixelSpacing", path)) if "PixelSpacing" in dataset \
            else (1.0, 1.0)
    if not has_positions:
        positions = np.zeros((frames, 3))
    return FrameLayout(rows, columns, row_direction, column_direction, (float(spacing[0]), float(spacing[1])),
                       slice_spacing, positions, numbers, has_positions, notes, skipped_frames)


def _layout_from_shared(shared: Any, scanned: ScannedFrames, rows: int, columns: int,
                        path: str) -> FrameLayout | None:
    """The layout when positions and segment numbers were scanned: orientation and spacing are shared."""
    plane = _group(None, shared, "PlaneOrientationSequence")
    measures = _group(None, shared, "PixelMeasuresSequence")
    if plane is None or "ImageOrientationPatient" not in plane or measures is None \
            or "PixelSpacing" not in measures:
        return None
    orientation = _vector(plane.ImageOrientationPatient, 6, "ImageOrientationPatient", path)
    spacing = _vector(measures.PixelSpacing, 2, "PixelSpacing", path)
    between, thickness = measures.get("SpacingBetweenSlices"), measures.get("SliceThickness")
    slice_spacing = float(between) if between else (float(thickness) if thickness else None)
    return FrameLayout(rows, columns, orientation[:3] / np.linalg.norm(orientation[:3]),
                       orientation[3:] / np.linalg.norm(orientation[3:]), (float(spacing[0]), float(spacing[1])),
                       slice_spacing, scanned.positions, scanned.segment_numbers)


def _frame_axes(layout: FrameLayout) -> np.ndarray:
    """Columns i, j, n: one step along a row, one down a column, and the unit normal (LPS)."""
    return np.column_stack([layout.row_direction * layout.pixel_spacing[1],
                            layout.column_direction * layout.pixel_spacing[0], layout.normal])


def own_grid(layout: FrameLayout, messages: list[str] | None = None) -> Grid:
    """The smallest grid, aligned with the frames, holding every frame."""
    axes = _frame_axes(layout)
    if not layout.has_positions:
        # No plane positions (e.g. a projection radiograph's SEG): one frame per slice, in file order.
        spacing = layout.slice_spacing or 1.0
        matrix = np.eye(4)
        matrix[:3, :3] = axes
        matrix[:3, 2] *= spacing
        if messages is not None:
            messages.append("the SEG has no plane positions: frames are stacked in file order at the origin")
        return Grid(matrix, (layout.columns, layout.rows, len(layout.positions)))
    local = layout.positions @ np.linalg.inv(axes).T  # (i, j, distance along the normal) of each frame
    distances = np.unique(np.round(local[:, 2], 4))
    gaps = np.diff(distances)
    gaps = gaps[gaps > 1e-3]
    spacing = layout.slice_spacing if layout.slice_spacing and layout.slice_spacing > 0 else None
    if spacing is None:
        spacing = float(gaps.min()) if gaps.size else 1.0
    if gaps.size and messages is not None:
        steps = gaps / spacing
        if np.any(np.abs(steps - np.round(steps)) > GRID_TOLERANCE):
            messages.append(f"slice gaps are not multiples of {spacing:g} mm: frames are placed on the nearest slice")
    low = local.min(axis=0)
    high = local.max(axis=0)
    dimensions = (
        layout.columns + int(round(high[0] - low[0])),
        layout.rows + int(round(high[1] - low[1])),
        int(round((high[2] - low[2]) / spacing)) + 1,
    )
    matrix = np.eye(4)
    matrix[:3, :3] = axes
    matrix[:3, 2] = layout.normal * spacing
    matrix[:3, 3] = axes @ low
    return Grid(matrix, dimensions)


class GridMismatch(Exception):
    """The frames are not aligned with a given grid (other orientation or spacing)."""


def _frame_indices(layout: FrameLayout, grid: Grid) -> np.ndarray:
    """(frames, 3) grid index (i, j, k) of each frame's first pixel; GridMismatch when not aligned."""
    inverse = np.linalg.inv(grid.ijk_to_lps)
    steps = inverse[:3, :3] @ _frame_axes(layout)[:, :2]
    if not np.allclose(steps, np.array([[1, 0], [0, 1], [0, 0]]), atol=1e-3):
        raise GridMismatch("the frames' orientation or pixel spacing differs from the grid's")
    return (inverse[:3, :3] @ layout.positions.T).T + inverse[:3, 3]


def _bits_readers(raw: bytes, rows: int, columns: int, path: str):
    """Bit-packed frames: (frame index -> (rows, columns) 0/1, frame list -> (n, rows, columns) 0/1 or None)."""
    size = rows * columns
    buffer = np.frombuffer(raw, dtype=np.uint8)

    def frame(index: int) -> np.ndarray:
        start_bit = index * size
        first, shift = divmod(start_bit, 8)
        last = (start_bit + size + 7) // 8
        if last > buffer.size:
            raise LoadError(f"pixel data ends before frame {index + 1}", path)
        bits = np.unpackbits(buffer[first:last], bitorder="little")
        return bits[shift:shift + size].reshape(rows, columns)

    if size % 8:
        return frame, None  # frames do not start on byte boundaries: one at a time
    frame_bytes = size // 8

    def block(indices: list[int], out: np.ndarray) -> None:
        if (max(indices) + 1) * frame_bytes > buffer.size:
            raise LoadError(f"pixel data ends before frame {max(indices) + 1}", path)
        packed = buffer[:(buffer.size // frame_bytes) * frame_bytes].reshape(-1, frame_bytes)
        chosen = packed[indices[0]:indices[-1] + 1] if indices == list(range(indices[0], indices[-1] + 1)) \
            else packed[indices]
        out.reshape(len(indices), frame_bytes * 8)[...] = np.unpackbits(chosen, axis=1, bitorder="little")

    return frame, block


def _copy_block(frames: np.ndarray):
    def block(indices: list[int], out: np.ndarray) -> None:
        out[...] = frames[indices]

    return block


def _pixels_after_header(header: Any, path: str) -> bytes | None:
    """Uncompressed pixel bytes at the offset examine found after ``header`` (so the header is not read twice)."""
    from ..pixel_data import pixel_data_info

    info = pixel_data_info(header)
    meta = getattr(header, "file_meta", None)
    syntax = meta.get("TransferSyntaxUID") if meta is not None else None
    if info is None or not info.present or info.length is None or info.truncated or syntax is None \
            or syntax.is_compressed or not syntax.is_little_endian:
        return None
    try:
        with open(path, "rb") as handle:
            handle.seek(info.offset)
            data = handle.read(info.length)
    except OSError as error:
        raise LoadError(f"cannot read the pixel data: {error}", path) from error
    return data if len(data) == info.length else None


def _frame_reader(dataset: Any, layout: FrameLayout, segmentation_type: str, path: str,
                  pixel_bytes: bytes | None = None):
    """(frame index -> (rows, columns) stored values, frame list -> stacked frames or None)."""
    rows, columns = layout.rows, layout.columns
    frames = len(layout.positions)
    if "PixelData" not in dataset and pixel_bytes is None:
        raise LoadError("the SEG has no pixel data", path)
    transfer_syntax = dataset.file_meta.get("TransferSyntaxUID") if hasattr(dataset, "file_meta") else None
    compressed = transfer_syntax is not None and transfer_syntax.is_compressed
    bits_allocated = int(dataset.get("BitsAllocated", 1) or 1)
    if compressed or (transfer_syntax is not None and not transfer_syntax.is_little_endian):
        from ..bounds import check_jpeg2000_frames

        try:
            check_jpeg2000_frames(dataset, path)  # a native decoder aborts on a contradiction: never hand it one
        except DICOMTeachError as error:
            raise LoadError(error.reason, path) from error
        try:
            pixels = dataset.pixel_array
        except Exception as error:  # pydicom raises many types for undecodable data
            raise LoadError(f"cannot decode the compressed pixel data ({transfer_syntax.name}): {error}",
                            path) from error
        pixels = np.asarray(pixels).reshape(frames, rows, columns)
        return (lambda index: pixels[index]), _copy_block(pixels)
    raw = pixel_bytes if pixel_bytes is not None else dataset.PixelData
    if bits_allocated == 1:
        return _bits_readers(raw, rows, columns, path)
    dtype = np.dtype("<u2") if bits_allocated == 16 else np.dtype(np.uint8)
    values = np.frombuffer(raw, dtype=dtype)
    needed = frames * rows * columns
    if values.size < needed:
        raise LoadError(f"pixel data holds {values.size} values, {needed} expected for {frames} frame(s)", path)
    values = values[:needed].reshape(frames, rows, columns)
    return (lambda index: values[index]), _copy_block(values)


@dataclass
class _Placement:
    frame: int
    i: int
    j: int
    k: int


def _place_frames(layout: FrameLayout, grid: Grid, frame_numbers: dict[int, list[int]],
                  segments_by_number: dict[int, SegmentDescription],
                  skipped: list[str], messages: list[str]) -> dict[int, list[_Placement]]:
    """Grid positions of each segment's frames; frames off the grid are skipped with a reason."""
    indices = _frame_indices(layout, grid) if layout.has_positions else np.column_stack(
        [np.zeros(len(layout.positions)), np.zeros(len(layout.positions)), np.arange(len(layout.positions))])
    rounded = np.round(indices)
    off_plane = np.abs(indices - rounded).max(axis=1) > GRID_TOLERANCE
    ni, nj, nk = grid.dimensions
    placements: dict[int, list[_Placement]] = {}
    for number, frames in frame_numbers.items():
        name = segments_by_number[number].name if number in segments_by_number else f"#{number}"
        outside = between = clipped = 0
        placed = []
        for frame in frames:
            i, j, k = (int(v) for v in rounded[frame])
            if off_plane[frame]:
                between += 1
                continue
            if not 0 <= k < nk or i >= ni or j >= nj or i + layout.columns <= 0 or j + layout.rows <= 0:
                outside += 1
                continue
            if i < 0 or j < 0 or i + layout.columns > ni or j + layout.rows > nj:
                clipped += 1
            placed.append(_Placement(frame, i, j, k))
        if outside:
            skipped.append(f"segment '{name}': {outside} frame(s) lie outside the referenced volume")
        if between:
            skipped.append(f"segment '{name}': {between} frame(s) do not lie on a slice of the volume grid")
        if clipped:
            messages.append(f"segment '{name}': {clipped} frame(s) reach past the volume's edge and were cut")
        placements[number] = placed
    return placements


#: allocate(segment number, shape (k, j, i), offset (i, j, k), zeroed) -> writable uint8 array.
Allocator = Callable[[int, tuple[int, int, int], tuple[int, int, int], bool], np.ndarray]


def _numpy_allocator(number: int, shape: tuple[int, int, int], offset: tuple[int, int, int],
                     zeroed: bool) -> np.ndarray:
    return np.zeros(shape, dtype=np.uint8)


def _segment_mask(number: int, placements: list[_Placement], grid: Grid, layout: FrameLayout,
                  frame_mask, block_mask=None, allocate: Allocator = _numpy_allocator) -> SegmentMask | None:
    """Paint one segment's frames into an array cropped to the frames' extent."""
    if not placements:
        return None
    ni, nj, _ = grid.dimensions
    i0 = max(0, min(p.i for p in placements))
    j0 = max(0, min(p.j for p in placements))
    i1 = min(ni, max(p.i for p in placements) + layout.columns)
    j1 = min(nj, max(p.j for p in placements) + layout.rows)
    k0 = min(p.k for p in placements)
    k1 = max(p.k for p in placements) + 1
    shape = (k1 - k0, j1 - j0, i1 - i0)
    slices = sorted(p.k for p in placements)
    # Whole frames, one per slice, filling every slice of the extent: one vectorized copy, no zeroing.
    whole = (block_mask is not None and slices == list(range(k0, k1))
             and all(p.i == i0 and p.j == j0 for p in placements)
             and shape[1:] == (layout.rows, layout.columns))
    array = allocate(number, shape, (i0, j0, k0), not whole)
    if whole:
        ordered = [p.frame for p in sorted(placements, key=lambda p: p.k)]
        block_mask(ordered, array)
        return SegmentMask(number, array, (i0, j0, k0))
    for p in placements:
        pixels = frame_mask(p.frame)
        # Clip the frame to the grid.
        fi0, fj0 = max(0, -p.i), max(0, -p.j)
        fi1 = min(layout.columns, ni - p.i)
        fj1 = min(layout.rows, nj - p.j)
        target = array[p.k - k0, p.j + fj0 - j0:p.j + fj1 - j0, p.i + fi0 - i0:p.i + fi1 - i0]
        np.bitwise_or(target, pixels[fj0:fj1, fi0:fi1], out=target)
    return SegmentMask(number, array, (i0, j0, k0))


def decode_segmentation(path: str | Path, reference_grid: Grid | None = None, dataset: Any = None,
                        reference_frame_of_reference: str = "",
                        allocate: Allocator | None = None) -> DecodedSegmentation:
    """Decode every segment of the SEG at ``path``.

    ``reference_grid`` (the referenced volume's grid) is used when the frames
    align with it and the frames of reference agree; otherwise the SEG's own
    grid is used and a message says why.
    """

    path = str(path)
    pixel_bytes = _pixels_after_header(dataset, path) if dataset is not None and "PixelData" not in dataset \
        else None
    if dataset is None or ("PixelData" not in dataset and pixel_bytes is None):
        from ..safe_read import read_dataset

        try:
            dataset = read_dataset(path, what="the SEG")
        except DICOMTeachError as error:
            raise LoadError(error.reason, path) from error
    sop_class = str(dataset.get("SOPClassUID", ""))
    if sop_class not in SEG_SOP_CLASSES:
        raise LoadError(f"not a segmentation (SOP class {sop_class or 'missing'})", path)
    segmentation_type = str(dataset.get("SegmentationType", "BINARY") or "BINARY").upper()
    if sop_class == LABELMAP_SEGMENTATION_SOP_CLASS:
        segmentation_type = "LABELMAP"
    if segmentation_type not in ("BINARY", "FRACTIONAL", "LABELMAP"):
        raise LoadError(f"unknown SegmentationType {segmentation_type!r}", path)
    segments = read_segment_descriptions(dataset)
    if not segments:
        raise LoadError("the SEG defines no segment (empty SegmentSequence)", path)
    by_number = {segment.number: segment for segment in segments}
    try:
        layout = read_frame_layout(dataset, path)
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise LoadError(f"cannot read the frame geometry: {error}", path) from error
    skipped: list[str] = list(layout.skipped)
    messages: list[str] = list(layout.notes)

    grid = None
    on_reference = False
    if reference_grid is not None:
        own_frame_of_reference = str(dataset.get("FrameOfReferenceUID", "") or "")
        if reference_frame_of_reference and own_frame_of_reference \
                and reference_frame_of_reference != own_frame_of_reference:
            skipped.append("the referenced volume's grid: its frame of reference "
                           f"({reference_frame_of_reference}) is not the SEG's ({own_frame_of_reference}); "
                           "the SEG's own plane positions are used")
        elif not layout.has_positions:
            messages.append("the SEG has no plane positions: it cannot be placed on the referenced volume's grid")
        else:
            try:
                _frame_indices(layout, reference_grid)
                grid, on_reference = reference_grid, True
            except GridMismatch as mismatch:
                messages.append(f"not placed on the referenced volume's grid: {mismatch}")
    if grid is None:
        grid = own_grid(layout, messages)

    read_frame, read_block = _frame_reader(dataset, layout, segmentation_type, path, pixel_bytes)
    masks: dict[int, SegmentMask] = {}
    if segmentation_type == "LABELMAP":
        everything = SegmentDescription(0, "all segments (labelmap frames)")
        placements = _place_frames(layout, grid, {0: list(range(len(layout.positions)))}, {0: everything},
                                   skipped, messages)[0]
        for segment in segments:
            if segment.number == 0:
                messages.append(f"segment 0 '{segment.name}' is the labelmap's background: not loaded as a segment")
        masks = _labelmap_masks(placements, grid, layout, read_frame, [s.number for s in segments if s.number],
                                allocate or _numpy_allocator)
    else:
        frames_by_segment: dict[int, list[int]] = defaultdict(list)
        for frame, number in enumerate(layout.segment_numbers.tolist()):
            if number >= 0:  # -1: the frame names no segment (said in the layout's notes)
                frames_by_segment[number].append(frame)
        unknown = sorted(set(frames_by_segment) - set(by_number))
        for number in unknown:
            skipped.append(f"{len(frames_by_segment.pop(number))} frame(s) reference segment number {number}, "
                           "which the SegmentSequence does not define")
        if segmentation_type == "FRACTIONAL":
            maximum = int(dataset.get("MaximumFractionalValue", 255) or 255)

            def frame_mask(frame: int) -> np.ndarray:
                # Inside when the fraction (value / maximum) is at least one half.
                return (read_frame(frame).astype(np.uint32) * 2 >= maximum).astype(np.uint8)

            def block_mask(frames: list[int], out: np.ndarray) -> None:
                stored = np.empty(out.shape, dtype=np.uint16)
                read_block(frames, stored)
                np.greater_equal(stored.astype(np.uint32) * 2, maximum, out=out.view(bool))
        else:
            frame_mask, block_mask = read_frame, read_block
        placements = _place_frames(layout, grid, frames_by_segment, by_number, skipped, messages)
        for number, placed in placements.items():
            mask = _segment_mask(number, placed, grid, layout, frame_mask, block_mask,
                                 allocate or _numpy_allocator)
            if mask is not None:
                masks[number] = mask
    if segmentation_type == "LABELMAP":
        segments = [segment for segment in segments if segment.number != 0]
    for segment in segments:
        mask = masks.get(segment.number)
        if mask is None or not mask.array.any():
            masks.pop(segment.number, None)
            messages.append(f"segment '{segment.name}' is empty: it has no frame or no set pixel")
    return DecodedSegmentation(segments, grid, masks, segmentation_type, on_reference, skipped, messages)


def _labelmap_masks(placements: list[_Placement], grid: Grid, layout: FrameLayout, read_frame,
                    numbers: list[int], allocate: Allocator) -> dict[int, SegmentMask]:
    """Paint the labelmap frames once, then cut each segment out of its own bounding box."""
    if not placements:
        return {}
    dtype = read_frame(placements[0].frame).dtype
    labels = _segment_mask(0, placements, grid, layout, read_frame,
                           allocate=lambda number, shape, offset, zeroed: np.zeros(shape, dtype=dtype))
    nk, nj, ni = labels.array.shape
    top = int(max(numbers)) + 1 if numbers else 1
    # Which slices, rows and columns hold each label: three bincounts a slice, no per-segment pass.
    in_slice = np.zeros((nk, top), dtype=bool)
    in_row = np.zeros((top, nj), dtype=bool)
    in_column = np.zeros((top, ni), dtype=bool)
    row_index = np.arange(nj)[:, None]
    column_index = np.arange(ni)[None, :]
    for k in range(nk):
        plane = np.where(labels.array[k] < top, labels.array[k], 0).astype(np.int64)
        in_slice[k] = np.bincount(plane.ravel(), minlength=top)[:top] > 0
        in_row |= np.bincount((plane * nj + row_index).ravel(), minlength=top * nj).reshape(top, nj) > 0
        in_column |= np.bincount((plane * ni + column_index).ravel(), minlength=top * ni).reshape(top, ni) > 0
    masks = {}
    i_base, j_base, k_base = labels.offset
    for number in numbers:
        ks, js, is_ = np.nonzero(in_slice[:, number])[0], np.nonzero(in_row[number])[0], \
            np.nonzero(in_column[number])[0]
        if not ks.size:
            continue
        k0, k1, j0, j1, i0, i1 = ks[0], ks[-1] + 1, js[0], js[-1] + 1, is_[0], is_[-1] + 1
        array = allocate(number, (int(k1 - k0), int(j1 - j0), int(i1 - i0)),
                         (int(i_base + i0), int(j_base + j0), int(k_base + k0)), False)
        np.equal(labels.array[k0:k1, j0:j1, i0:i1], number, out=array.view(bool))
        masks[number] = SegmentMask(number, array, (int(i_base + i0), int(j_base + j0), int(k_base + k0)))
    return masks


__all__ = [
    "DecodedSegmentation", "FrameLayout", "Grid", "SegmentMask", "SEG_SOP_CLASSES",
    "decode_segmentation", "own_grid", "read_frame_layout",
]
