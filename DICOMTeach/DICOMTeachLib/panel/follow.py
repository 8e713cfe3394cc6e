"""Which instance the student is looking at: a node's files, and the slice under the crosshair.

A data node loaded from DICOM carries the SOP Instance UIDs it was made from
(``DICOM.instanceUIDs``, or its subject hierarchy item's instance UIDs); a
resolver turns a UID into a file (Slicer's DICOM database inside the app, the
examined files headless). A point in RAS picks the slice of a volume, and so
the instance whose pixels are shown there; in a multi-frame file, the frame
whose plane passes through the point.

Two things move that point: the crosshair (vtkMRMLCrosshairNode's CrosshairRAS,
set by Shift+move in any view) and a slice view's plane (scrolling). A view whose
plane is not parallel to the volume's slices (a sagittal view of an axial CT) cuts
through every instance at once, so only the crosshair says which one is meant.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..hierarchy import instance_uids_of

#: SOP Instance UID -> file path, or None when unknown.
Resolver = Callable[[str], "str | None"]


@dataclass
class NodeInstances:
    """The instances behind a node, or why there are none."""

    node_name: str
    uids: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # same order as uids; "" where the file is gone
    message: str = ""  # for the student, "" when every file is there

    @property
    def available(self) -> list[int]:
        """Indexes of the instances whose file can be read."""
        return [index for index, path in enumerate(self.files) if path]


def _subject_hierarchy_uids(node: Any) -> list[str]:
    """Instance UIDs of the node's item, or of the series item above it (an SR's tables sit under its text)."""
    scene = node.GetScene()
    sh = scene.GetSubjectHierarchyNode() if scene is not None else None
    if sh is None:
        return []
    item = sh.GetItemByDataNode(node)
    root = sh.GetSceneItemID()
    while item and item != root:
        uids = sh.GetItemUID(item, "DICOMInstanceUID").split()
        parent_node = sh.GetItemDataNode(item)
        if not uids and parent_node is not None and parent_node is not node:
            uids = instance_uids_of(parent_node)
        if uids:
            return uids
        item = sh.GetItemParent(item)
    return []


def node_instances(node: Any, resolve: Resolver) -> NodeInstances:
    """The files of the instances ``node`` was loaded from, with a clear message when that cannot be."""
    name = node.GetName() or node.GetID()
    uids = instance_uids_of(node) or _subject_hierarchy_uids(node)
    uids = [uid for uid in uids if uid and uid != "Unknown"]
    if not uids:
        return NodeInstances(name, message=f"'{name}' was not loaded from DICOM: it has no DICOM instance UIDs, "
                             "so there is no file to explain. Load data through the DICOM module, or pick a file.")
    files = []
    gone = []
    for uid in uids:
        path = resolve(uid) or ""
        if path and not os.path.isfile(path):
            gone.append(path)
            path = ""
        elif not path:
            gone.append(uid)
        files.append(path)
    message = ""
    if gone:
        if len(gone) == len(uids):
            message = (f"The files of '{name}' are gone: none of its {len(uids)} instance(s) can be found "
                       f"(first: {gone[0]}). They were moved or deleted after loading; import them again.")
        else:
            message = (f"{len(gone)} of the {len(uids)} files of '{name}' are gone (first: {gone[0]}); "
                       "the others can be explained.")
    return NodeInstances(name, uids, files, message)


def slice_index_at(volume_node: Any, ras: tuple[float, float, float]) -> int | None:
    """The slice (K index) of ``volume_node`` at a RAS point; None outside the volume."""
    from vtkmodules.vtkCommonMath import vtkMatrix4x4

    image = volume_node.GetImageData()
    if image is None:
        return None
    matrix = vtkMatrix4x4()
    volume_node.GetRASToIJKMatrix(matrix)
    ijk = matrix.MultiplyPoint((*ras, 1.0))
    k = int(round(ijk[2]))
    slices = image.GetDimensions()[2]
    return k if 0 <= k < slices else None


def slice_center_ras(slice_node: Any) -> tuple[float, float, float]:
    """The RAS position of a slice view's centre (where its crosshair sits when the student scrolls)."""
    matrix = slice_node.GetSliceToRAS()
    return (matrix.GetElement(0, 3), matrix.GetElement(1, 3), matrix.GetElement(2, 3))


def view_parallel_to_slices(slice_node: Any, volume_node: Any, tolerance: float = 1e-3) -> bool:
    """Whether a slice view shows one slice of the volume (its plane parallel to the volume's K planes)."""
    from vtkmodules.vtkCommonMath import vtkMatrix4x4

    ijk_to_ras = vtkMatrix4x4()
    volume_node.GetIJKToRASMatrix(ijk_to_ras)
    slice_to_ras = slice_node.GetSliceToRAS()
    k_axis = np.array([ijk_to_ras.GetElement(row, 2) for row in range(3)])
    normal = np.array([slice_to_ras.GetElement(row, 2) for row in range(3)])
    norms = np.linalg.norm(k_axis) * np.linalg.norm(normal)
    return bool(norms) and abs(abs(float(k_axis @ normal)) / norms - 1.0) < tolerance


