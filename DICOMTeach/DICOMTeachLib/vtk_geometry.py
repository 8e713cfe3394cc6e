"""Numpy geometry handed to VTK."""

from __future__ import annotations

from typing import Any

import numpy as np


def vtk_matrix(matrix: np.ndarray) -> Any:
    """A vtkMatrix4x4 holding a 4x4 numpy matrix (e.g. an IJK-to-RAS transform)."""
    from vtkmodules.vtkCommonMath import vtkMatrix4x4

    result = vtkMatrix4x4()
    for row in range(4):
        for column in range(4):
            result.SetElement(row, column, float(matrix[row, column]))
    return result
