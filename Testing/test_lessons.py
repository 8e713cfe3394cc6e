"""Lessons check the student's answer against real files: right answers accepted, wrong ones explained.

Answers below are built from the files and the standard's tables (pydicom,
DICOMTeachLib.standard), the way a student would find them.
"""

from __future__ import annotations

import pydicom
import pytest

from DICOMTeachLib.cli import main
from DICOMTeachLib.lessons import all_lessons, lesson
from DICOMTeachLib.testdata import pydicom_test_file


def _ct():
    return pydicom.dcmread(pydicom_test_file("CT_small.dcm"), stop_before_pixels=True)


def test_every_lesson_has_real_files_and_a_question():
    lessons = all_lessons()
    assert [item.id for item in lessons] == ["mandatory-mr", "iod-schema", "attribute-types", "ten-fingers",
                                             "find-uids", "phi", "ct-seg-sr"]
    for item in lessons:
        assert item.question and all(path.is_file() for path in item.files())
        assert not item.check("").correct


def test_mandatory_attributes_of_an_mr_image():
    from DICOMTeachLib.exercises import mandatory_attributes

    table = mandatory_attributes("MR Image")
    type1 = [a.keyword for _, _, depth, a in table.attributes() if depth == 0 and a.type == "1"][:3]
    assert lesson("mandatory-mr").check(" ".join(type1)).correct
    wrong = lesson("mandatory-mr").check(f"{type1[0]} Laterality PatientNmae")
    assert not wrong.correct and "Laterality is type 2C" in wrong.feedback and "did you mean PatientName" in wrong.feedback


def test_the_iod_schema_lists_the_entities():
    from DICOMTeachLib.standard import standard

    entities = standard().iod("CT Image").information_entities
    assert lesson("iod-schema").check(", ".join(entities)).correct
    wrong = lesson("iod-schema").check("Patient, Study, General Series")
    assert not wrong.correct and "module of the Series IE" in wrong.feedback and "missing: Series" in wrong.feedback


def test_attribute_types_are_those_of_the_modules_of_the_iod():
    from DICOMTeachLib.explain import explain
    from DICOMTeachLib.lessons.catalog import TYPE_QUIZ

    # The types a student reads in the panel's tree for CT_small.dcm are the answer.
    explanation = explain(pydicom_test_file("CT_small.dcm"))
    shown = {}
    for module in explanation.modules:
        for attribute in module.attributes:
            shown.setdefault(attribute.keyword, attribute.type)
    types = [shown[keyword] for keyword in TYPE_QUIZ]
    assert lesson("attribute-types").check(" ".join(types)).correct
    types[TYPE_QUIZ.index("Modality")] = "3"
    wrong = lesson("attribute-types").check(" ".join(types))
    assert not wrong.correct and "Modality: you said 3, it is type 1 in General Series (Series IE)" in wrong.feedback


def test_the_uids_in_order_and_a_swap_explained():
    ds = _ct()
    assert lesson("find-uids").check(f"{ds.StudyInstanceUID} {ds.SeriesInstanceUID} {ds.SOPInstanceUID}").correct
    wrong = lesson("find-uids").check(f"{ds.SeriesInstanceUID}, {ds.StudyInstanceUID}, {ds.SOPInstanceUID}")
    assert not wrong.correct and "answer 1 is the Series Instance UID" in wrong.feedback


def test_phi_attributes_and_their_actions():
    from DICOMTeachLib.phi.actions import phi_action

    ds = _ct()
    phi = [e.keyword for e in ds if e.keyword and phi_action(e.tag).is_phi][:3]
    right = lesson("phi").check(" ".join(phi))
    assert right.correct and f"{phi[0]}: {phi_action(ds[phi[0]].tag).code}" in right.feedback
    wrong = lesson("phi").check("Modality Rows PatientName")
    assert not wrong.correct and "Modality is kept" in wrong.feedback


def test_the_measurement_of_the_ct_seg_sr_lesson_is_read_from_the_sr():
    from DICOMTeachLib.sr.content import read_sr

    item = lesson("ct-seg-sr")
    sr, seg, ct = item.files()
    assert pydicom.dcmread(seg, stop_before_pixels=True).Modality == "SEG"
    assert pydicom.dcmread(ct, stop_before_pixels=True).SOPInstanceUID == _ct().SOPInstanceUID
    numbers = {n.concept.meaning: n for n in read_sr(str(sr)).root.walk() if n.value_type == "NUM"}
    mean, area = numbers["Mean"].number, numbers["Area"].number
    # the report's mean is the mean of the CT's HU inside the SEG's segment
    ct_ds, seg_ds = pydicom.dcmread(ct), pydicom.dcmread(seg)
    hu = ct_ds.pixel_array * float(ct_ds.RescaleSlope) + float(ct_ds.RescaleIntercept)
    assert abs(hu[seg_ds.pixel_array.astype(bool)].mean() - mean) < 0.01
    assert item.check(f"{mean}").correct
    wrong = item.check(f"{area}")
    assert not wrong.correct and "is the Area" in wrong.feedback


