"""A lesson: a short text, steps to follow in Slicer (or the command), a question, and a checker.

Every answer is checked against a real file (the expected value is read from
it, never typed here); a wrong answer is explained: what the student gave is,
and where the right one is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path


@dataclass
class Verdict:
    correct: bool
    feedback: str


@dataclass
class Lesson:
    id: str
    title: str
    text: str  # what the lesson teaches, a paragraph
    steps: list[str]  # what to do, in the panel or with the command
    question: str
    files_hint: str  # which real file(s) the lesson uses
    make_files: Callable[[], list[Path]]
    checker: Callable[[str, list[Path]], Verdict]
    solution: Callable[[list[Path]], str] = field(default=lambda files: "")

    def files(self) -> list[Path]:
        """The lesson's files (made on first use where needed)."""
        return self.make_files()

    def check(self, answer: str) -> Verdict:
        if not answer.strip():
            return Verdict(False, "Type an answer first.")
        return self.checker(answer, self.files())

    def as_html(self) -> str:
        steps = "".join(f"<li>{escape(step)}</li>" for step in self.steps)
        return (f"<h3>{escape(self.title)}</h3><p>{escape(self.text)}</p><ol>{steps}</ol>"
                f"<p><b>Question.</b> {escape(self.question)}</p><p><i>File: {escape(self.files_hint)}</i></p>")

    def as_text(self) -> str:
        lines = [self.title, "=" * len(self.title), self.text, ""]
        lines += [f"{number}. {step}" for number, step in enumerate(self.steps, start=1)]
        lines += ["", f"File: {self.files_hint}", "", f"Question: {self.question}"]
        return "\n".join(lines)


def words(answer: str) -> list[str]:
    """Keywords or numbers in an answer, however separated (commas, spaces, 'and')."""
    return [w for w in re.split(r"[\s,;]+", answer.strip()) if w and w.lower() not in ("and", "or")]


def attribute_words(answer: str) -> list[str]:
    """Attributes named in an answer, by keyword (PatientName) or by name as the tables print it
    (Patient's Name): separated by commas, semicolons or lines when there are any, else by spaces."""
    from pydicom.datadict import dictionary_description as name_of
    from pydicom.datadict import keyword_dict

    parts = re.split(r"[,;\n]+", answer) if re.search(r"[,;\n]", answer) else answer.split()
    by_name = {name_of(tag).lower(): keyword for keyword, tag in keyword_dict.items()}
    found = []
    for part in parts:
        part = re.sub(r"^(?:and|or)\s+", "", part.strip(), flags=re.IGNORECASE)
        if part:
            found.append(by_name.get(part.lower(), part))
    return found


def numbers(answer: str) -> list[float]:
    """The numbers of an answer; a hyphen between two numbers is a range (0-4095), not a minus sign."""
    answer = re.sub(r"(\d)\s*-\s*(?=[-+]?\d)", r"\1 ", answer.replace("..", " "))
    return [float(n) for n in re.findall(r"[-+]?\d+(?:\.\d+)?", answer)]
