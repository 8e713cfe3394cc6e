"""Benchmark of SEG loading (issue 5, section 5): prints times and ratios, asserts nothing.

    .venv/bin/python Testing/benchmarks/bench_seg.py [--repeat N] [--segments N]

Three readers on the same SEG, in one run:
  ours     examine the header + decode + build the vtkMRMLSegmentationNode (in-process);
  dcmqi    Slicer 5.12's path: the ``segimage2itkimage --mergeSegments`` process, then reading
           its NRRD output (SimpleITK), before any node is even built: the anchor;
  highdicom  ``segread`` + ``get_volume`` (pixels only, no node).
on the LIDC "Nodule 1" SEG (9 frames), on a large SEG this script writes with highdicom
over the 133-slice LIDC CT (N segments, HU bands of the real CT, each on every slice), in a
temporary folder, and on a copy of it with undefined-length sequences (dcmqi's way). Goal: ours >= 3x faster than the dcmqi path.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pydicom


def _median_s(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def ours(path: Path) -> float:
    """Seconds to examine and load into a scene that exists already (as Slicer's does)."""
    from DICOMTeachLib.examine import examine_files
    from DICOMTeachLib.headless import MRMLEnvironment
    from DICOMTeachLib.loading import load_loadable

    env = MRMLEnvironment.create()
    try:
        start = time.perf_counter()
        (loadable,) = examine_files([str(path)]).loadables
        load_loadable(loadable, env.scene)
        return time.perf_counter() - start
    finally:
        env.close()


def dcmqi_path(path: Path) -> None:
    import SimpleITK as sitk

    tool = Path(sys.executable).parent / "segimage2itkimage"
    with tempfile.TemporaryDirectory(prefix="bench-dcmqi-") as output:
        subprocess.run([str(tool), "--inputDICOM", str(path), "--outputDirectory", output, "--mergeSegments"],
                       check=True, capture_output=True)
        for nrrd in sorted(Path(output).glob("*.nrrd")):
            sitk.GetArrayViewFromImage(sitk.ReadImage(str(nrrd)))


def highdicom_path(path: Path) -> None:
    import highdicom as hd

    seg = hd.seg.segread(str(path))
    seg.get_volume(combine_segments=False)


def write_large_seg(ct_files: list[Path], segments: int, folder: Path) -> Path:
    """A BINARY SEG over the whole CT: segment s = voxels in the s-th HU band, present on every slice."""
    import highdicom as hd

    images = [pydicom.dcmread(path) for path in ct_files]
    images.sort(key=lambda ds: float(ds.ImagePositionPatient[2]))
    volume = np.stack([ds.pixel_array.astype(np.int32) * int(ds.RescaleSlope) + int(ds.RescaleIntercept)
                       for ds in images])
    edges = np.linspace(-1000, 400, segments + 1)
    masks = np.stack([(volume >= lo) & (volume < hi) for lo, hi in zip(edges[:-1], edges[1:], strict=True)],
                     axis=-1)
    descriptions = [
        hd.seg.SegmentDescription(
            segment_number=number,
            segment_label=f"HU {edges[number - 1]:.0f}..{edges[number]:.0f}",
            segmented_property_category=hd.sr.CodedConcept("85756007", "SCT", "Tissue"),
            segmented_property_type=hd.sr.CodedConcept("85756007", "SCT", "Tissue"),
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.AUTOMATIC,
            algorithm_identification=hd.AlgorithmIdentificationSequence(
                name="HU band", version="1", family=hd.sr.CodedConcept("123109", "DCM", "Manual Processing")),
        )
        for number in range(1, segments + 1)
    ]
    seg = hd.seg.Segmentation(
        source_images=images, pixel_array=masks, segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=descriptions, series_instance_uid=hd.UID(), series_number=900,
        sop_instance_uid=hd.UID(), instance_number=1, manufacturer="DICOMTeach benchmark",
        manufacturer_model_name="bench_seg", software_versions="1", device_serial_number="1",
    )
    path = folder / "large-seg.dcm"
    seg.save_as(path)
    return path


def undefined_length_copy(path: Path) -> Path:
    """The SEG re-written with undefined-length per-frame groups: pydicom then splits them while reading."""
    ds = pydicom.dcmread(path)
    ds["PerFrameFunctionalGroupsSequence"].is_undefined_length = True
    for item in ds.PerFrameFunctionalGroupsSequence:
        item.is_undefined_length_sequence_item = True
    copy = path.with_name("large-seg-undefined-length.dcm")
    ds.save_as(copy)
    return copy


def compare(label: str, path: Path, repeat: int) -> None:
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    print(f"{label}: {path.name}, {ds.NumberOfFrames} frames of {ds.Rows}x{ds.Columns}, "
          f"{len(ds.SegmentSequence)} segment(s), {path.stat().st_size / 1e6:.1f} MB")
    ours(path)  # warm imports and caches for every reader alike
    dcmqi_path(path)
    highdicom_path(path)
    anchor = _median_s(lambda: dcmqi_path(path), repeat)
    mine = statistics.median(ours(path) for _ in range(repeat))
    other = _median_s(lambda: highdicom_path(path), repeat)
    print(f"   dcmqi process + NRRD read (anchor) {anchor * 1000:8.1f} ms")
    print(f"   ours (examine + decode + node)     {mine * 1000:8.1f} ms   {anchor / mine:5.1f}x faster than dcmqi"
          f"   goal >= 3x: {'met' if anchor / mine >= 3 else 'NOT met'}")
    print(f"   highdicom segread + get_volume      {other * 1000:8.1f} ms   ours is {other / mine:5.1f}x faster")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--segments", type=int, default=20)
    args = parser.parse_args()
    from DICOMTeachLib.testdata import shared_data_directory

    data = shared_data_directory()
    if data is None:
        print("../shared/data is absent: nothing to benchmark")
        return 0
    compare("1. LIDC SEG", data / "lidc-idri-0001-ct-seg/seg/nodule_01_annotation_0.dcm", args.repeat)
    ct_files = sorted((data / "lidc-idri-0001-ct-seg/ct").glob("*.dcm"))
    with tempfile.TemporaryDirectory(prefix="bench-seg-") as folder:
        start = time.perf_counter()
        large = write_large_seg(ct_files, args.segments, Path(folder))
        print(f"   (wrote the large SEG with highdicom in {time.perf_counter() - start:.1f} s)")
        compare(f"2. large SEG over the {len(ct_files)}-slice CT", large, max(1, args.repeat // 2))
        compare("3. the same SEG with undefined-length sequences (as dcmqi writes them)",
                undefined_length_copy(large), max(1, args.repeat // 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
