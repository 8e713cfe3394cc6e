"""``dicomteach lesson [ID]``: the panel's lessons in a terminal, each answer checked on a real file."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "lesson", help="short lessons (mandatory attributes, IOD schema, bits, UIDs, PHI, CT+SEG+SR) that check "
        "your answer",
        description="Without ID: list the lessons. With ID: show the lesson, read your answer (from --answer, "
        "or typed) and check it against the lesson's real file. Exit 0 when the answer is right, 1 when not.",
    )
    parser.add_argument("lesson_id", nargs="?", metavar="ID", help="the lesson to take (see the list)")
    parser.add_argument("--answer", help="the answer, instead of typing it (one that starts with a minus sign: "
                        "--answer=-2048..2047)")
    parser.add_argument("--files", action="store_true", help="print the lesson's files (made if needed) and stop")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..lessons import all_lessons, lesson

    if not args.lesson_id:
        lessons = all_lessons()
        width = max(len(item.id) for item in lessons)
        for number, item in enumerate(lessons, start=1):
            print(f"{number}. {item.id:{width}}  {item.title}")
        print("\nTake one: dicomteach lesson ID")
        return 0
    chosen = lesson(args.lesson_id)
    files = chosen.files()
    if args.files:
        print("\n".join(str(path) for path in files))
        return 0
    print(chosen.as_text())
    print("Files: " + ", ".join(str(path) for path in files))
    answer = args.answer
    if answer is None:
        if sys.stdin.isatty():
            answer = input("Your answer: ")
        else:
            answer = sys.stdin.readline()
    verdict = chosen.check(answer)
    print(("Right. " if verdict.correct else "Not yet. ") + verdict.feedback)
    return 0 if verdict.correct else 1
