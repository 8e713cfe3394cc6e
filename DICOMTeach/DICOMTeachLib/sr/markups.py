"""SR spatial coordinates -> markup shapes in patient space.

SCOORD values are (column, row) pairs on an image, with the top left corner
of the top left pixel at (0, 0), so the first pixel's centre, which
ImagePositionPatient locates, is at (0.5, 0.5). Placing them in 3D needs that
image's plane (position, orientation, spacing). SCOORD3D values are already
patient coordinates (mm, LPS) in their ReferencedFrameOfReferenceUID.
Shapes: POINT / MULTIPOINT -> points, a two-point POLYLINE -> line, other
POLYLINEs -> curve (closed when it ends where it starts), POLYGON -> closed
curve, CIRCLE / ELLIPSE -> closed curve through points on the outline,
ELLIPSOID -> ROI box around it. Coordinates are returned in RAS, as MRML wants.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .tid1500 import Region

#: Points placed on a CIRCLE or ELLIPSE outline.
OUTLINE_POINTS = 36
LPS_TO_RAS = np.array([-1.0, -1.0, 1.0])


@dataclass(frozen=True)
class ImagePlane:
    """Where one image lies in patient space (single-frame images, or one frame of a multi-frame)."""

    position: tuple[float, float, float]
    row_direction: tuple[float, float, float]
    column_direction: tuple[float, float, float]
    spacing: tuple[float, float]  # (between rows, between columns), as PixelSpacing
    frame_of_reference_uid: str = ""

    @classmethod
    def from_dataset(cls, dataset: Any) -> ImagePlane | None:
        try:
            position = tuple(float(v) for v in dataset.ImagePositionPatient)
            orientation = [float(v) for v in dataset.ImageOrientationPatient]
            spacing = tuple(float(v) for v in dataset.PixelSpacing)
        except (AttributeError, TypeError, ValueError):
            return None
        if len(position) != 3 or len(orientation) != 6 or len(spacing) != 2:
            return None
        return cls(position, tuple(orientation[:3]), tuple(orientation[3:]), spacing,
                   str(dataset.get("FrameOfReferenceUID", "") or ""))

    def to_lps(self, column_row: np.ndarray) -> np.ndarray:
        """(n, 2) SCOORD (column, row) -> (n, 3) LPS."""
        column_row = np.asarray(column_row, dtype=float).reshape(-1, 2) - 0.5
        return (np.asarray(self.position) + np.outer(column_row[:, 0] * self.spacing[1], self.row_direction)
                + np.outer(column_row[:, 1] * self.spacing[0], self.column_direction))


@dataclass
class MarkupShape:
    kind: str  # "points", "line", "curve", "closed curve", "roi"
    points_ras: np.ndarray  # (n, 3); for "roi": the ROI's 8 corners are not given, see center/axes
    frame_of_reference_uid: str = ""
    roi_center_ras: np.ndarray | None = None
    roi_axes_ras: np.ndarray | None = None  # (3, 3) half-axes as columns


class UnplaceableRegion(ValueError):
    """A region that cannot be placed in patient space (the reason is the message)."""


def _outline(center: np.ndarray, first_axis: np.ndarray, second_axis: np.ndarray) -> np.ndarray:
    angles = np.linspace(0.0, 2 * np.pi, OUTLINE_POINTS, endpoint=False)
    return center + np.outer(np.cos(angles), first_axis) + np.outer(np.sin(angles), second_axis)


def shape_from_region(region: Region, plane: ImagePlane | None) -> MarkupShape:
    """The markup shape of one region; UnplaceableRegion says why when it cannot be made."""
    data = np.asarray(region.graphic_data, dtype=float)
    graphic = region.graphic_type.upper()
    if region.value_type == "SCOORD":
        if plane is None:
            raise UnplaceableRegion(f"its image {region.image_uid or '(not named)'} is neither loaded nor among "
                                    "the examined files, so its plane in patient space is unknown")
        if data.size % 2:
            raise UnplaceableRegion(f"{data.size} graphic values are not (column, row) pairs")
        points = plane.to_lps(data.reshape(-1, 2))
        normal = np.cross(plane.row_direction, plane.column_direction)
        frame_of_reference = plane.frame_of_reference_uid
    elif region.value_type == "SCOORD3D":
        if data.size % 3:
            raise UnplaceableRegion(f"{data.size} graphic values are not (x, y, z) triples")
        points = data.reshape(-1, 3)
        normal = None
        frame_of_reference = region.frame_of_reference_uid
    else:
        raise UnplaceableRegion(f"value type {region.value_type} has no spatial coordinates")
    if not len(points):
        raise UnplaceableRegion("no graphic data")

    def ras(lps: np.ndarray) -> np.ndarray:
        return np.asarray(lps) * LPS_TO_RAS

    if graphic in ("POINT", "MULTIPOINT"):
        return MarkupShape("points", ras(points), frame_of_reference)
    if graphic == "POLYLINE":
        if len(points) == 2:
            return MarkupShape("line", ras(points), frame_of_reference)
        if len(points) > 2 and np.allclose(points[0], points[-1]):
            return MarkupShape("closed curve", ras(points[:-1]), frame_of_reference)
        return MarkupShape("curve", ras(points), frame_of_reference)
    if graphic == "POLYGON":
        # The standard repeats the first point at the end; a closed curve closes itself.
        closed = points[:-1] if len(points) > 3 and np.allclose(points[0], points[-1]) else points
        return MarkupShape("closed curve", ras(closed), frame_of_reference)
    if graphic == "CIRCLE":
        if len(points) != 2 or normal is None:
            raise UnplaceableRegion("a CIRCLE needs its centre and one point on it, on an image")
        radius = points[1] - points[0]
        return MarkupShape("closed curve", ras(_outline(points[0], radius, np.cross(normal, radius))),
                           frame_of_reference)
    if graphic == "ELLIPSE":
        if len(points) != 4:
            raise UnplaceableRegion("an ELLIPSE needs the two ends of each axis (4 points)")
        center = (points[0] + points[1]) / 2
        return MarkupShape("closed curve", ras(_outline(center, (points[1] - points[0]) / 2,
                                                       (points[3] - points[2]) / 2)), frame_of_reference)
    if graphic == "ELLIPSOID":
        if len(points) != 6:
            raise UnplaceableRegion("an ELLIPSOID needs the two ends of each of its 3 axes (6 points)")
        center = points[:2].mean(axis=0)
        axes = np.column_stack([(points[1] - points[0]) / 2, (points[3] - points[2]) / 2,
                                (points[5] - points[4]) / 2])
        return MarkupShape("roi", ras(points), frame_of_reference, ras(center), axes * LPS_TO_RAS[:, None])
    raise UnplaceableRegion(f"graphic type {region.graphic_type!r} is not one SR defines")


MARKUPS_CLASS = {
    "points": "vtkMRMLMarkupsFiducialNode",
    "line": "vtkMRMLMarkupsLineNode",
    "curve": "vtkMRMLMarkupsCurveNode",
    "closed curve": "vtkMRMLMarkupsClosedCurveNode",
    "roi": "vtkMRMLMarkupsROINode",
}


def add_markups_node(scene: Any, shape: MarkupShape, name: str) -> Any:
    """A markups node of the right class holding the shape."""
    import vtk

    node = scene.AddNewNodeByClass(MARKUPS_CLASS[shape.kind], name)
    node.CreateDefaultDisplayNodes()
    if shape.kind == "roi":
        axes = shape.roi_axes_ras
        lengths = np.linalg.norm(axes, axis=0)
        directions = axes / np.where(lengths > 0, lengths, 1.0)
        if np.linalg.det(directions) < 0:  # a rotation, not a mirror: flip the last axis (its length is kept)
            directions[:, 2] *= -1
        matrix = vtk.vtkMatrix4x4()
        for row in range(3):
            for column in range(3):
                matrix.SetElement(row, column, float(directions[row, column]))
        node.SetAndObserveObjectToNodeMatrix(matrix)
        node.SetCenter(*(float(v) for v in shape.roi_center_ras))
        node.SetRadiusXYZ(*(float(v) for v in lengths))
    else:
        for point in shape.points_ras:
            node.AddControlPoint(vtk.vtkVector3d(*(float(v) for v in point)))
    if shape.frame_of_reference_uid:
        node.SetAttribute("DICOM.FrameOfReferenceUID", shape.frame_of_reference_uid)
    return node
