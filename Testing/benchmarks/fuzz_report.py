"""Fuzz report: seeded mutants of real files through every entry point, figures per entry point.

    .venv/bin/python Testing/benchmarks/fuzz_report.py [--count 10000] [--load-every 5] [--json]

Prints, per entry point: mutants tried, refused (DICOMTeachError: file and reason), escapes (any other
exception, or a run over the time limit), the slowest file and the peak of traced memory (tracemalloc)
of one run. Nothing is asserted here; Testing/test_fuzz_entry_points.py asserts on a shorter run.
The campaign runs in this process: a native abort would end it (the test runs it in a subprocess).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # Testing/, for fuzz_helpers

import fuzz_helpers  # noqa: E402


def peak_resident_kb() -> int:
    """This process's peak resident memory: VmHWM (Linux; getrusage's maxrss keeps the parent's peak across
    exec, so a campaign started from a large pytest process would report pytest's memory)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=int(os.environ.get("DICOMTEACH_FUZZ_COUNT", "1000")))
    parser.add_argument("--load-every", type=int, default=5, help="load into a scene every n-th mutant (slow)")
    parser.add_argument("--seconds", type=float, default=10.0, help="time limit of one run")
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--no-memory", action="store_true", help="skip tracemalloc (faster, no peak figures)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    started = time.time()

    def progress(done: int) -> None:
        if not args.json and sys.stderr.isatty() and done % 100 == 0:
            print(f"\r{done}/{args.count} mutants ({time.time() - started:.0f} s)", end="", file=sys.stderr)

    with tempfile.TemporaryDirectory() as work:
        campaign = fuzz_helpers.run_campaign(args.count, Path(work), seconds=args.seconds, load_every=args.load_every,
                                             trace_memory=not args.no_memory, seed=args.seed, progress=progress)
    figures = {entry: {"tried": f.tried, "refused": f.refused, "escapes": len(f.escapes),
                       "escape_examples": [list(e) for e in f.escapes[:10]],
                       "slowest_seconds": round(f.slowest[0], 4), "slowest_file": f.slowest[1],
                       "mean_ms": round(1000 * f.seconds / max(f.tried, 1), 2),
                       "peak_traced_mb": round(f.peak_bytes[0] / 2**20, 2), "peak_file": f.peak_bytes[1]}
               for entry, f in campaign.figures.items()}
    result = {"mutants": campaign.mutants, "kinds": campaign.kinds, "seconds": round(campaign.seconds, 1),
              "inputs_modified": campaign.inputs_modified, "entry_points": figures,
              "max_rss_mb": round(peak_resident_kb() / 1024, 1)}
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{campaign.mutants} mutants of {len(fuzz_helpers.seed_files())} real files in {campaign.seconds:.0f} s "
          f"(seed {args.seed}); kinds: {', '.join(f'{k} {v}' for k, v in sorted(campaign.kinds.items()))}")
    print(f"inputs modified: {len(campaign.inputs_modified)}; process max RSS {result['max_rss_mb']} MB")
    print(f"{'entry point':<20} {'tried':>6} {'refused':>8} {'escapes':>8} {'mean ms':>8} {'slowest s':>10} "
          f"{'peak MB':>8}  slowest file / peak file")
    for entry, f in figures.items():
        print(f"{entry:<20} {f['tried']:>6} {f['refused']:>8} {f['escapes']:>8} {f['mean_ms']:>8} "
              f"{f['slowest_seconds']:>10} {f['peak_traced_mb']:>8}  {f['slowest_file']} / {f['peak_file']}")
        for example in f["escape_examples"]:
            print(f"    escape: {example}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
