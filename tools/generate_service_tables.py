"""Generate DICOMTeachLib/standard/data/service_tables.json: SOP class -> service class -> DIMSE services.

A SOP class pairs an IOD (the object) with a service. The object half comes from
tools/generate_standard_tables.py; this script writes the service half, so that inside
Slicer every SOP class (Verification, the Query/Retrieve models, Storage, ...) is named and
placed in its service class without pynetdicom installed.

Sources:
  * pynetdicom's SOP class registry (``pynetdicom.sop_class``): which service class each SOP
    class UID belongs to (PS3.4), and the SOP class names it knows that pydicom's dictionary
    does not have yet (e.g. 1.2.840.10008.5.1.4.1.1.66.7 Label Map Segmentation Storage);
  * pydicom's UID dictionary: names and the retired flag of every SOP class, retired ones
    included (they are placed in a service class by their name, see ``service_by_name``).

The service class -> DIMSE services table below is PS3.4 (each class's annex) and PS3.7 (the DIMSE
services); it is the only hand-written part and lists facts, not prose.

    python tools/generate_service_tables.py            # rewrite the shipped file
    python tools/generate_service_tables.py --check    # exit 1 when the shipped file is out of date
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA_FILE = ROOT / "DICOMTeach" / "DICOMTeachLib" / "standard" / "data" / "service_tables.json"
FORMAT_VERSION = 1

# pynetdicom service class -> (key, name, PS3.4 annex, DIMSE services its SOP classes use).
SERVICE_CLASSES: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "VerificationServiceClass": ("verification", "Verification", "A", ("C-ECHO",)),
    "StorageServiceClass": ("storage", "Storage", "B", ("C-STORE",)),
    "QueryRetrieveServiceClass": ("query-retrieve", "Query/Retrieve", "C", ("C-FIND", "C-MOVE", "C-GET")),
    "ProcedureStepServiceClass": ("procedure-step", "Procedure Step", "F", ("N-CREATE", "N-SET", "N-GET",
                                                                           "N-EVENT-REPORT")),
    "PrintManagementServiceClass": ("print-management", "Print Management", "H",
                                    ("N-CREATE", "N-SET", "N-GET", "N-ACTION", "N-DELETE", "N-EVENT-REPORT")),
    "MediaStorageServiceClass": ("media-storage", "Media Storage", "I", ()),
    "StorageCommitmentServiceClass": ("storage-commitment", "Storage Commitment", "J",
                                      ("N-ACTION", "N-EVENT-REPORT")),
    "BasicWorklistManagementServiceClass": ("basic-worklist", "Basic Worklist Management", "K", ("C-FIND",)),
    "ApplicationEventLoggingServiceClass": ("application-event-logging", "Application Event Logging", "P",
                                            ("N-ACTION",)),
    "InstanceAvailabilityNotificationServiceClass": ("instance-availability", "Instance Availability "
                                                     "Notification", "R", ("N-CREATE",)),
    "MediaCreationManagementServiceClass": ("media-creation", "Media Creation Management", "S",
                                            ("N-CREATE", "N-ACTION", "N-GET")),
    "HangingProtocolQueryRetrieveServiceClass": ("hanging-protocol-qr", "Hanging Protocol Query/Retrieve", "U",
                                                 ("C-FIND", "C-MOVE", "C-GET")),
    "SubstanceAdministrationQueryServiceClass": ("substance-administration", "Substance Administration Query",
                                                 "V", ("C-FIND",)),
    "ColorPaletteQueryRetrieveServiceClass": ("color-palette-qr", "Color Palette Query/Retrieve", "X",
                                              ("C-FIND", "C-MOVE", "C-GET")),
    "InstanceAndFrameLevelRetrieveServiceClass": ("frame-level-retrieve", "Instance and Frame Level Retrieve",
                                                  "Y", ("C-MOVE", "C-GET")),
    "ImplantTemplateQueryRetrieveServiceClass": ("implant-template-qr", "Implant Template Query/Retrieve", "BB",
                                                 ("C-FIND", "C-MOVE", "C-GET")),
    "UnifiedProcedureStepServiceClass": ("unified-procedure-step", "Unified Procedure Step", "CC",
                                         ("N-CREATE", "N-SET", "N-GET", "N-ACTION", "N-EVENT-REPORT", "C-FIND")),
    "RTMachineVerificationServiceClass": ("rt-machine-verification", "RT Machine Verification", "DD",
                                          ("N-CREATE", "N-SET", "N-GET", "N-ACTION", "N-DELETE",
                                           "N-EVENT-REPORT")),
    "DisplaySystemManagementServiceClass": ("display-system", "Display System Management", "EE", ("N-GET",)),
    "NonPatientObjectStorageServiceClass": ("non-patient-storage", "Non-Patient Object Storage", "GG",
                                            ("C-STORE",)),
    "DefinedProcedureProtocolQueryRetrieveServiceClass": ("defined-procedure-qr", "Defined Procedure Protocol "
                                                          "Query/Retrieve", "HH", ("C-FIND", "C-MOVE", "C-GET")),
    "ProtocolApprovalQueryRetrieveServiceClass": ("protocol-approval-qr", "Protocol Approval Query/Retrieve", "II",
                                                  ("C-FIND", "C-MOVE", "C-GET")),
    "RelevantPatientInformationQueryServiceClass": ("relevant-patient", "Relevant Patient Information Query",
                                                    "Q", ("C-FIND",)),
    "InventoryQueryRetrieveServiceClass": ("inventory-qr", "Inventory Query/Retrieve", "KK",
                                           ("C-FIND", "C-MOVE", "C-GET")),
    "StorageManagementServiceClass": ("storage-management", "Storage Management", "LL", ("N-ACTION",
                                                                                        "N-EVENT-REPORT")),
    # Not PS3.4 DIMSE service classes: kept so such UIDs are named, not "unknown".
    "DetachedManagement": ("detached-management", "Detached Management (retired)", "", ()),
    "RealTimeCommunication": ("real-time", "Real-Time Communication (PS3.22, RTP, no DIMSE)", "", ()),
    "Other": ("other", "Other", "", ()),
}

# pynetdicom groups that are not in its _SERVICE_TO_UID_GROUP table (service class named here).
EXTRA_GROUPS = {
    "_INVENTORY_CLASSES": "InventoryQueryRetrieveServiceClass",
    "_STORAGE_MANAGEMENT_CLASSES": "StorageManagementServiceClass",
    "_MEDIA_STORAGE_CLASSES": "MediaStorageServiceClass",
}

# A Query/Retrieve-like SOP class uses one DIMSE service, read from the end of its name.
_SINGLE_SERVICE_SUFFIX = {"find": "C-FIND", "move": "C-MOVE", "get": "C-GET", "query": "C-FIND"}

# Unified Procedure Step: each SOP class uses part of the service class's DIMSE services (PS3.4 CC.2).
_UPS_SERVICES = {
    "push": ("N-CREATE", "N-ACTION", "N-GET"),
    "pull": ("C-FIND", "N-GET", "N-SET", "N-ACTION"),
    "watch": ("N-ACTION", "N-GET", "C-FIND"),
    "event": ("N-EVENT-REPORT",),
    "query": ("C-FIND",),
}


def _spaced(keyword: str) -> str:
    """'LabelMapSegmentationStorage' -> 'Label Map Segmentation Storage' (names pydicom lacks)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", keyword)


