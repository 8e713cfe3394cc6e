"""Cold cost of the standard's tables in a fresh process, against anchors measured in the same run.

    python Testing/benchmarks/bench_standard_tables.py [--runs 5]

Anchors: an empty interpreter, and one that imports the stdlib modules the
tables need (json, gzip, dataclasses...), which pydicom imports anyway. Each
step is the median over fresh processes of: import the package, load the
shipped file, resolve an IOD, decode its modules, build the profile index.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

STDLIB = "import dataclasses, difflib, gzip, json, pathlib, re, threading"
PROBE = r"""
import time, json
t0 = time.perf_counter()
{stdlib}
t1 = time.perf_counter()
from DICOMTeachLib.standard import standard
t2 = time.perf_counter()
tables = standard()
t3 = time.perf_counter()
iod = tables.iod("{iod}")
t4 = time.perf_counter()
for module in iod.modules:
    tables.module(module.module_id)
for group in tables.functional_groups(iod.id):
    tables.module(group.module_id)
t5 = time.perf_counter()
tables.phi_action(0x00100010)
t6 = time.perf_counter()
print(json.dumps({{"stdlib": t1 - t0, "import": t2 - t1, "load": t3 - t2, "iod": t4 - t3,
                  "modules": t5 - t4, "profile": t6 - t5}}))
"""


def process_time(code: str) -> float:
    import time

    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    empty = statistics.median(process_time("pass") for _ in range(args.runs))
    print(f"anchor: empty interpreter {empty * 1e3:.0f} ms per process")
    for iod in ("mr-image", "enhanced-mr-image"):
        samples = [json.loads(subprocess.run([sys.executable, "-c", PROBE.format(stdlib=STDLIB, iod=iod)],
                                             check=True, capture_output=True, text=True).stdout)
                   for _ in range(args.runs)]
        steps = {key: statistics.median(sample[key] for sample in samples) for key in samples[0]}
        ours = sum(value for key, value in steps.items() if key != "stdlib")
        print(f"{iod}: " + ", ".join(f"{key} {value * 1e3:.1f} ms" for key, value in steps.items())
              + f"; tables total {ours * 1e3:.1f} ms = {ours / empty:.2f} x the empty interpreter")
    return 0


if __name__ == "__main__":
    sys.exit(main())
