"""``dicomteach bits IMAGE``: exercise 3 of the course, "counting with 10 fingers"."""

from __future__ import annotations

import argparse

from ..errors import DICOMTeachError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bits", help="Bits Allocated/Stored, High Bit, Pixel Representation and one pixel decoded from its bytes",
        description="Explain the four attributes that say how a pixel is stored, the range of values they allow, "
        "and decode one pixel step by step from the bytes of the file (native pixel data), checked against "
        "pydicom's decoded array.",
    )
    parser.add_argument("path", metavar="IMAGE", help="a DICOM image")
    parser.add_argument("--pixel", metavar="FRAME,ROW,COLUMN",
                        help="which pixel to decode (1-based frame, 0-based row and column); default: the "
                        "brightest pixel of frame 1")
    parser.set_defaults(func=run)


def _pixel(text: str | None) -> tuple[int, int, int] | None:
    if not text:
        return None
    try:
        frame, row, column = (int(part) for part in text.split(","))
    except ValueError as error:
        raise DICOMTeachError(f"--pixel wants FRAME,ROW,COLUMN (three integers), not {text!r}") from error
    return frame - 1, row, column


def run(args: argparse.Namespace) -> int:
    from ..exercises.bits import bits_exercise

    print(bits_exercise(args.path, _pixel(args.pixel)).render_text())
    return 0
