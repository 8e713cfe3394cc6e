"""The same exit codes in every command, one line per file, never a traceback nor a raw library warning."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from DICOMTeachLib.cli import main
from DICOMTeachLib.testdata import pydicom_test_file

PROJECT = Path(__file__).resolve().parents[1]


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and "Traceback" not in captured.out
    return code, captured.out, captured.err


def _commands(target: Path, tmp_path: Path) -> dict[str, list[str]]:
    return {"explain": ["explain", str(target)], "index": ["index", str(target)], "load": ["load", str(target)],
            "deidentify": ["deidentify", str(target), "-o", str(tmp_path / f"out{len(os.listdir(tmp_path))}")]}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    (folder / "notes").mkdir(parents=True)
    shutil.copy(pydicom_test_file("CT_small.dcm"), folder / "ct.dcm")
    (folder / "notes" / "readme.txt").write_text("not DICOM, just notes\n" * 20)
    return folder


def test_a_folder_with_non_dicom_files_exits_0_and_lists_them(capsys, folder, tmp_path):
    for command, argv in _commands(folder, tmp_path).items():
        code, out, err = _run(capsys, *argv)
        assert code == 0, (command, out, err)
        assert "readme.txt" in out + err, command


@pytest.mark.parametrize(("name", "content"), [("todo.txt", b"hello\n"), ("placeholder", b"")],
                         ids=["short-note", "empty"])
def test_a_tiny_or_empty_file_in_a_folder_is_not_dicom_and_exits_0_everywhere(capsys, folder, tmp_path, name,
                                                                               content):
    """A 6-byte note was 'the file ends inside its header' (exit 2) in index, load and deidentify; an empty file
    made explain exit 2 ('the file is empty') where index and load listed it as not DICOM."""
    (folder / name).write_bytes(content)
    for command, argv in _commands(folder, tmp_path).items():
        code, out, err = _run(capsys, *argv)
        assert code == 0, (command, out, err)
        line = next(line for line in (out + err).splitlines() if name in line)
        assert "not a DICOM file" in line and "ends inside" not in line, (command, line)


def test_a_damaged_dicom_file_in_a_folder_exits_2_everywhere(capsys, folder, tmp_path):
    data = pydicom_test_file("CT_small.dcm").read_bytes()
    (folder / "cut.dcm").write_bytes(data[:700])  # inside the header
    for command, argv in _commands(folder, tmp_path).items():
        code, out, err = _run(capsys, *argv)
        assert code == 2, (command, out, err)
        assert "cut.dcm" in out + err, command


@pytest.mark.parametrize("content", [b"plain text, not DICOM\n" * 10, b"\0" * 4096], ids=["text", "zeros"])
def test_a_named_file_that_cannot_be_read_exits_2_everywhere(capsys, tmp_path, content):
    path = tmp_path / "named.dcm"
    path.write_bytes(content)
    for command, argv in _commands(path, tmp_path).items():
        code, out, err = _run(capsys, *argv)
        assert code == 2, (command, out, err)
        assert "named.dcm" in out + err, command


def test_looping_links_and_odd_names_are_listed_without_traceback(capsys, folder, tmp_path):
    (folder / "loop").symlink_to(folder / "loop")
    odd = os.fsencode(folder) + b"/caf\xe9.dcm"  # a name that is not UTF-8
    with open(odd, "wb") as handle:
        handle.write(pydicom_test_file("MR_small.dcm").read_bytes())
    for command, argv in _commands(folder, tmp_path).items():
        code, out, err = _run(capsys, *argv)
        assert code == 2, (command, out, err)  # the loop could not be read
        assert "loop" in out + err and "cannot be followed" in out + err, command


def test_library_warnings_reach_stderr_only_as_our_notes(tmp_path):
    path = tmp_path / "implicit_says_explicit.dcm"
    shutil.copy(pydicom_test_file("SC_rgb_jpeg.dcm"), path)  # pydicom warns: explicit VR expected, implicit found
    env = {**os.environ, "PYTHONPATH": str(PROJECT / "DICOMTeach"), "QT_QPA_PLATFORM": "offscreen"}
    for command in ("index", "explain"):
        done = subprocess.run([sys.executable, "-m", "DICOMTeachLib.cli", command, str(path)], capture_output=True,
                              text=True, env=env, timeout=120)
        assert "UserWarning" not in done.stderr and "warn_and_log" not in done.stderr, done.stderr
        assert "Traceback" not in done.stderr


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs setpriv (util-linux) to run without DAC override")
def test_unreadable_files_and_folders_are_listed_with_exit_2(tmp_path):
    """chmod 000 means nothing to root: the command runs without the capabilities that bypass permissions."""
    shutil.copy(pydicom_test_file("CT_small.dcm"), tmp_path / "ok.dcm")
    shutil.copy(pydicom_test_file("MR_small.dcm"), tmp_path / "locked.dcm")
    (tmp_path / "closed").mkdir()
    shutil.copy(pydicom_test_file("MR_small.dcm"), tmp_path / "closed" / "inside.dcm")
    (tmp_path / "locked.dcm").chmod(0)
    (tmp_path / "closed").chmod(0)
    env = {**os.environ, "PYTHONPATH": str(PROJECT / "DICOMTeach"), "QT_QPA_PLATFORM": "offscreen"}
    try:
        for command in ("index", "load", "explain"):
            done = subprocess.run(["setpriv", "--bounding-set=-dac_override,-dac_read_search", sys.executable, "-m",
                                   "DICOMTeachLib.cli", command, str(tmp_path)], capture_output=True, text=True,
                                  env=env, timeout=300)
            output = done.stdout + done.stderr
            assert done.returncode == 2, (command, output)
            assert "Traceback" not in output
            assert f"{tmp_path / 'locked.dcm'}: cannot read it (permission denied)" in output, command
            assert f"{tmp_path / 'closed'}: cannot list the folder (Permission denied)" in output, command
    finally:
        (tmp_path / "closed").chmod(0o755)
        (tmp_path / "locked.dcm").chmod(0o644)


def test_deprecation_warnings_are_for_developers_not_shown_as_notes(capsys, pydicom_ct_files):
    """VTK's numpy_support sets an array's shape, which NumPy 2.5 deprecates: a student loading a series saw
    'dicomteach: note: Setting the shape on a NumPy array has been deprecated'. A note is about the data."""
    import warnings

    from DICOMTeachLib.cli import _our_messages

    with _our_messages():
        warnings.warn("an API will change", DeprecationWarning, stacklevel=1)
        warnings.warn("an API may change", PendingDeprecationWarning, stacklevel=1)
        warnings.warn("a value is not valid for its VR", UserWarning, stacklevel=1)
    assert capsys.readouterr().err == "dicomteach: note: a value is not valid for its VR\n"
    assert main(["load", *map(str, pydicom_ct_files)]) == 0
    assert "note:" not in capsys.readouterr().err


def test_explaining_an_empty_folder_says_there_is_nothing(capsys, tmp_path):
    """It printed nothing at all: a student could not tell whether explain had looked."""
    (tmp_path / "empty").mkdir()
    code, out, err = _run(capsys, "explain", str(tmp_path / "empty"))
    assert code == 0 and not out
    assert err == f"dicomteach explain: no file found in {tmp_path / 'empty'}\n"
