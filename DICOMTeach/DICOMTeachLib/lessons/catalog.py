"""The lessons: the course's exercises and the Slicer DICOM tutorial's steps, each with its checker.

Expected answers are read from the files and from the standard's tables at
check time, so a lesson can never drift from the data it talks about.
"""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pydicom

from ..testdata import pydicom_test_file
from .base import Lesson, Verdict, attribute_words, numbers, words

MR_FILE = "MR_small.dcm"
CT_FILE = "CT_small.dcm"
BITS_FILE = "examples_overlay.dcm"  # an MR with 12 of its 16 bits stored


def _pydicom_file(name: str):
    return lambda: [pydicom_test_file(name)]


def _keyword_hint(keyword: str) -> str:
    from pydicom.datadict import keyword_dict

    if keyword in keyword_dict:
        return ""  # a real attribute: a spelling hint would name the same word
    close = difflib.get_close_matches(keyword, list(keyword_dict), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


# -- 1. mandatory attributes of an MR image ---------------------------------------------------------

def _check_mandatory(answer: str, files: list[Path]) -> Verdict:
    from ..exercises import mandatory_attributes
    from ..standard import standard

    table = mandatory_attributes("MR Image")
    iod = standard().iod("MR Image")
    ds = pydicom.dcmread(files[0], stop_before_pixels=True)
    right, wrong = [], []
    for keyword in dict.fromkeys(attribute_words(answer)):
        found = table.find(keyword)
        if found is not None:
            entity, module, attribute = found
            value = ds.get(keyword)
            shown = "present" if value is not None else "absent"
            right.append(f"{keyword} is type {attribute.type} in the {module.name} module ({entity.name} IE); "
                         f"{MR_FILE} has it {shown}")
            continue
        where = []
        for reference in iod.modules:
            rule = standard().module(reference.module_id).find(keyword)
            if rule is not None:
                where.append(f"type {rule.type} in {reference.name} (usage {reference.usage})")
        if where:
            wrong.append(f"{keyword} is {where[0]}: not mandatory (type 3 is optional; 1C/2C and modules of "
                         "usage C or U only under a condition)")
        else:
            wrong.append(f"{keyword} is not an attribute of the MR Image IOD{_keyword_hint(keyword)}")
    if len(right) >= 3 and not wrong:
        return Verdict(True, "; ".join(right) + ".")
    need = "" if len(right) >= 3 else f" Name at least 3 (you have {len(right)} right)."
    return Verdict(False, " ".join(s + "." for s in wrong + right) + need
                   + " Tip: `dicomteach mandatory \"MR Image\"` lists them all.")


# -- 2. the IOD schema -------------------------------------------------------------------------------

def _normalise(name: str) -> str:
    name = name.strip().lower()
    return name[:-3].strip() if name.endswith(" ie") else name


def _check_schema(answer: str, files: list[Path]) -> Verdict:
    from ..standard import standard

    iod = standard().iod("CT Image")
    expected = [_normalise(ie) for ie in iod.information_entities]
    given = [_normalise(part) for part in answer.replace(">", ",").replace(";", ",").split(",") if part.strip()]
    missing = [ie for ie in iod.information_entities if _normalise(ie) not in given]
    extra = [part for part in given if part not in expected]
    notes = []
    for part in extra:
        module = next((m for m in iod.modules if m.name.lower() == part), None)
        notes.append(f"'{part}' is a module of the {module.ie} IE, not an entity" if module
                     else f"'{part}' is not an entity of the CT Image IOD")
    if not missing and not extra:
        order = "in the standard's order" if given == expected else \
            f"(the standard's order: {' > '.join(iod.information_entities)})"
        return Verdict(True, f"The CT Image IOD has {len(expected)} information entities {order}; each groups "
                             "modules, and each module attributes of type 1, 2 or 3.")
    parts = notes + ([f"missing: {', '.join(missing)}"] if missing else [])
    return Verdict(False, "; ".join(parts) + ". Explain CT_small.dcm: the Breakdown tree's top level lists them.")


# -- 2b. the schema's attributes by type ----------------------------------------------------------

TYPE_QUIZ = ("PatientName", "Modality", "SliceThickness", "ImagePositionPatient", "KVP")


def _type_in_iod(keyword: str) -> tuple[str, str, str] | None:
    """(type, module name, IE) of a top-level attribute in the first module of the CT Image IOD that defines it."""
    from ..standard import standard

    for reference in standard().iod("CT Image").modules:
        for rule in standard().module(reference.module_id).attributes:
            if rule.keyword == keyword:
                return rule.type, reference.name, reference.ie
    return None


def _check_types(answer: str, files: list[Path]) -> Verdict:
    given = [w.upper() for w in words(answer)]
    notes, right = [], 0
    for position, keyword in enumerate(TYPE_QUIZ):
        kind, module, ie = _type_in_iod(keyword)
        said = given[position] if position < len(given) else "(nothing)"
        if said == kind:
            right += 1
            notes.append(f"{keyword}: type {kind} in {module} ({ie} IE)")
        else:
            notes.append(f"{keyword}: you said {said}, it is type {kind} in {module} ({ie} IE)")
    if right == len(TYPE_QUIZ) and len(given) == len(TYPE_QUIZ):
        return Verdict(True, "; ".join(notes) + ". 1: present with a value; 2: present, may be empty; 3: optional.")
    return Verdict(False, "; ".join(notes) + ". The Type column of the Breakdown tree shows each one.")


# -- 3. counting with 10 fingers -----------------------------------------------------------------------

def _check_bits(answer: str, files: list[Path]) -> Verdict:
    from ..exercises.bits import bits_exercise

    exercise = bits_exercise(files[0])
    low, high = exercise.value_range
    given = numbers(answer)
    if len(given) >= 2 and (int(given[0]), int(given[-1])) == (low, high):
        return Verdict(True, f"{exercise.bits_stored} bits stored, "
                             f"{'signed' if exercise.pixel_representation else 'unsigned'}: {low} .. {high}. "
                             f"With 10 fingers as bits you count 0 .. 1023.\n" + exercise.render_text())
    hints = []
    allocated_range = (0, (1 << exercise.bits_allocated) - 1)
    if given and int(given[-1]) == allocated_range[1]:
        hints.append(f"{allocated_range[1]} is what Bits Allocated ({exercise.bits_allocated}) would allow, but only "
                     f"Bits Stored ({exercise.bits_stored}) carry the value")
    if given and min(given) < 0 and not exercise.pixel_representation:
        hints.append("Pixel Representation 0 means unsigned: no pixel value is negative")
    if given and int(given[-1]) == 1023:
        hints.append("1023 is 10 bits (10 fingers); this file stores more")
    hints.append(f"Bits Stored {exercise.bits_stored}, High Bit {exercise.high_bit}, Pixel Representation "
                 f"{exercise.pixel_representation}: n unsigned bits count 0 .. 2^n - 1; signed ones "
                 "-2^(n-1) .. 2^(n-1) - 1. Give two numbers: smallest and largest")
    return Verdict(False, "; ".join(hints) + ".")


def _bits_question() -> str:
    ds = pydicom.dcmread(pydicom_test_file(BITS_FILE), stop_before_pixels=True)
    return (f"With 10 fingers you count 0 .. 1023 (10 bits). {BITS_FILE} says Bits Allocated {ds.BitsAllocated}, "
            f"Bits Stored {ds.BitsStored}, High Bit {ds.HighBit}, Pixel Representation {ds.PixelRepresentation}. "
            "What are the smallest and the largest value one of its pixels can hold?")


# -- 4. the UIDs of the levels -------------------------------------------------------------------------

UID_KEYWORDS = {"StudyInstanceUID": "Study Instance UID (0020,000D), the study level",
                "SeriesInstanceUID": "Series Instance UID (0020,000E), the series level",
                "SOPInstanceUID": "SOP Instance UID (0008,0018), the instance level",
                "SOPClassUID": "SOP Class UID (0008,0016): the kind of object, not a level",
                "FrameOfReferenceUID": "Frame of Reference UID (0020,0052): the coordinate system"}


def _check_uids(answer: str, files: list[Path]) -> Verdict:
    ds = pydicom.dcmread(files[0], stop_before_pixels=True)
    which = {str(ds.get(keyword, "")): keyword for keyword in UID_KEYWORDS if ds.get(keyword)}
    given = [w for w in words(answer) if "." in w]
    wanted = ["StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"]
    if [which.get(uid) for uid in given] == wanted:
        return Verdict(True, "Study > Series > Instance: each level has its own UID, unique worldwide; an "
                             "instance's file carries all three.")
    notes = []
    for position, uid in enumerate(given[:3]):
        keyword = which.get(uid)
        expected = wanted[position] if position < 3 else ""
        if keyword is None:
            notes.append(f"{uid[:40]} is not a UID of {CT_FILE}")
        elif keyword != expected:
            notes.append(f"answer {position + 1} is the {UID_KEYWORDS[keyword]}, not the "
                         f"{UID_KEYWORDS[expected].split(' (')[0]}")
    if len(given) < 3:
        notes.append(f"give three UIDs (you gave {len(given)})")
    return Verdict(False, "; ".join(notes) + ". The UIDs tab lists them (untick 'Hide PHI values': UIDs are "
                                             "replaced by de-identification, so the mask hides them).")


# -- 5. PHI and de-identification --------------------------------------------------------------------

def _check_phi(answer: str, files: list[Path]) -> Verdict:
    from ..phi.actions import explain_code, phi_action

    ds = pydicom.dcmread(files[0], stop_before_pixels=True)
    present = {element.keyword: element.tag for element in ds if element.keyword}
    right, wrong = [], []
    for keyword in dict.fromkeys(attribute_words(answer)):
        tag = present.get(keyword)
        if tag is None:
            wrong.append(f"{keyword} is not in {CT_FILE}{_keyword_hint(keyword)}")
            continue
        action = phi_action(tag)
        if action.is_phi:
            right.append(f"{keyword}: {action.code} = {explain_code(action.code)}")
        else:
            wrong.append(f"{keyword} is kept by the Basic Profile (K): it does not identify the patient")
    if len(right) >= 3 and not wrong:
        return Verdict(True, "; ".join(right) + ". `dicomteach deidentify` applies these actions to copies.")
    need = "" if len(right) >= 3 else f" Name at least 3 (you have {len(right)} right)."
    return Verdict(False, " ".join(s + "." for s in wrong + right) + need + " The PHI tab lists them with "
                                                                            "their actions.")


# -- 6. CT + SEG + SR: find the measurement ----------------------------------------------------------

def _ct_seg_sr_files() -> list[Path]:
    from .materials import ct_with_seg_and_sr, lesson_folder

    made = ct_with_seg_and_sr()
    folder = lesson_folder()
    ct_copy = folder / "lesson-ct.dcm"
    if not ct_copy.is_file():
        shutil.copyfile(made.ct, ct_copy)  # all three in one folder, ready to import; the source is untouched
    return [made.sr, made.seg, ct_copy]


def _reported(sr_path: Path) -> dict[str, tuple[float, str]]:
    from ..sr.content import read_sr
    from ..sr.tid1500 import read_measurement_report

    report = read_measurement_report(read_sr(str(sr_path)))
    values = {}
    for group in report.groups:
        for measurement in group.measurements:
            if measurement.concept is not None and measurement.value is not None:
                unit = measurement.units.value if measurement.units else ""
                values[measurement.concept.meaning] = (measurement.value, unit)
    return values


def _check_measurement(answer: str, files: list[Path]) -> Verdict:
    values = _reported(files[0])
    mean, unit = values["Mean"]
    given = numbers(answer)
    if given and abs(given[0] - mean) <= 0.01 + 1e-6 * abs(mean):
        return Verdict(True, f"The SR reports Mean = {mean:g} {unit} (Hounsfield units) for segment 1 of the SEG, "
                             "measured on the CT: SR -> Measurement Group -> NUM Mean.")
    notes = []
    for name, (value, value_unit) in values.items():
        if given and abs(given[0] - value) <= 0.01 + 1e-6 * abs(value) and name != "Mean":
            notes.append(f"{given[0]:g} is the {name} ({value_unit}), not the mean")
    if given and abs(given[0] - (mean + 1024)) < 1:
        notes.append("that looks like a stored pixel value before Rescale Intercept (-1024)")
    notes.append("open the SR's content tree (SR content tab, or the table node in Slicer): Imaging Measurements "
                 "> Measurement Group > Mean")
    return Verdict(False, "; ".join(notes) + ".")


def all_lessons() -> list[Lesson]:
    """The lessons in teaching order."""
    return [
        Lesson("mandatory-mr", "Which attributes must an MR image carry?",
               "An IOD lists modules; mandatory modules (usage M) list attributes of type 1 (present, with a value), "
               "2 (present, maybe empty) and 3 (optional).",
               ["Explain the lesson's file (MR_small.dcm).", "In the Breakdown tree, open the MR Image module.",
                "Look at the Type column: 1 and 2 are mandatory."],
               "Name three attributes every MR image must carry (type 1 or 2 in a mandatory module).",
               f"pydicom's {MR_FILE}", _pydicom_file(MR_FILE), _check_mandatory),
        Lesson("iod-schema", "Complete the IOD schema",
               "An IOD is a schema: information entities (Patient, Study, ...) hold modules, modules hold attributes.",
               ["Explain the lesson's file (CT_small.dcm).", "Read the top level of the Breakdown tree."],
               "List the information entities of the CT Image IOD, separated by commas.",
               f"pydicom's {CT_FILE}", _pydicom_file(CT_FILE), _check_schema),
        Lesson("attribute-types", "Complete the IOD schema: attributes by type",
               "Each module lists its attributes with a type: 1 (present, with a value), 1C (1 under a condition), "
               "2 (present, may be empty), 2C, 3 (optional).",
               ["Explain the lesson's file (CT_small.dcm).", "Find each attribute with the search box "
                "and read its Type column (and its module, one level up)."],
               f"In the CT Image IOD, what type are {', '.join(TYPE_QUIZ)}? Give the {len(TYPE_QUIZ)} types in "
               "that order.",
               f"pydicom's {CT_FILE}", _pydicom_file(CT_FILE), _check_types),
        Lesson("ten-fingers", "How far can you count with 10 fingers?",
               "Bits Allocated is the room per pixel, Bits Stored the bits that carry the value, High Bit where they "
               "end, Pixel Representation whether the value can be negative.",
               ["Explain the lesson's file.", "Search the tree for 'Bits' and read the four values.",
                "The Exercises box's 'Count with 10 fingers' (or `dicomteach bits FILE`) decodes one pixel's "
                "bytes step by step."],
               _bits_question(), f"pydicom's {BITS_FILE}", _pydicom_file(BITS_FILE), _check_bits),
        Lesson("find-uids", "Find the study, series and instance UIDs",
               "Patient > Study > Series > Instance: every level below the patient is identified by a UID.",
               ["Explain the lesson's file (CT_small.dcm).", "Untick 'Hide PHI values' (UIDs are masked: "
                "de-identification replaces them).", "Open the UIDs tab."],
               "Give the Study Instance UID, the Series Instance UID and the SOP Instance UID, in that order.",
               f"pydicom's {CT_FILE}", _pydicom_file(CT_FILE), _check_uids),
        Lesson("phi", "Which attributes carry PHI, and what does de-identification do?",
               "PS3.15's Basic Profile gives each identifying attribute an action: remove (X), empty (Z), dummy (D), "
               "new UID (U), keep (K)...",
               ["Explain the lesson's file (CT_small.dcm).", "Open the PHI tab (values stay hidden while the mask "
                "is on)."],
               "Name three attributes of this file that de-identification removes or changes.",
               f"pydicom's {CT_FILE}", _pydicom_file(CT_FILE), _check_phi),
        Lesson("ct-seg-sr", "Load a CT with its SEG and SR, and find the measurement",
               "A segmentation (SEG) marks voxels of a CT; a TID 1500 structured report (SR) measures them and "
               "refers to both. This is the Slicer DICOM tutorial's last step.",
               ["Press 'Explain the lesson's file' once: it writes the CT, SEG and SR into one folder (shown in the "
                "summary).", "In Slicer: DICOM module > Import that folder > Load all three; headless: "
                "`dicomteach load FOLDER`.", "Select the SR: its content tree shows the measurement group."],
               "What mean attenuation, in HU, does the report give for the segmented region?",
               "CT_small.dcm with a SEG and an SR made from it (highdicom)", _ct_seg_sr_files, _check_measurement),
    ]


def lesson(lesson_id: str) -> Lesson:
    from ..errors import DICOMTeachError

    for candidate in all_lessons():
        if candidate.id == lesson_id:
            return candidate
    names = ", ".join(candidate.id for candidate in all_lessons())
    raise DICOMTeachError(f"no lesson {lesson_id!r}; lessons: {names}")
