"""Build one vtkMRMLSegmentationNode from a SEG loadable.

Each segment gets its name, colour, Slicer's "TerminologyEntry" tag and the
DICOM.SegmentAlgorithmType / DICOM.SegmentAlgorithmName tags (as Slicer's own
DICOM SEG plugin sets them). When the referenced series is already loaded in
the scene, the segments are placed on that volume's grid and the volume
becomes the segmentation's reference geometry; otherwise the SEG's own plane
positions define the grid. The node goes under the SEG's patient and study
with DICOM.ReferencedInstanceUIDs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import LoadError
from ..headless import import_slicer
from ..hierarchy import SeriesIdentity, add_series_to_hierarchy, instance_uids_of, set_instance_uids
from ..loadable import Loadable, LoadResult
from ..vtk_geometry import vtk_matrix
from .decode import DecodedSegmentation, Grid, SegmentMask, decode_segmentation
from .terminology import load_contexts, slicer_terminologies_logic


@dataclass
class SegPlan:
    """What examine learnt from the SEG header, so load does not parse it again for these."""

    path: str
    identity: SeriesIdentity
    referenced_series_uids: list[str] = field(default_factory=list)
    referenced_instance_uids: list[str] = field(default_factory=list)
    frame_of_reference_uid: str = ""
    #: the examined header (pixel data offset attached), so load does not parse it again
    header: Any = None


@dataclass
class ReferencedVolume:
    node: Any
    grid: Grid
    frame_of_reference_uid: str



def _volume_grid(volume_node: Any) -> Grid | None:
    from vtkmodules.vtkCommonMath import vtkMatrix4x4

    image = volume_node.GetImageData()
    if image is None:
        return None
    matrix = vtkMatrix4x4()
    volume_node.GetIJKToRASMatrix(matrix)
    ijk_to_ras = np.array([[matrix.GetElement(r, c) for c in range(4)] for r in range(4)])
    return Grid.from_ras(ijk_to_ras, image.GetDimensions())


def find_referenced_volume(scene: Any, series_uids: list[str], instance_uids: list[str]) -> ReferencedVolume | None:
    """The loaded scalar volume of the referenced series, by hierarchy series UID or instance UIDs."""
    slicer = import_slicer()
    sh = scene.GetSubjectHierarchyNode()
    constants = slicer.vtkMRMLSubjectHierarchyConstants
    candidates = []
    for series_uid in series_uids:
        item = sh.GetItemByUID(constants.GetDICOMUIDName(), series_uid)
        node = sh.GetItemDataNode(item) if item else None
        if node is not None and node.IsA("vtkMRMLScalarVolumeNode"):
            candidates.append(node)
    if not candidates and instance_uids:
        wanted = set(instance_uids)
        for index in range(scene.GetNumberOfNodesByClass("vtkMRMLScalarVolumeNode")):
            node = scene.GetNthNodeByClass(index, "vtkMRMLScalarVolumeNode")
            if wanted & set(instance_uids_of(node)):
                candidates.append(node)
                break
    for node in candidates:
        grid = _volume_grid(node)
        if grid is None:
            continue
        item = sh.GetItemByDataNode(node)
        frame_of_reference = sh.GetItemAttribute(item, constants.GetDICOMFrameOfReferenceUIDAttributeName()) \
            if item else ""
        return ReferencedVolume(node, grid, frame_of_reference or "")
    return None


class VTKImageAllocator:
    """Decode straight into the memory of the labelmaps the segments will hold (no copy afterwards)."""

    def __init__(self) -> None:
        self.images: dict[int, tuple[Any, np.ndarray]] = {}

    def __call__(self, number: int, shape: tuple[int, int, int], offset: tuple[int, int, int],
                 zeroed: bool) -> np.ndarray:
        from vtkmodules.util import numpy_support
        from vtkmodules.util.vtkConstants import VTK_UNSIGNED_CHAR

        slicer = import_slicer()
        image = slicer.vtkOrientedImageData()
        (nz, ny, nx), (i0, j0, k0) = shape, offset
        image.SetExtent(i0, i0 + nx - 1, j0, j0 + ny - 1, k0, k0 + nz - 1)
        image.AllocateScalars(VTK_UNSIGNED_CHAR, 1)
        view = numpy_support.vtk_to_numpy(image.GetPointData().GetScalars()).reshape(shape)
        if zeroed:
            view.fill(0)
        self.images[number] = (image, view)
        return view

    def image_for(self, mask: SegmentMask) -> Any | None:
        image, view = self.images.get(mask.segment_number, (None, None))
        return image if view is not None and view is mask.array else None


def _oriented_image(mask: SegmentMask, grid: Grid) -> Any:
    from vtkmodules.util import numpy_support
    from vtkmodules.util.vtkConstants import VTK_UNSIGNED_CHAR

    slicer = import_slicer()
    image = slicer.vtkOrientedImageData()
    nz, ny, nx = mask.array.shape
    i0, j0, k0 = mask.offset
    image.SetExtent(i0, i0 + nx - 1, j0, j0 + ny - 1, k0, k0 + nz - 1)
    image.SetImageToWorldMatrix(vtk_matrix(grid.ijk_to_ras))
    scalars = numpy_support.numpy_to_vtk(mask.array.reshape(-1), deep=True, array_type=VTK_UNSIGNED_CHAR)
    image.GetPointData().SetScalars(scalars)
    return image


def build_segmentation_node(scene: Any, decoded: DecodedSegmentation, name: str,
                            allocator: VTKImageAllocator | None = None, terminologies: Any = None) -> Any:
    """A segmentation node holding every segment of ``decoded`` (empty segments stay, empty).

    ``terminologies`` (a vtkSlicerTerminologiesModuleLogic; Slicer's own by default) receives the SEG's
    codes as a context named ``name``, which the segments' terminology tags then name.
    """
    slicer = import_slicer()
    contexts = load_contexts(terminologies if terminologies is not None else slicer_terminologies_logic(), name,
                             decoded.segments)
    node = scene.AddNewNodeByClass("vtkMRMLSegmentationNode", name)
    node.CreateDefaultDisplayNodes()
    segmentation = node.GetSegmentation()
    labelmap_name = slicer.vtkSegmentationConverter.GetBinaryLabelmapRepresentationName()
    segmentation.SetSourceRepresentationName(labelmap_name)
    # The grid the segments were decoded on is the segmentation's reference geometry.
    geometry = slicer.vtkOrientedImageData()
    ni, nj, nk = decoded.grid.dimensions
    geometry.SetExtent(0, ni - 1, 0, nj - 1, 0, nk - 1)
    geometry.SetImageToWorldMatrix(vtk_matrix(decoded.grid.ijk_to_ras))
    segmentation.SetConversionParameter(slicer.vtkSegmentationConverter.GetReferenceImageGeometryParameterName(),
                                        slicer.vtkSegmentationConverter.SerializeImageGeometry(geometry))
    was_modifying = node.StartModify()
    try:
        for description in decoded.segments:
            segment = slicer.vtkSegment()
            segment.SetName(description.name)
            segment.SetNameAutoGenerated(not (description.label or description.description))
            segment.SetColor(*description.rgb)
            segment.SetTag("Description", description.description)
            segment.SetTag(slicer.vtkSegment.GetTerminologyEntryTagName(), description.terminology_entry(*contexts))
            if description.algorithm_type:
                segment.SetTag("DICOM.SegmentAlgorithmType", description.algorithm_type)
            if description.algorithm_name:
                segment.SetTag("DICOM.SegmentAlgorithmName", description.algorithm_name)
            segment.SetTag("DICOM.SegmentNumber", str(description.number))
            if description.tracking_id:
                segment.SetTag("DICOM.TrackingIdentifier", description.tracking_id)
            if description.tracking_uid:
                segment.SetTag("DICOM.TrackingUniqueIdentifier", description.tracking_uid)
            mask = decoded.masks.get(description.number)
            if mask is not None:
                image = allocator.image_for(mask) if allocator is not None else None
                if image is None:
                    image = _oriented_image(mask, decoded.grid)
                else:
                    image.SetImageToWorldMatrix(vtk_matrix(decoded.grid.ijk_to_ras))
                segment.AddRepresentation(labelmap_name, image)
            else:
                segment.AddRepresentation(labelmap_name, slicer.vtkOrientedImageData())
            segmentation.AddSegment(segment, f"Segment_{description.number}")
    finally:
        node.EndModify(was_modifying)
    return node


def load_segmentation(loadable: Loadable, scene: Any, progress: Any = None) -> LoadResult:
    """Builder registered for LoadableKind.SEGMENTATION."""
    plan: SegPlan = loadable.plan
    if not isinstance(plan, SegPlan):
        raise LoadError("this loadable was not made by the SEG examiner", loadable.name)
    if progress:
        progress(0.0, f"decoding {loadable.name}")
    reference = find_referenced_volume(scene, plan.referenced_series_uids, plan.referenced_instance_uids)
    result = LoadResult()
    if reference is None:
        result.messages.append("the referenced series is not loaded: the segmentation is placed by the SEG's own "
                               "plane positions")
    allocator = VTKImageAllocator()
    decoded = decode_segmentation(plan.path, reference.grid if reference else None, dataset=plan.header,
                                  reference_frame_of_reference=reference.frame_of_reference_uid if reference else "",
                                  allocate=allocator)
    if progress:
        progress(0.6, f"building {loadable.name}")
    node = build_segmentation_node(scene, decoded, loadable.name, allocator)
    set_instance_uids(node, plan.identity.instance_uids)
    if reference is not None and decoded.on_reference_grid:
        node.SetReferenceImageGeometryParameterFromVolumeNode(reference.node)
    add_series_to_hierarchy(scene, node, plan.identity, plan.referenced_instance_uids)
    result.nodes.append(node)
    result.skipped.extend(decoded.skipped)
    result.messages.extend(decoded.messages)
    if progress:
        progress(1.0, f"loaded {loadable.name}")
    return result
