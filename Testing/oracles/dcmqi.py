"""dcmqi (PyPI) as an oracle: segimage2itkimage for SEG masks, tid1500reader for TID 1500 SRs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np


def dcmqi_tool(name: str) -> str | None:
    """Path of a dcmqi command (installed beside the venv's python), or None."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


@dataclass
class DcmqiSegment:
    label_id: int
    attributes: dict
    points_lps: np.ndarray  # (n, 3) centres of the voxels inside the segment
    values: np.ndarray  # the stored value of each of those voxels (raw fraction for FRACTIONAL)
    ijk_to_lps: np.ndarray  # 4x4 geometry of dcmqi's output image

    def indices(self, points_lps: np.ndarray) -> np.ndarray:
        """Continuous (i, j, k) of LPS points in dcmqi's output grid."""
        inverse = np.linalg.inv(self.ijk_to_lps)
        return points_lps @ inverse[:3, :3].T + inverse[:3, 3]


def segimage2itkimage(seg_path: Path, output: Path) -> tuple[dict, list[DcmqiSegment]] | None:
    """Run segimage2itkimage; (meta JSON, segments) or None when dcmqi cannot read the file."""
    import SimpleITK as sitk

    tool = dcmqi_tool("segimage2itkimage")
    if tool is None:
        return None
    output.mkdir(parents=True, exist_ok=True)
    run = subprocess.run([tool, "--inputDICOM", str(seg_path), "--outputDirectory", str(output), "-p", "s"],
                         capture_output=True, text=True, timeout=120)
    meta_path = output / "s-meta.json"
    if run.returncode != 0 or not meta_path.exists():
        return None
    meta = json.loads(meta_path.read_text())
    segments = []
    for index, attributes in enumerate(meta["segmentAttributes"], 1):
        image = sitk.ReadImage(str(output / f"s-{index}.nrrd"))
        array = sitk.GetArrayFromImage(image)  # (k, j, i)
        k, j, i = np.nonzero(array)
        direction = np.array(image.GetDirection()).reshape(3, 3)
        ijk = np.column_stack([i, j, k]) * np.array(image.GetSpacing())
        points = np.array(image.GetOrigin()) + ijk @ direction.T  # SimpleITK/NRRD space is LPS
        matrix = np.eye(4)
        matrix[:3, :3] = direction * np.array(image.GetSpacing())
        matrix[:3, 3] = image.GetOrigin()
        segments.append(DcmqiSegment(int(attributes[0]["labelID"]), attributes[0], points, array[k, j, i], matrix))
    return meta, segments


def tid1500reader(sr_path: Path, output: Path) -> dict | None:
    """Run tid1500reader; its JSON or None when it fails."""
    tool = dcmqi_tool("tid1500reader")
    if tool is None:
        return None
    output.parent.mkdir(parents=True, exist_ok=True)
    run = subprocess.run([tool, "--inputDICOM", str(sr_path), "--outputMetadata", str(output)],
                         capture_output=True, text=True, timeout=120)
    if run.returncode != 0 or not output.exists():
        return None
    return json.loads(output.read_text())
