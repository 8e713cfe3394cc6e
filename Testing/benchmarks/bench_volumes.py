"""Benchmark: index and load image series against gdcm.Scanner, Slicer's archetype reader and SimpleITK.

Runs on the 133-slice LIDC series of ../shared/data and on a longer series
built from it (copies in a temporary folder, every copy shifted along z with
new UIDs, 665 slices by default). Prints each time and the ratio to its anchor
measured in the same run; nothing is asserted.

    .venv/bin/python Testing/benchmarks/bench_volumes.py [--copies 5] [--repeat 3]

Goals (issue 4, section 6): index throughput >= 1.0x gdcm.Scanner's on the same
tags; load <= 0.2x the archetype reader's time and <= 0.8x SimpleITK's; peak
memory <= 1.3x the volume's size in bytes.

Issue 9: examining through the DICOM plugin (DICOMTeachPluginClass.examineFiles,
Slicer's DICOMLib modelled as in the tests) costs no more than the library's
examine; a 4D series of N time points (written from the LIDC slices, GE style)
loads as a volume sequence in no more than the time of N separate volume loads.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def lidc_files() -> list[Path]:
    from DICOMTeachLib.testdata import shared_data_directory

    shared = shared_data_directory()
    if shared is None:
        sys.exit("../shared/data is absent: the benchmark needs the LIDC series")
    return sorted((shared / "lidc-idri-0001-ct-seg" / "ct").glob("*.dcm"))


def build_long_series(sources: list[Path], copies: int, folder: Path) -> list[Path]:
    """``copies`` stacked copies of the series: positions shifted along z, new series and instance UIDs."""
    import pydicom
    from pydicom.uid import generate_uid

    datasets = [pydicom.dcmread(p) for p in sources]
    z = [float(ds.ImagePositionPatient[2]) for ds in datasets]
    extent = max(z) - min(z) + 2.5
    series_uid = generate_uid()
    written = []
    for copy in range(copies):
        for index, dataset in enumerate(datasets):
            position = [float(v) for v in dataset.ImagePositionPatient]
            shifted = dataset.copy()
            shifted.ImagePositionPatient = [f"{position[0]:.6f}", f"{position[1]:.6f}",
                                            f"{position[2] + copy * extent:.6f}"]
            shifted.SeriesInstanceUID = series_uid
            shifted.SOPInstanceUID = generate_uid()
            shifted.file_meta.MediaStorageSOPInstanceUID = shifted.SOPInstanceUID
            shifted.InstanceNumber = copy * len(datasets) + index + 1
            path = folder / f"{copy:02d}_{index:04d}.dcm"
            shifted.save_as(path)
            written.append(path)
    return written


def best_of(repeat: int, function) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def time_index(files: list[Path], repeat: int) -> tuple[float, float]:
    import gdcm

    from DICOMTeachLib.index import INDEX_TAGS, index_paths

    names = [str(p) for p in files]

    def scanner():
        scan = gdcm.Scanner()
        for _keyword, group, element, _vr in INDEX_TAGS:
            scan.AddTag(gdcm.Tag(group, element))
        if not scan.Scan(names):
            raise RuntimeError("gdcm.Scanner failed")

    def ours():
        index = index_paths(names)
        assert index.counts["instances"] == len(names)

    ours()
    scanner()  # warm both (imports, page cache)
    return best_of(repeat, ours), best_of(repeat, scanner)


# --- load, each in a fresh process so that peak memory is its own ----------------------------------

def _rss_now() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def _peak_since_reset() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def _reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # resets VmHWM to the current RSS (Linux >= 4.0)


def load_worker(method: str, list_file: str) -> dict:
    """Load the files (sorted order in list_file) with one method; time and peak RSS above the start."""
    files = Path(list_file).read_text().split("\n")
    from DICOMTeachLib.examine import read_headers
    from DICOMTeachLib.headless import MRMLEnvironment
    from DICOMTeachLib.volumes.builder import build_scalar_volume
    from DICOMTeachLib.volumes.examine import examine_scalar_volumes

    env = MRMLEnvironment.create()
    import SimpleITK  # noqa: F401 - imported before the baseline so its libraries are not counted
    import vtk

    baseline = _rss_now()
    _reset_peak()
    start = time.perf_counter()
    if method == "ours":
        headers, _ = read_headers(files)
        read = time.perf_counter()
        (loadable,) = examine_scalar_volumes(headers)
        examined = time.perf_counter()
        node = build_scalar_volume(loadable, env.scene).nodes[0]
        nbytes = node.GetImageData().GetPointData().GetScalars().GetSize() * \
            node.GetImageData().GetPointData().GetScalars().GetDataTypeSize()
        result = {"read": read - start, "examine": examined - start}
    elif method == "archetype":
        names = vtk.vtkStringArray()
        for path in files:
            names.InsertNextValue(path)
        node = env.logics["Volumes"].AddArchetypeScalarVolume(files[0], "archetype", 0, names)
        scalars = node.GetImageData().GetPointData().GetScalars()
        nbytes = scalars.GetSize() * scalars.GetDataTypeSize()
        result = {}
    else:
        import SimpleITK as sitk

        reader = sitk.ImageSeriesReader()
        reader.SetFileNames(files)
        image = reader.Execute()
        nbytes = image.GetNumberOfPixels() * image.GetSizeOfPixelComponent()
        result = {}
    result.update(seconds=time.perf_counter() - start, peak=_peak_since_reset() - baseline, nbytes=nbytes)
    return result


def time_load(sorted_files: list[str], repeat: int) -> dict[str, dict]:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(sorted_files))
        list_file = handle.name
    methods = ("ours", "archetype", "sitk")
    runs: dict[str, list[dict]] = {method: [] for method in methods}
    results: dict[str, dict] = {}
    try:
        # Interleaved, so that a busy moment of a shared machine does not fall on one method only.
        for _ in range(repeat):
            for method in methods:
                output = subprocess.run([sys.executable, __file__, "--worker", method, list_file],
                                        capture_output=True, text=True, check=True).stdout
                runs[method].append(json.loads(output.strip().splitlines()[-1]))
        for method in methods:
            results[method] = min(runs[method], key=lambda run: run["seconds"])
            results[method]["peak"] = min(run["peak"] for run in runs[method])
            results[method]["read"] = min(run.get("read", 0.0) for run in runs[method])
            results[method]["examine"] = min(run.get("examine", 0.0) for run in runs[method])
            results[method]["build"] = min(run["seconds"] - run.get("examine", 0.0) for run in runs[method])
    finally:
        os.unlink(list_file)
    return results


def report(label: str, files: list[Path], repeat: int) -> None:
    from DICOMTeachLib.examine import read_headers
    from DICOMTeachLib.volumes.examine import examine_scalar_volumes

    ours_index, scanner = time_index(files, max(5, repeat))
    print(f"\n{label}: {len(files)} slices")
    print(f"  index: ours {ours_index * 1000:.1f} ms, gdcm.Scanner {scanner * 1000:.1f} ms "
          f"-> throughput {scanner / ours_index:.2f}x the Scanner's (goal >= 1.0x)")
    (loadable,) = examine_scalar_volumes(read_headers(map(str, files))[0])
    loads = time_load(loadable.files, repeat)
    ours, archetype, sitk = loads["ours"], loads["archetype"], loads["sitk"]
    build = ours["build"]  # each part's best run
    print(f"  load: ours {ours['seconds']:.3f} s (examine {ours['examine']:.3f} s, of which reading the headers "
          f"{ours['read']:.3f} s; + build {build:.3f} s), "
          f"archetype {archetype['seconds']:.3f} s, SimpleITK {sitk['seconds']:.3f} s")
    print(f"    ours / archetype = {ours['seconds'] / archetype['seconds']:.2f} (goal <= 0.2); "
          f"build only {build / archetype['seconds']:.2f}")
    print(f"    ours / SimpleITK = {ours['seconds'] / sitk['seconds']:.2f} (goal <= 0.8); "
          f"build only {build / sitk['seconds']:.2f}")
    for name, run in loads.items():
        print(f"  peak memory {name}: {run['peak'] / 2**20:.0f} MiB for a {run['nbytes'] / 2**20:.0f} MiB volume "
              f"-> {run['peak'] / run['nbytes']:.2f}x" + (" (goal <= 1.3x)" if name == "ours" else ""))


def time_plugin_examine(files: list[Path], repeat: int) -> tuple[float, float]:
    """(plugin examineFiles, library examine_files) on the same files, best of ``repeat``."""
    import importlib
    import types

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # Testing/: Slicer's DICOMLib as modelled
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "DICOMTeachPlugin"))
    import slicer
    from slicer_dicom_model import dicomlib_module

    from DICOMTeachLib.examine import examine_files

    sys.modules["DICOMLib"] = dicomlib_module()
    if not hasattr(slicer, "modules"):
        slicer.modules = types.SimpleNamespace()
    plugin = importlib.import_module("DICOMTeachPlugin").DICOMTeachPluginClass()
    names = [str(p) for p in files]
    assert len(plugin.examineFiles(names)) == len(examine_files(names).loadables)
    through_plugin, library = [], []
    for _ in range(repeat):  # interleaved: a busy moment of a shared machine hits both
        through_plugin.append(best_of(1, lambda: plugin.examineFiles(names)))
        library.append(best_of(1, lambda: examine_files(names)))
    return min(through_plugin), min(library)


def time_sequence(sources: list[Path], time_points: int, repeat: int) -> dict[str, float]:
    """A GE-style 4D series: load as one volume sequence vs its time points loaded one by one."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from fourd_data import write_4d_series

    from DICOMTeachLib.examine import examine_files
    from DICOMTeachLib.headless import MRMLEnvironment
    from DICOMTeachLib.loading import load_loadable

    with tempfile.TemporaryDirectory(prefix="dicomteach-bench-4d-") as folder:
        paths = [str(p) for p in write_4d_series(sources, Path(folder), time_points, "instance-number")]
        sequence, *points = examine_files(paths).loadables
        assert sequence.kind == "volume sequence" and len(points) == time_points
        env = MRMLEnvironment.create()
        try:
            def as_sequence():
                load_loadable(sequence, env.scene)
                env.scene.Clear(False)

            def one_by_one():
                for point in points:
                    load_loadable(point, env.scene)
                env.scene.Clear(False)

            as_sequence()
            one_by_one()  # warm
            # interleaved, so that neither gets all the fresh (page-faulting) memory or a busy moment
            sequence_times, separate_times = [], []
            for _ in range(repeat):
                sequence_times.append(best_of(1, as_sequence))
                separate_times.append(best_of(1, one_by_one))
            sequence_time, separate = min(sequence_times), min(separate_times)
            examine = best_of(repeat, lambda: examine_files(paths))
        finally:
            env.close()
    return {"files": len(paths), "sequence": sequence_time, "separate": separate, "examine": examine}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=5, help="copies of the LIDC series in the long one")
    parser.add_argument("--repeat", type=int, default=5, help="runs per load method (best is kept)")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(load_worker(*args.worker)))
        return
    sources = lidc_files()
    plugin, library = time_plugin_examine(sources, max(20, args.repeat))
    print(f"examine through the DICOM plugin: {plugin * 1000:.1f} ms, library examine_files {library * 1000:.1f} ms "
          f"-> {plugin / library:.2f}x (goal <= 1.0x)")
    slices, time_points = 40, 10
    fourd = time_sequence(sources[:slices], time_points, args.repeat)
    print(f"4D, {time_points} time points of {slices} slices ({fourd['files']} files): volume sequence "
          f"{fourd['sequence']:.3f} s, {time_points} separate volume loads {fourd['separate']:.3f} s -> "
          f"{fourd['sequence'] / fourd['separate']:.2f}x (goal <= 1.0x); examine {fourd['examine']:.3f} s")
    report("LIDC-IDRI-0001 CT", sources, args.repeat)
    with tempfile.TemporaryDirectory(prefix="dicomteach-bench-") as folder:
        long_series = build_long_series(sources, args.copies, Path(folder))
        report(f"LIDC x {args.copies} (built copies)", long_series, args.repeat)


if __name__ == "__main__":
    main()
