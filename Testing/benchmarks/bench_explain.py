"""Benchmark of ``explain`` (issue 3, section 7): prints times and ratios, asserts nothing.

    .venv/bin/python Testing/benchmarks/bench_explain.py [--repeat N]

1. the first explain in a fresh process (standard tables and condition facts loaded on the way), goal <= 300 ms;
2. later explains per file: single-frame CT (goal <= 10 ms), enhanced multi-frame MR and CT,
   each beside the anchor "pydicom reads the same header" measured in the same run;
3. the 133-file LIDC series explained in one process against ``dciodvfy`` run once per file,
   goal >= 10x faster.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pydicom

from DICOMTeachLib.explain import explain
from DICOMTeachLib.testdata import pydicom_test_file, shared_data_directory

FIRST_EXPLAIN = """
import time
import pydicom  # Slicer has it loaded already: not part of our first explain
start = time.perf_counter()
from DICOMTeachLib.explain import explain
imported = time.perf_counter()
explain({path!r})
done = time.perf_counter()
print(f"{{(imported - start) * 1000:.1f}} {{(done - imported) * 1000:.1f}}")
"""


def _times_ms(function, repeat: int) -> tuple[float, float]:
    """(median, best) in ms: on a shared machine the best run shows the cost, the median the experience."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, min(times) * 1000


def first_explain(path: Path, runs: int = 3) -> None:
    results = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", FIRST_EXPLAIN.format(path=str(path))], capture_output=True,
                             text=True, check=True).stdout.split()
        results.append((float(out[0]), float(out[1])))
    imported, explained = (statistics.median(values) for values in zip(*results, strict=True))
    total = imported + explained
    print(f"1. first explain in a fresh process ({path.name}), median of {runs}:")
    print(f"   import DICOMTeachLib.explain {imported:7.1f} ms + first explain (tables and condition facts loaded) {explained:7.1f} ms"
          f" = {total:7.1f} ms   goal <= 300 ms: {'met' if total <= 300 else 'NOT met'}")
    # The whole command as a user starts it, beside its anchor: the interpreter importing pydicom
    # (numpy and pydicom's pixel decoder plugins), which Slicer has already paid for.
    command = _wall_ms([sys.executable, "-m", "DICOMTeachLib.cli", "explain", str(path)], runs)
    anchor = _wall_ms([sys.executable, "-c", "import pydicom"], runs)
    print(f"   whole `dicomteach explain` process {command:7.1f} ms; anchor `python -c 'import pydicom'` "
          f"{anchor:7.1f} ms; ours on top {command - anchor:7.1f} ms")


def _wall_ms(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def later_explains(files: dict[str, Path], repeat: int) -> None:
    print(f"2. later explains, median (best) of {repeat}; anchor = pydicom.dcmread(stop_before_pixels) of the same "
          "file")
    for label, path in files.items():
        explain(path)  # warm
        explain_ms, explain_best = _times_ms(lambda path=path: explain(path), repeat)
        breakdown_ms, _ = _times_ms(lambda path=path: explain(path, anatomy=False), repeat)
        read_ms, read_best = _times_ms(lambda path=path: pydicom.dcmread(path, stop_before_pixels=True), repeat)
        goal = "   goal <= 10 ms: " + ("met" if explain_ms <= 10 else "NOT met") if label.startswith("CT") else ""
        print(f"   {label:<34} explain {explain_ms:6.2f} ({explain_best:5.2f}) ms, without anatomy "
              f"{breakdown_ms:6.2f} ms; pydicom read {read_ms:5.2f} ({read_best:5.2f}) ms; ratio "
              f"{explain_best / read_best:4.1f}x{goal}")


def _dciodvfy() -> str | None:
    found = shutil.which("dciodvfy") or str(Path(sys.executable).parent / "dciodvfy")
    return found if Path(found).exists() else None


def series_against_dciodvfy(files: list[Path]) -> None:
    print(f"3. the LIDC series: {len(files)} files")
    start = time.perf_counter()
    for path in files:
        explain(path)
    ours = time.perf_counter() - start
    tool = _dciodvfy()
    if tool is None:
        print(f"   explain {ours * 1000:8.1f} ms; dciodvfy not found: no comparison")
        return
    start = time.perf_counter()
    for path in files:
        subprocess.run([tool, str(path)], capture_output=True, check=False)
    theirs = time.perf_counter() - start
    ratio = theirs / ours
    print(f"   explain {ours * 1000:8.1f} ms ({ours * 1000 / len(files):5.2f} ms/file)   dciodvfy once per file "
          f"{theirs * 1000:8.1f} ms ({theirs * 1000 / len(files):5.2f} ms/file)   ours is {ratio:5.1f}x faster"
          f"   goal >= 10x: {'met' if ratio >= 10 else 'NOT met'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    ct = pydicom_test_file("CT_small.dcm")
    first_explain(ct)
    files = {"CT single-frame (CT_small.dcm)": ct}
    shared = shared_data_directory()
    lidc = sorted((shared / "lidc-idri-0001-ct-seg" / "ct").glob("*.dcm")) if shared else []
    if lidc:
        files["CT single-frame (LIDC slice)"] = lidc[0]
    files["enhanced MR (emri_small.dcm)"] = pydicom_test_file("emri_small.dcm")
    try:
        files["enhanced CT (eCT_Supplemental.dcm)"] = pydicom_test_file("eCT_Supplemental.dcm")
    except FileNotFoundError:
        pass
    later_explains(files, args.repeat)
    if lidc:
        series_against_dciodvfy(lidc)
    else:
        print("3. ../shared/data is absent: no LIDC series to compare with dciodvfy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
