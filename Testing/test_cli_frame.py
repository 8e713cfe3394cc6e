"""The dicomteach command: help lists every subcommand, the tour runs offline."""

import subprocess
import sys

from DICOMTeachLib.cli import SUBCOMMANDS, main


def test_help_lists_every_subcommand_with_one_line(capsys):
    try:
        main(["--help"])
    except SystemExit as exit_:
        assert exit_.code == 0
    text = capsys.readouterr().out
    for name in SUBCOMMANDS:
        line = next((line for line in text.splitlines() if line.strip().startswith(name + " ")), None)
        assert line, f"{name} missing from --help"


def test_tour_prints_the_bundled_series_tree(capsys, pydicom_ct_files):
    import pydicom

    assert main(["tour"]) == 0
    out = capsys.readouterr().out
    ds = pydicom.dcmread(pydicom_ct_files[0], stop_before_pixels=True)
    assert ds.SeriesInstanceUID in out
    assert f"{len(pydicom_ct_files)} instance(s)" in out


def test_command_runs_as_a_module_without_arguments():
    completed = subprocess.run([sys.executable, "-m", "DICOMTeachLib.cli"], capture_output=True, text=True)
    assert completed.returncode == 1
    assert "usage: dicomteach" in completed.stdout
