"""``dicomteach pacs start|stop|status``: a lesson PACS (Debian's Orthanc) on loopback ports, temporary storage."""

from __future__ import annotations

import argparse
import json

from ..errors import DICOMTeachError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "pacs", help="start or stop a local lesson PACS (Orthanc, loopback ports, temporary storage)",
        description="start: run Debian's Orthanc with its DICOMweb plugin on free ports, storage in a temporary "
        "folder, called AE title ORTHANC checked, our storage SCP known as DICOMTEACH for C-MOVE; prints how to "
        "reach it. stop: end it and delete its storage. status: is it running?")
    parser.add_argument("action", choices=["start", "stop", "status"])
    parser.add_argument("--folder", help="where its config, storage and log live (default: one per user in "
                        "the temporary folder)")
    parser.add_argument("--move-port", type=int, default=11113,
                        help="the port of our storage SCP for C-MOVE (default 11113, as dicomteach get --move)")
    parser.add_argument("--known-callers-only", action="store_true",
                        help="answer only calling AE titles it knows (DICOMTEACH), as a hospital PACS does")
    parser.add_argument("--json", action="store_true", help="print the PACS's addresses as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..net.pacs import LessonPacs, default_folder

    folder = args.folder or default_folder()
    if args.action == "start":
        try:
            running = LessonPacs.from_folder(folder)
        except DICOMTeachError:
            running = None
        if running is not None and running.is_running():
            raise DICOMTeachError(f"a lesson PACS already runs (pid {running.pid}, {running.dicom_address}): "
                                  "dicomteach pacs stop first")
        if running is not None:
            running.stop()
        pacs = LessonPacs.start(folder, move_port=args.move_port, known_callers_only=args.known_callers_only)
        _show(pacs, args, "started")
        return 0
    pacs = LessonPacs.from_folder(folder)
    if args.action == "status":
        running = pacs.is_running()
        _show(pacs, args, "running" if running else "not running (stale state)")
        return 0 if running else 1
    pacs.stop()
    if args.json:
        print(json.dumps({"stopped": True, "pid": pacs.pid}))
    else:
        print(f"lesson PACS stopped (pid {pacs.pid}); {pacs.folder} deleted")
    return 0


def _show(pacs, args: argparse.Namespace, state: str) -> None:
    if args.json:
        print(json.dumps({"state": state, **pacs.to_json_dict()}))
        return
    print(f"lesson PACS {state}: Orthanc pid {pacs.pid}, storage in {pacs.folder}")
    print(f"  DIMSE     {pacs.dicom_address}, called AE title {pacs.ae_title}")
    print(f"  DICOMweb  {pacs.dicomweb_url}")
    print(f"  C-MOVE    destination {pacs.move_ae_title} = our storage SCP on 127.0.0.1:{pacs.move_port}")
    print("Try:")
    print(f"  dicomteach echo {pacs.dicom_address} --called-ae {pacs.ae_title}")
    print(f"  dicomteach store {pacs.dicom_address} --called-ae {pacs.ae_title} FOLDER")
    print(f"  dicomteach find {pacs.dicom_address} --called-ae {pacs.ae_title} --level study PatientName='*'")
    print(f"  dicomteach web {pacs.dicomweb_url} qido --level study")
    print("  dicomteach pacs stop")
