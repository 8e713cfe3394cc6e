"""Shared by the SEG tests and benchmark: load a real CT series the way Slicer's scalar plugin does."""

from __future__ import annotations

from pathlib import Path

import pydicom

from DICOMTeachLib.hierarchy import SeriesIdentity, add_series_to_hierarchy


def load_reference_ct(env, files: list[Path]):
    """The CT through slicer-core's archetype reader (files sorted along the normal), placed in the hierarchy."""
    import numpy as np
    import vtk

    headers = [pydicom.dcmread(path, stop_before_pixels=True) for path in files]
    normal = np.cross(*np.array(headers[0].ImageOrientationPatient, dtype=float).reshape(2, 3))
    order = sorted(range(len(files)), key=lambda i: float(np.dot(normal, np.array(headers[i].ImagePositionPatient,
                                                                                   dtype=float))))
    names = vtk.vtkStringArray()
    for index in order:
        names.InsertNextValue(str(files[index]))
    node = env.logics["Volumes"].AddArchetypeScalarVolume(str(files[order[0]]), "CT", 0, names)
    node.SetAttribute("DICOM.instanceUIDs", " ".join(str(headers[i].SOPInstanceUID) for i in order))
    identity = SeriesIdentity.from_dataset(headers[0], [str(headers[i].SOPInstanceUID) for i in order])
    add_series_to_hierarchy(env.scene, node, identity)
    return node
