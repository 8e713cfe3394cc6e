"""Helpers of the volume tests: examine real files, load with our builder and with Slicer's archetype reader."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from DICOMTeachLib.examine import read_header
from DICOMTeachLib.volumes.builder import build_scalar_volume
from DICOMTeachLib.volumes.examine import examine_scalar_volumes


def pydicom_data_file(name: str) -> Path:
    """A file of the pydicom-data package (enhanced MR/CT, compressed variants); skips when absent."""
    spec = importlib.util.find_spec("data_store")
    if spec is None or spec.origin is None:
        pytest.skip("pydicom-data is not installed")
    path = Path(spec.origin).parent / "data" / name
    if not path.is_file():
        pytest.skip(f"pydicom-data has no {name}")
    return path


def examine(paths) -> list:
    """The scalar volume loadables of ``paths`` (files), headers read as examine does."""
    return examine_scalar_volumes({str(p): read_header(str(p)) for p in paths})


def only(loadables, name_part: str = ""):
    matching = [item for item in loadables if name_part in item.name]
    assert len(matching) == 1, [item.name for item in loadables]
    return matching[0]


def voxels(node) -> np.ndarray:
    from vtkmodules.util import numpy_support

    image = node.GetImageData()
    columns, rows, slices = image.GetDimensions()
    array = numpy_support.vtk_to_numpy(image.GetPointData().GetScalars())
    components = image.GetNumberOfScalarComponents()
    return array.reshape((slices, rows, columns) + ((components,) if components > 1 else ()))


def ijk_to_ras(node) -> np.ndarray:
    import vtk

    matrix = vtk.vtkMatrix4x4()
    node.GetIJKToRASMatrix(matrix)
    return np.array([[matrix.GetElement(r, c) for c in range(4)] for r in range(4)])


def build(loadable, env, progress=None):
    return build_scalar_volume(loadable, env.scene, progress).nodes[0]


def archetype(env, files, name: str = "archetype"):
    """Slicer's own reader (vtkSlicerVolumesLogic.AddArchetypeScalarVolume), files in the given order,
    exactly as DICOMScalarVolumePlugin.loadFilesWithArchetype calls it."""
    import vtk

    names = vtk.vtkStringArray()
    for path in files:
        names.InsertNextValue(str(path))
    return env.logics["Volumes"].AddArchetypeScalarVolume(str(files[0]), name, 0, names)


def two_time_point_multiframe(source: Path, out: Path, offset: int = 7) -> Path:
    """``source`` (an enhanced multi-frame file) written to ``out`` with a second time point: every frame again,
    Temporal Position Index 2, voxels + ``offset``."""
    import copy

    import pydicom

    dataset = pydicom.dcmread(source)
    original = dataset.pixel_array
    frames = list(dataset.PerFrameFunctionalGroupsSequence)
    doubled = [copy.deepcopy(item) for item in frames] + [copy.deepcopy(item) for item in frames]
    for index, item in enumerate(doubled):
        item.FrameContentSequence[0].TemporalPositionIndex = 1 + index // len(frames)
    dataset.PerFrameFunctionalGroupsSequence = doubled
    dataset.NumberOfFrames = len(doubled)
    dataset.PixelData = dataset.PixelData + (original.astype(np.int32) + offset).astype(original.dtype).tobytes()
    dataset.save_as(out)
    return out
