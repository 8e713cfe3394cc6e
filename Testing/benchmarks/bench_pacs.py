"""Store and get back the 133-slice LIDC series with the exchange explained, against plain pynetdicom.

    python Testing/benchmarks/bench_pacs.py [--runs 3]

One lesson PACS (Debian's Orthanc) for the whole run. The anchor is what
storescu/getscu do, written with plain pynetdicom in this file: one
association, C-STORE each file; one association, C-GET the series, write what
comes back. Ours records and explains every message; for the like-for-like
comparison it is told the study and SOP class the plain script hard-codes, and it
is also timed as the command runs it (a C-FIND on one association first to learn
them). Runs alternate, medians compared; the goal is an explanation overhead of
at most 10%.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "DICOMTeach"))

from DICOMTeachLib.net import dimse  # noqa: E402
from DICOMTeachLib.net.pacs import LessonPacs  # noqa: E402
from DICOMTeachLib.testdata import shared_data_directory  # noqa: E402


def plain_store(pacs: LessonPacs, files: list[Path]) -> int:
    import pynetdicom
    from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

    ae = pynetdicom.AE(ae_title="STORESCU")
    ae.add_requested_context("1.2.840.10008.5.1.4.1.1.2", [ExplicitVRLittleEndian, ImplicitVRLittleEndian])
    assoc = ae.associate("127.0.0.1", pacs.dicom_port, ae_title=pacs.ae_title)
    stored = sum(1 for path in files if assoc.send_c_store(str(path)).Status == 0)
    assoc.release()
    return stored


def plain_get(pacs: LessonPacs, study_uid: str, series_uid: str, folder: Path) -> int:
    import pynetdicom
    from pydicom import Dataset
    from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

    written = []

    def on_store(event):
        path = folder / f"{event.request.AffectedSOPInstanceUID}.dcm"
        path.write_bytes(event.encoded_dataset())
        written.append(path)
        return 0x0000

    ae = pynetdicom.AE(ae_title="GETSCU")
    ae.add_requested_context(dimse.STUDY_ROOT_GET, [ExplicitVRLittleEndian, ImplicitVRLittleEndian])
    ae.add_requested_context("1.2.840.10008.5.1.4.1.1.2", [ExplicitVRLittleEndian, ImplicitVRLittleEndian])
    role = pynetdicom.build_role("1.2.840.10008.5.1.4.1.1.2", scp_role=True)
    assoc = ae.associate("127.0.0.1", pacs.dicom_port, ae_title=pacs.ae_title, ext_neg=[role],
                         evt_handlers=[(pynetdicom.evt.EVT_C_STORE, on_store)])
    identifier = Dataset()
    identifier.QueryRetrieveLevel = "SERIES"
    identifier.StudyInstanceUID = study_uid
    identifier.SeriesInstanceUID = series_uid
    for _ in assoc.send_c_get(identifier, dimse.STUDY_ROOT_GET):
        pass
    assoc.release()
    return len(written)


CPU: dict[str, list[float]] = {}


def timed(function, *args, label: str = "") -> tuple[float, object]:
    """Wall seconds; the client's CPU seconds (all its threads, the PACS excluded) go to CPU[label]."""
    start, cpu = time.perf_counter(), time.process_time()
    result = function(*args)
    if label:
        CPU.setdefault(label, []).append(time.process_time() - cpu)
    return time.perf_counter() - start, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    data = shared_data_directory()
    if data is None:
        print("../shared/data is absent: no LIDC series to send")
        return 1
    files = sorted((data / "lidc-idri-0001-ct-seg" / "ct").glob("*.dcm"))
    import pydicom

    header = pydicom.dcmread(files[0], stop_before_pixels=True)
    study_uid, series_uid = str(header.StudyInstanceUID), str(header.SeriesInstanceUID)
    pacs = LessonPacs.start()
    peer = dimse.Peer.parse(pacs.dicom_address, called_ae=pacs.ae_title)
    samples: dict[str, list[float]] = {"plain store": [], "ours store": [], "plain get": [], "ours get": [],
                                       "ours find+get": []}
    try:
        plain_store(pacs, files)  # warm-up: the PACS holds the series, caches are warm
        for run in range(args.runs):
            order = ("plain", "ours") if run % 2 == 0 else ("ours", "plain")
            for who in order:
                if who == "plain":
                    seconds, count = timed(plain_store, pacs, files, label='plain store')
                else:
                    seconds, result = timed(dimse.store, peer, files, label='ours store')
                    count = sum(1 for i in result.instances if i.status.startswith("0x0000"))
                assert count == len(files), (who, count)
                samples[f"{who} store"].append(seconds)
            for who in order:
                with tempfile.TemporaryDirectory() as folder:
                    if who == "plain":
                        seconds, count = timed(plain_get, pacs, study_uid, series_uid, Path(folder), label='plain get')
                    else:  # knowing what the plain script knows: the study and the SOP class
                        seconds, result = timed(lambda: dimse.get(peer, series_uid, Path(folder), study_uid=study_uid,
                                                                  sop_classes=[str(header.SOPClassUID)]),
                                                label="ours get")
                        count = len(result.files)
                assert count == len(files), (who, count)
                samples[f"{who} get"].append(seconds)
            with tempfile.TemporaryDirectory() as folder:  # ours as the command runs it: C-FIND first
                seconds, result = timed(dimse.get, peer, series_uid, Path(folder))
                assert len(result.files) == len(files)
                samples["ours find+get"].append(seconds)
    finally:
        pacs.stop()
    medians = {name: statistics.median(values) for name, values in samples.items()}
    print(f"LIDC CT series, {len(files)} files, {args.runs} alternating runs, Orthanc on loopback")
    for name, value in medians.items():
        print(f"  {name:<12} median {value:7.3f} s   ({', '.join(f'{v:.3f}' for v in samples[name])})")
    for step in ("store", "get"):
        ratio = medians[f"ours {step}"] / medians[f"plain {step}"]
        print(f"  {step}: ours / plain pynetdicom = {ratio:.3f} (explanation overhead {100 * (ratio - 1):+.1f}%)")
    ratio = medians["ours find+get"] / medians["plain get"]
    print(f"  get with the C-FIND that learns study and SOP classes: ours / plain = {ratio:.3f}")
    cpu = {name: statistics.median(values) for name, values in CPU.items()}
    for step in ("store", "get"):
        print(f"  client CPU, {step}: plain {cpu[f'plain {step}']:.3f} s, ours {cpu[f'ours {step}']:.3f} s, "
              f"ratio {cpu[f'ours {step}'] / cpu[f'plain {step}']:.3f} (wall time is mostly the PACS and the "
              "machine's load; CPU is what the explanation adds)")
    total = (medians["ours store"] + medians["ours get"]) / (medians["plain store"] + medians["plain get"])
    print(f"  store + get: ours / plain = {total:.3f} (goal <= 1.10)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
