"""Benchmark of the teaching panel (issue 11): prints times and ratios, asserts nothing.

    QT_QPA_PLATFORM=offscreen .venv/bin/python Testing/benchmarks/bench_panel.py [--repeat N]

1. showing one CT instance in the panel (explain + PHI mask + filling the Qt tree, PyQt5 offscreen) on a
   LIDC slice never explained before in the process: goal <= 150 ms; anchor = pydicom.dcmread of the same
   file (whole file, as a viewer reads it), measured in the same run;
2. moving through the 133 slices of the LIDC series with the slice view (a real slice node on a headless
   MRML scene, the panel following it): first pass (each slice explained once), then a second pass over
   the same slices (explanations cached per file): per-slice median and worst time;
3. moving through the frames of one enhanced multi-frame file: the LIDC series converted at run time by
   highdicom's LegacyConvertedEnhancedCTImage (133 frames), loaded by our loader, followed frame by frame
   (each frame's per-frame functional groups item found and selected); anchor = showing that node at
   first (explain + tree of the whole file), measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pydicom  # noqa: E402

from DICOMTeachLib.testdata import shared_data_directory  # noqa: E402


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def show_one(files: list, repeat: int) -> None:
    from DICOMTeachLib.panel.qt_panel import TeachingPanel
    from DICOMTeachLib.panel.qt_shim import pyqt5_namespace

    qt = pyqt5_namespace()
    panel = TeachingPanel(qt)
    panel.showFile(str(files[0]))  # tables loaded, Qt warmed up: what a student's second click costs
    ours, anchor = [], []
    for path in files[1:repeat + 1]:
        start = time.perf_counter()
        pydicom.dcmread(path)
        anchor.append(_ms(start))
        start = time.perf_counter()
        panel.showFile(str(path))
        ours.append(_ms(start))
    median, anchor_median = statistics.median(ours), statistics.median(anchor)
    rows = sum(1 for _ in panel.content.tree.rows())
    print(f"1. show a CT instance in the panel ({len(ours)} LIDC slices, each new to the panel; {rows} tree rows):")
    print(f"   panel median {median:6.1f} ms (best {min(ours):.1f}, worst {max(ours):.1f}); anchor pydicom.dcmread "
          f"median {anchor_median:5.1f} ms; ratio {median / anchor_median:5.1f}x; goal <= 150 ms: "
          f"{'met' if median <= 150 else 'NOT met'}")


def move_through(files: list) -> None:
    import vtk

    from DICOMTeachLib.examine import default_selection, examine_paths
    from DICOMTeachLib.headless import MRMLEnvironment
    from DICOMTeachLib.loading import load_loadable
    from DICOMTeachLib.panel.follow import SliceFollower, resolver_for_files
    from DICOMTeachLib.panel.model import TeachingPanelModel
    from DICOMTeachLib.panel.qt_panel import TeachingPanel
    from DICOMTeachLib.panel.qt_shim import pyqt5_namespace

    qt = pyqt5_namespace()
    paths = [str(p) for p in files]
    with MRMLEnvironment.create() as env:
        loadable = next(item for item in default_selection(examine_paths(paths).loadables)
                        if len(item.files) == len(paths))
        volume = load_loadable(loadable, env.scene).nodes[0]
        panel = TeachingPanel(qt, TeachingPanelModel(resolve=resolver_for_files(paths)))
        panel.showNode(volume)
        slice_node = env.scene.AddNewNodeByClass("vtkMRMLSliceNode")
        slice_node.SetOrientationToAxial()
        follower = SliceFollower(slice_node, lambda: volume, panel.followPoint)
        matrix = vtk.vtkMatrix4x4()
        volume.GetIJKToRASMatrix(matrix)
        slices = volume.GetImageData().GetDimensions()[2]
        for label in ("first pass (each slice explained)", "second pass (cached)"):
            times, seen = [], set()
            for k in range(slices):
                ras = matrix.MultiplyPoint((256.0, 256.0, float(k), 1.0))[:3]
                start = time.perf_counter()
                slice_node.JumpSliceByCentering(*ras)
                times.append(_ms(start))
                seen.add(panel.content.path)
            print(f"2. {label}: {slices} slices, {len(seen)} different instances shown; per slice median "
                  f"{statistics.median(times):6.1f} ms, worst {max(times):6.1f} ms, total {sum(times) / 1000:5.2f} s; "
                  f"explains computed so far: {panel.model.explain_count}")
        follower.stop()


def move_through_frames(files: list) -> None:
    import tempfile

    import vtk
    from highdicom.legacy import LegacyConvertedEnhancedCTImage
    from pydicom.uid import generate_uid

    from DICOMTeachLib.examine import default_selection, examine_paths
    from DICOMTeachLib.headless import MRMLEnvironment
    from DICOMTeachLib.loading import load_loadable
    from DICOMTeachLib.panel.follow import SliceFollower, resolver_for_files
    from DICOMTeachLib.panel.model import TeachingPanelModel
    from DICOMTeachLib.panel.qt_panel import TeachingPanel
    from DICOMTeachLib.panel.qt_shim import pyqt5_namespace

    qt = pyqt5_namespace()
    with tempfile.TemporaryDirectory(prefix="DICOMTeach-bench-") as folder, MRMLEnvironment.create() as env:
        path = os.path.join(folder, "lidc-legacy-enhanced.dcm")
        LegacyConvertedEnhancedCTImage([pydicom.dcmread(f) for f in files], series_instance_uid=generate_uid(),
                                       series_number=99, sop_instance_uid=generate_uid(),
                                       instance_number=1).save_as(path)
        volume = load_loadable(default_selection(examine_paths([path]).loadables)[0], env.scene).nodes[0]
        panel = TeachingPanel(qt, TeachingPanelModel(resolve=resolver_for_files([path])))
        start = time.perf_counter()
        panel.showNode(volume)
        anchor = _ms(start)
        slice_node = env.scene.AddNewNodeByClass("vtkMRMLSliceNode")
        slice_node.SetOrientationToAxial()
        follower = SliceFollower(slice_node, lambda: volume, panel.followPoint)
        matrix = vtk.vtkMatrix4x4()
        volume.GetIJKToRASMatrix(matrix)
        slices = volume.GetImageData().GetDimensions()[2]
        print(f"3. one multi-frame file ({os.path.getsize(path) / 1e6:.0f} MB, {slices} frames): showing the node "
              f"(anchor) {anchor:6.1f} ms")
        for label in ("first pass (each frame's item read)", "second pass (cached)"):
            times, frames = [], set()
            for k in range(slices):
                ras = matrix.MultiplyPoint((256.0, 256.0, float(k), 1.0))[:3]
                start = time.perf_counter()
                slice_node.JumpSliceByCentering(*ras)
                times.append(_ms(start))
                frames.add(panel.content.frame)
            median = statistics.median(times)
            print(f"   {label}: {len(frames)} different frames selected; per frame median {median:6.1f} ms "
                  f"(ratio to the anchor {median / anchor:4.2f}), worst {max(times):6.1f} ms; "
                  f"explains computed: {panel.model.explain_count}")
        follower.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    shared = shared_data_directory()
    if shared is None:
        print("../shared/data is absent: the LIDC series is needed", file=sys.stderr)
        return 1
    files = sorted((shared / "lidc-idri-0001-ct-seg" / "ct").glob("*.dcm"))
    from DICOMTeachLib.panel.qt_shim import pyqt5_namespace

    qt = pyqt5_namespace()
    _app = qt.QApplication.instance() or qt.QApplication(sys.argv[:1])
    show_one(files, args.repeat)
    move_through(files)
    move_through_frames(files)
    return 0


if __name__ == "__main__":
    sys.exit(main())