def service_by_name(name: str) -> str:
    """The service class of a SOP class pynetdicom does not register (mostly retired ones), by its name."""
    lowered = name.lower()
    if "real-time communication" in lowered:
        return "RealTimeCommunication"
    if lowered.startswith(("detached", "study component")) or "results management" in lowered:
        return "DetachedManagement"
    if "print" in lowered or lowered.startswith(("referenced image box", "voi lut box", "image overlay box",
                                                "basic print", "hardcopy", "stored print")):
        return "PrintManagementServiceClass"
    if lowered.startswith("inventory"):
        return "InventoryQueryRetrieveServiceClass"
    if "worklist" in lowered:
        return "BasicWorklistManagementServiceClass"
    if "storage commitment" in lowered:
        return "StorageCommitmentServiceClass"
    if "directory storage" in lowered:
        return "MediaStorageServiceClass"
    if "procedure step" in lowered:
        return "UnifiedProcedureStepServiceClass" if "unified" in lowered else "ProcedureStepServiceClass"
    if "machine verification" in lowered:
        return "RTMachineVerificationServiceClass"
    if "storage" in lowered or lowered.startswith(("dicos", "eddy current")):
        return "StorageServiceClass"
    return "Other"


def dimse_services(service: str, name: str) -> list[str]:
    """The DIMSE services of one SOP class: the service class's, or one of C-FIND/C-MOVE/C-GET by its name."""
    services = SERVICE_CLASSES[service][3]
    words = [word for word in re.findall(r"[a-z]+", name.lower()) if word not in ("trial", "sop", "class")]
    last = words[-1] if words else ""
    if last in _SINGLE_SERVICE_SUFFIX and _SINGLE_SERVICE_SUFFIX[last] in services:
        return [_SINGLE_SERVICE_SUFFIX[last]]
    if service == "UnifiedProcedureStepServiceClass":
        kind = next((word for word in words if word in _UPS_SERVICES), None)
        if kind:
            return list(_UPS_SERVICES[kind])
    return list(services)