def test_the_command_checks_an_answer_and_lists_lessons(capsys):
    assert main(["lesson"]) == 0
    assert "ten-fingers" in capsys.readouterr().out
    assert main(["lesson", "ten-fingers", "--answer", "0 4095"]) == 0
    assert "Right." in capsys.readouterr().out
    assert main(["lesson", "ten-fingers", "--answer", "0 65535"]) == 1
    assert "Bits Allocated (16)" in capsys.readouterr().out
    assert main(["lesson", "no-such-lesson"]) == 2
    assert "lessons: mandatory-mr" in capsys.readouterr().err


@pytest.mark.parametrize("answer", ["0, 4095", "0 .. 4095", "from 0 to 4095"])
def test_ten_fingers_accepts_the_range_however_written(answer):
    assert lesson("ten-fingers").check(answer).correct


@pytest.mark.parametrize("answer", ["0-4095", "0 - 4095"])
def test_ten_fingers_reads_a_hyphen_between_two_numbers_as_a_range(answer):
    from DICOMTeachLib.exercises.bits import bits_exercise

    low, high = bits_exercise(lesson("ten-fingers").files()[0]).value_range
    assert (low, high) == (0, 4095)
    assert lesson("ten-fingers").check(answer.replace("4095", str(high))).correct


def test_mandatory_attributes_named_as_the_tables_print_them():
    """`dicomteach mandatory` prints "Patient's Name [PatientName]": the name is a right answer too."""
    from pydicom.datadict import dictionary_description

    from DICOMTeachLib.exercises import mandatory_attributes

    table = mandatory_attributes("MR Image")
    keywords = [a.keyword for _, _, depth, a in table.attributes() if depth == 0][:3]
    names = [dictionary_description(keyword) for keyword in keywords]
    assert any(" " in name for name in names)
    verdict = lesson("mandatory-mr").check(", ".join(names))
    assert verdict.correct, verdict.feedback
    assert all(f"{keyword} is type" in verdict.feedback for keyword in keywords)


def test_a_real_attribute_outside_the_iod_gets_no_spelling_hint_naming_itself():
    from DICOMTeachLib.standard import standard

    iod = standard().iod("MR Image")
    assert all(standard().module(m.module_id).find("KVP") is None for m in iod.modules)
    feedback = lesson("mandatory-mr").check("PatientName, KVP, Modality").feedback
    assert "KVP is not an attribute of the MR Image IOD" in feedback
    assert "did you mean KVP" not in feedback


def test_the_list_of_lessons_keeps_titles_in_one_column(capsys):
    assert main(["lesson"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line[:1].isdigit()]
    assert len(lines) == len(all_lessons())
    columns = {line.index(item.title) for line, item in zip(lines, all_lessons(), strict=True)}
    assert len(columns) == 1, lines


def test_a_signed_range_for_an_unsigned_image_is_told_why(capsys):
    from DICOMTeachLib.exercises.bits import bits_exercise

    exercise = bits_exercise(lesson("ten-fingers").files()[0])
    assert exercise.pixel_representation == 0 and exercise.bits_stored == 12
    assert main(["lesson", "ten-fingers", "--answer=-2048..2047"]) == 1
    assert "Pixel Representation 0 means unsigned" in capsys.readouterr().out


def test_a_lesson_in_a_terminal_says_which_command_shows_what_its_steps_name(capsys):
    """The steps speak of the panel's Breakdown tree and tabs, which a terminal does not have."""
    chosen = lesson("mandatory-mr")
    assert "Breakdown tree" in chosen.as_text()
    assert main(["lesson", "mandatory-mr", "--answer", "PatientName"]) == 1
    out = capsys.readouterr().out
    assert f"`dicomteach explain {chosen.files()[0]}`" in out


def test_lesson_materials_are_made_once_in_the_users_cache(monkeypatch, tmp_path):
    # One folder reused by every run (each run of `lesson ct-seg-sr` left a new /tmp folder behind).
    from DICOMTeachLib.lessons.materials import lesson_folder

    monkeypatch.delenv("DICOMTEACH_LESSON_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first, second = lesson_folder(), lesson_folder()
    assert first == second == tmp_path / "dicomteach" / "lessons" and first.is_dir()