def instance_for_slice(instances: NodeInstances, volume_node: Any, ras: tuple[float, float, float]) -> int | None:
    """Which instance shows the slice at ``ras``: one file per slice, or the only file of a multi-frame."""
    k = slice_index_at(volume_node, ras)
    if k is None or not instances.uids:
        return None
    if len(instances.uids) == 1:
        return 0
    return k if k < len(instances.uids) else None


class SliceFollower:
    """Calls ``on_point(volume_node, ras)`` whenever a slice view moves (scrolling changes its slice node).

    A plain VTK observer, so it works in Slicer and on a headless scene alike;
    ``volume_of()`` says which volume that view shows (its background layer). Only a view
    parallel to the volume's slices is followed: the others cut through many instances.
    """

    def __init__(self, slice_node: Any, volume_of: Callable[[], Any], on_point: Callable[[Any, tuple], Any]) -> None:
        self.slice_node = slice_node
        self.volume_of = volume_of
        self.on_point = on_point
        self._tag = slice_node.AddObserver("ModifiedEvent", self._moved)

    def _moved(self, _caller: Any = None, _event: Any = None) -> None:
        volume = self.volume_of()
        if volume is not None and volume.IsA("vtkMRMLVolumeNode") and view_parallel_to_slices(self.slice_node, volume):
            self.on_point(volume, slice_center_ras(self.slice_node))

    def stop(self) -> None:
        if self._tag is not None:
            self.slice_node.RemoveObserver(self._tag)
            self._tag = None


class CrosshairFollower:
    """Calls ``on_point(volume_node, ras)`` when the crosshair moves (vtkMRMLCrosshairNode's CrosshairRAS).

    In Slicer, Shift+move in any view sets the crosshair (vtkMRMLSliceIntersectionWidget::ProcessSetCrosshair)
    and then jumps the slices there; ``volume_of()`` is the volume followed. The crosshair node also changes
    for its look (thickness, colour): only a new position is passed on.
    """

    def __init__(self, crosshair_node: Any, volume_of: Callable[[], Any],
                 on_point: Callable[[Any, tuple], Any]) -> None:
        self.crosshair_node = crosshair_node
        self.volume_of = volume_of
        self.on_point = on_point
        self._last = tuple(crosshair_node.GetCrosshairRAS())
        self._tag = crosshair_node.AddObserver("ModifiedEvent", self._moved)

    def _moved(self, _caller: Any = None, _event: Any = None) -> None:
        ras = tuple(float(value) for value in self.crosshair_node.GetCrosshairRAS())
        if ras == self._last:
            return
        self._last = ras
        volume = self.volume_of()
        if volume is not None and volume.IsA("vtkMRMLVolumeNode"):
            self.on_point(volume, ras)

    def stop(self) -> None:
        if self._tag is not None:
            self.crosshair_node.RemoveObserver(self._tag)
            self._tag = None


@dataclass(frozen=True)
class FramePlane:
    """Where one frame of a multi-frame file lies (LPS, from its functional groups)."""

    number: int  # 1-based, as the Per-Frame Functional Groups Sequence counts its items
    position: tuple[float, float, float]
    normal: tuple[float, float, float]


def frame_planes(path: str) -> list[FramePlane]:
    """The planes of a multi-frame file's frames, as the volume loader places them; [] for a single frame or
    frames without geometry."""
    import pydicom

    from ..volumes.examine import frames_of
    from ..volumes.geometry import slice_normal

    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        frames, _warnings = frames_of(path, ds)
    except Exception:  # noqa: BLE001 - an unreadable file has no frame to follow (the panel says why elsewhere)
        return []
    if len(frames) < 2:
        return []
    planes = []
    for frame in frames:
        if frame.position is None or frame.orientation is None:
            return []
        normal = slice_normal(frame.orientation)
        planes.append(FramePlane(frame.frame + 1, tuple(frame.position), tuple(float(v) for v in normal)))
    return planes


def frame_at(planes: list[FramePlane], ras: tuple[float, float, float]) -> int | None:
    """The frame whose plane passes through the RAS point (nearest, within half the gap to the next frame);
    None when the point lies between no frames."""
    if not planes:
        return None
    lps = np.array([-ras[0], -ras[1], ras[2]])
    distances = [abs(float(np.dot(plane.normal, lps - np.array(plane.position)))) for plane in planes]
    nearest = int(np.argmin(distances))
    heights = sorted(float(np.dot(planes[0].normal, plane.position)) for plane in planes)
    gaps = [b - a for a, b in zip(heights, heights[1:], strict=False) if b - a > 1e-6]
    half_gap = min(gaps) / 2 if gaps else 0.5
    return planes[nearest].number if distances[nearest] <= half_gap + 1e-6 else None


def resolver_for_files(paths: list[str]) -> Resolver:
    """SOP Instance UID -> file for a set of files (headless, where there is no DICOM database)."""
    from ..examine import read_headers

    headers, _unreadable = read_headers(str(path) for path in paths)
    table = {str(header.get("SOPInstanceUID", "")): path for path, header in headers.items()}
    return table.get