def build() -> dict[str, Any]:
    import pydicom
    import pynetdicom
    from pydicom._uid_dict import UID_dictionary
    from pynetdicom import sop_class as registry

    by_uid: dict[str, tuple[str, str]] = {}  # uid -> (service class, pynetdicom keyword)
    groups = {cls.__name__: group for cls, group in registry._SERVICE_TO_UID_GROUP.items()}
    for attribute, service in EXTRA_GROUPS.items():
        groups.setdefault(service, getattr(registry, attribute, {}))
    for service, group in groups.items():
        if service not in SERVICE_CLASSES:
            raise SystemExit(f"pynetdicom service class {service} is not in SERVICE_CLASSES: add it (PS3.4)")
        for keyword, uid in group.items():
            by_uid.setdefault(uid, (service, keyword))
    rows = []
    uids = {uid for uid, entry in UID_dictionary.items() if entry[1] in ("SOP Class", "Meta SOP Class")}
    for uid in sorted(uids | set(by_uid), key=lambda u: tuple(int(p) for p in u.split("."))):
        entry = UID_dictionary.get(uid)
        name = entry[0] if entry and entry[0] else _spaced(by_uid[uid][1]) if uid in by_uid else ""
        if not name:
            continue  # a UID pydicom lists without a name and pynetdicom does not register
        retired = bool(entry and entry[3])
        service = by_uid[uid][0] if uid in by_uid else service_by_name(name)
        rows.append([uid, name, SERVICE_CLASSES[service][0], dimse_services(service, name), int(retired)])
    return {
        "format": FORMAT_VERSION,
        "sources": {"pydicom": pydicom.__version__, "pynetdicom": pynetdicom.__version__},
        "service_classes": {key: [name, annex, list(services)]
                            for key, name, annex, services in SERVICE_CLASSES.values()},
        "sop_classes": rows,
    }


def encode(data: dict[str, Any]) -> bytes:
    """The file's bytes: one SOP class per line, so a diff shows what changed."""
    head = {key: value for key, value in data.items() if key != "sop_classes"}
    text = json.dumps(head, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    rows = ",\n".join(json.dumps(row, separators=(",", ":"), ensure_ascii=False) for row in data["sop_classes"])
    return (text[:-1] + ',"sop_classes":[\n' + rows + "\n]}\n").encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=DATA_FILE)
    parser.add_argument("--check", action="store_true", help="exit 1 when the shipped file is out of date")
    args = parser.parse_args(argv)
    facts = build()
    data = encode(facts)
    if args.check:
        if not DATA_FILE.exists() or DATA_FILE.read_bytes() != data:
            print(f"{DATA_FILE} is out of date: run python tools/generate_service_tables.py", file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(data)
    print(f"wrote {args.output} ({len(data)} bytes): {len(facts['sop_classes'])} SOP classes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
