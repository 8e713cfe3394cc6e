"""Lessons: the course's exercises and the Slicer DICOM tutorial's steps, each checking the student's answer
on a real file (pydicom's test files, or a SEG and SR made from one).

    from DICOMTeachLib.lessons import all_lessons
    lesson = all_lessons()[0]
    print(lesson.as_text()); print(lesson.check("PatientName Modality StudyInstanceUID").feedback)
"""

from .base import Lesson, Verdict
from .catalog import all_lessons, lesson

__all__ = ["Lesson", "Verdict", "all_lessons", "lesson"]
