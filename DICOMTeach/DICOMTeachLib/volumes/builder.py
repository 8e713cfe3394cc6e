"""Build a scalar (or RGB vector) volume node from an examined plan, as Slicer's scalar plugin would.

The voxels go straight into the vtkImageData's own buffer (no second copy of
the volume); the geometry is the plan's IJK-to-RAS. Then what
DICOMScalarVolumePlugin adds after its read (setVolumeNodeProperties): a
unique node name, window/level presets from the data, the display node, the
``DICOM.instanceUIDs`` and ``DICOM.instanceNumbers`` attributes, the voxel
value quantity and units (CT: Hounsfield units; MR: signal intensity), the PET
colour table, and the subject hierarchy items.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import LoadError
from ..headless import import_slicer
from ..hierarchy import add_series_to_hierarchy, set_instance_uids
from ..loadable import Loadable, LoadResult
from ..vtk_geometry import vtk_matrix
from .pixels import Progress, fill_voxels
from .plan import VolumePlan


def _allocate(plan: VolumePlan, components: int) -> tuple[Any, np.ndarray]:
    """A vtkImageData and a numpy view of its scalars shaped (slices, rows, columns[, components])."""
    from vtkmodules.util import numpy_support
    from vtkmodules.vtkCommonDataModel import vtkImageData

    columns, rows, slices = plan.dimensions
    image = vtkImageData()
    image.SetDimensions(columns, rows, slices)
    vtk_type = numpy_support.get_vtk_array_type(np.dtype(plan.voxel_type))
    try:
        image.AllocateScalars(vtk_type, components)
    except MemoryError as error:
        raise LoadError(f"not enough memory for a {columns}x{rows}x{slices} volume") from error
    scalars = image.GetPointData().GetScalars()
    if scalars is None or scalars.GetNumberOfTuples() != columns * rows * slices:
        raise LoadError(f"not enough memory for a {columns}x{rows}x{slices} volume")
    view = numpy_support.vtk_to_numpy(scalars)
    shape = (slices, rows, columns) + ((components,) if components > 1 else ())
    return image, view.reshape(shape)


#: Node attribute Slicer's scalar plugin sets: the InstanceNumber of each file, in slice order.
INSTANCE_NUMBERS_ATTRIBUTE = "DICOM.instanceNumbers"

# DICOMPlugin.mapSOPClassUIDToModality: the image storage classes whose voxel values have a known meaning.
_MODALITY_OF_SOP_CLASS = {
    "1.2.840.10008.5.1.4.1.1.4": "MR", "1.2.840.10008.5.1.4.1.1.4.1": "MR", "1.2.840.10008.5.1.4.1.1.4.4": "MR",
    "1.2.840.10008.5.1.4.1.1.2": "CT", "1.2.840.10008.5.1.4.1.1.2.1": "CT", "1.2.840.10008.5.1.4.1.1.2.2": "CT",
    "1.2.840.10008.5.1.4.1.1.128": "PT", "1.2.840.10008.5.1.4.1.1.130": "PT", "1.2.840.10008.5.1.4.1.1.128.1": "PT",
}
# (quantity, units) as (code value, scheme, meaning), DICOMPlugin.mapSOPClassUIDToDICOMQuantityAndUnits.
_QUANTITY_AND_UNITS = {
    "MR": (("110852", "DCM", "MR signal intensity"), ("1", "UCUM", "no units")),
    "CT": (("112031", "DCM", "Attenuation Coefficient"), ("[hnsf'U]", "UCUM", "Hounsfield unit")),
}


def set_quantity_and_units(node: Any, sop_class_uid: str) -> None:
    coded = _QUANTITY_AND_UNITS.get(_MODALITY_OF_SOP_CLASS.get(sop_class_uid, ""))
    if coded is None:
        return
    slicer = import_slicer()
    quantity, units = slicer.vtkCodedEntry(), slicer.vtkCodedEntry()
    quantity.SetValueSchemeMeaning(*coded[0])
    units.SetValueSchemeMeaning(*coded[1])
    node.SetVoxelValueQuantity(quantity)
    node.SetVoxelValueUnits(units)


def apply_window_presets(display: Any, presets: list[tuple[float, float]]) -> bool:
    """The data's (center, width) presets on a display node, the first one applied; automatic when there is none."""
    if not presets:
        display.SetAutoWindowLevel(True)
        return False
    display.SetAutoWindowLevel(False)
    display.ResetWindowLevelPresets()
    for center, width in presets:
        display.AddWindowLevelPreset(width, center)
    center, width = presets[0]
    display.SetWindowLevel(width, center)
    return True


def _colour_node_id(sop_class_uid: str) -> str:
    """Grey, or for PET Slicer's "PET-Heat" procedural colour (as its scalar plugin chooses)."""
    if _MODALITY_OF_SOP_CLASS.get(sop_class_uid) == "PT":
        slicer = import_slicer()
        return slicer.vtkMRMLColorLogic.GetPETColorNodeID(slicer.vtkMRMLPETProceduralColorNode.PETheat)
    return "vtkMRMLColorTableNodeGrey"


def build_scalar_volume(loadable: Loadable, scene: Any, progress: Progress | None = None) -> LoadResult:
    """Load a scalar volume loadable into ``scene``; LoadError names the files when it cannot."""
    plan: VolumePlan = loadable.plan
    if not isinstance(plan, VolumePlan):
        raise LoadError("this loadable was not made by the scalar volume examiner", loadable.name)
    node, messages = build_volume_node(plan, loadable.name, scene, progress)
    add_series_to_hierarchy(scene, node, plan.identity, loadable.referenced_instance_uids)
    if progress is not None:
        progress(1.0, f"loaded {loadable.name}")
    return LoadResult(nodes=[node], messages=messages)


def build_volume_node(plan: VolumePlan, name: str, scene: Any,
                      progress: Progress | None = None) -> tuple[Any, list[str]]:
    """The volume node of a plan, with display and DICOM attributes, not yet in the subject hierarchy."""
    if plan.refuse:
        raise LoadError(f"not loaded: {plan.refuse}", name)
    colour = plan.pixel_format.samples_per_pixel > 1 or plan.pixel_format.photometric.startswith("PALETTE")
    components = 3 if colour else 1
    image, voxels = _allocate(plan, components)
    fill_voxels(plan, voxels, progress)

    class_name = "vtkMRMLVectorVolumeNode" if colour else "vtkMRMLScalarVolumeNode"
    node = scene.AddNewNodeByClass(class_name, scene.GenerateUniqueName(name))
    node.SetIJKToRASMatrix(vtk_matrix(plan.ijk_to_ras))
    set_instance_uids(node, plan.identity.instance_uids)
    if plan.instance_numbers:
        node.SetAttribute(INSTANCE_NUMBERS_ATTRIBUTE, " ".join(plan.instance_numbers))
    set_quantity_and_units(node, plan.sop_class_uid)
    messages = []
    if colour:
        node.SetAndObserveImageData(image)
        node.CreateDefaultDisplayNodes()
    else:
        # The display node comes first, with the data's window/level: a display node that sees
        # the image with automatic window/level on computes a histogram of every voxel.
        display = scene.AddNewNodeByClass("vtkMRMLScalarVolumeDisplayNode")
        # MONOCHROME1 voxels were inverted while reading, so plain grey shows them right.
        display.SetAndObserveColorNodeID(_colour_node_id(plan.sop_class_uid))
        if not apply_window_presets(display, plan.window_presets):
            messages.append("no window/level in the data: automatic window/level")
        node.SetAndObserveDisplayNodeID(display.GetID())
        node.SetAndObserveImageData(image)
    return node, messages
