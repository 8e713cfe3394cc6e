"""Fuzzing every entry point: only DICOMTeachError escapes, no run past its time limit, bounded memory.

The campaign (Testing/fuzz_helpers.py, seeded: the same mutants every run) runs in a subprocess, so
that a native abort (a decoder's SIGABRT) fails this test instead of killing pytest. A few hundred
mutants here; DICOMTEACH_FUZZ_COUNT=10000 runs more (Testing/benchmarks/fuzz_report.py prints them).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import fuzz_helpers

REPORT = Path(__file__).parent / "benchmarks" / "fuzz_report.py"
COUNT = int(os.environ.get("DICOMTEACH_FUZZ_COUNT", "300"))
#: A run over this many seconds counts as an escape (the alarm stops it): "a hang".
SECONDS_PER_RUN = 10
#: Resident memory the whole campaign process may reach (Python, VTK, a headless MRML scene, the mutants).
MAX_RSS_MB = 1024


def test_mutants_through_every_entry_point_let_only_the_librarys_error_out():
    completed = subprocess.run(
        [sys.executable, str(REPORT), "--count", str(COUNT), "--load-every", "4", "--seconds", str(SECONDS_PER_RUN),
         "--no-memory", "--json"], capture_output=True, text=True, timeout=3600, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert completed.returncode == 0, f"the campaign died (native abort?): {completed.returncode}\n" \
                                      f"{completed.stderr[-3000:]}"
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    assert figures["mutants"] == COUNT
    assert set(figures["kinds"]) == set(fuzz_helpers.KINDS)  # every kind of damage was made
    assert figures["inputs_modified"] == []
    assert figures["max_rss_mb"] < MAX_RSS_MB  # no run allocated what a declared length asked for
    for entry in fuzz_helpers.ENTRY_POINTS:
        result = figures["entry_points"][entry]
        assert result["tried"] >= COUNT // 4, entry
        assert result["escapes"] == 0, (entry, result["escape_examples"])
    # the damage is real: explain refuses a good share of the mutants (with the file and a reason)
    assert figures["entry_points"]["explain_text"]["refused"] > COUNT // 10


def test_mutants_are_the_same_bytes_every_run():
    seeds = fuzz_helpers.load_seeds()[:3]
    first = [(name, kind, data) for name, kind, data in fuzz_helpers.mutants(seeds, 24, seed=5)]
    again = [(name, kind, data) for name, kind, data in fuzz_helpers.mutants(seeds, 24, seed=5)]
    assert first == again
    assert {kind.split(":")[0] for _, kind, _ in first} >= {"truncate", "huge_length", "deep_sequence"}
