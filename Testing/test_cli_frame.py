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


def test_tour_counts_problems_by_severity_and_shows_the_verdicts_of_conditions(capsys):
    """CT_small's only problems are private blocks (info): 'Problems: 9' read as nine errors. The tour now counts
    them as explain does, and shows a 1C/2C verdict of each kind decided from the file."""
    import pydicom

    from DICOMTeachLib.cli.tour import step_explain_instance
    from DICOMTeachLib.explain import explain
    from DICOMTeachLib.testdata import pydicom_test_file

    explanation = explain(pydicom_test_file("CT_small.dcm"))
    severities = [problem.severity for problem in explanation.problems]
    step_explain_instance()
    out = capsys.readouterr().out
    assert (f"Problems: {severities.count('error')} error(s), {severities.count('warning')} warning(s), "
            f"{severities.count('info')} info") in out
    ds = pydicom.dcmread(pydicom_test_file("CT_small.dcm"), stop_before_pixels=True)
    assert ds.SamplesPerPixel == 1 and "PlanarConfiguration" not in ds
    assert "(0028,0006) PlanarConfiguration (type 1C, absent): not required here because Samples per Pixel is 1" in out
    assert "required here because" in out and "cannot tell from the file" in out
    assert "not machine-checkable" not in out and "Problems: 9," not in out


def test_tour_load_step_gives_each_confidence_and_why_the_splits_are_checked(capsys, pydicom_ct_files):
    """Each loadable line carried the whole ranking text (some 400 characters), four times over."""
    from DICOMTeachLib.cli.tour import step_load_series
    from DICOMTeachLib.examine import default_selection, examine_files

    examined = examine_files([str(path) for path in pydicom_ct_files])
    selected = default_selection(examined.loadables)
    step_load_series()
    out = capsys.readouterr().out
    for loadable in examined.loadables:
        mark = "x" if loadable in selected else " "
        line = next(line for line in out.splitlines() if line.strip().startswith(f"[{mark}] '{loadable.name}'"))
        assert f"confidence {loadable.confidence}" in line and "Slicer's equivalent" not in line
        assert len(line) < 200
    assert any("preferred over the whole series" in line for line in out.splitlines() if "[x]" in line)
