"""SOP class = IOD + service: the service half, read from the shipped facts file.

``data/service_tables.json`` is written by tools/generate_service_tables.py (from
pynetdicom's SOP class registry and pydicom's UID dictionary); reading it needs
neither, so Slicer names every SOP class and its service class as it is.

    from DICOMTeachLib.standard.services import sop_class_service
    service = sop_class_service("1.2.840.10008.1.1")
    service.name, service.service_class.name, service.dimse   # Verification SOP Class, Verification, ('C-ECHO',)
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

from ..errors import DICOMTeachError

DATA_FILE = Path(__file__).resolve().parent / "data" / "service_tables.json"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class ServiceClass:
    """A PS3.4 service class: what its SOP classes do over the network."""

    key: str  # "storage", "query-retrieve", ...
    name: str  # "Storage"
    annex: str  # PS3.4 annex ("B"); "" when not a PS3.4 service class
    dimse: tuple[str, ...]  # the DIMSE services its SOP classes use

    @property
    def reference(self) -> str:
        return f"PS3.4 Annex {self.annex}" if self.annex else ""


@dataclass(frozen=True)
class SOPClassService:
    """One SOP class with its service class and the DIMSE services it uses."""

    uid: str
    name: str
    service_class: ServiceClass
    dimse: tuple[str, ...]  # e.g. ("C-STORE",) or ("C-FIND",) for a Q/R FIND model
    retired: bool

    @property
    def summary(self) -> str:
        """'Storage service class (PS3.4 Annex B), DIMSE C-STORE'."""
        text = f"{self.service_class.name} service class"
        if self.service_class.annex:
            text += f" ({self.service_class.reference})"
        return text + (f", DIMSE {'/'.join(self.dimse)}" if self.dimse else ", no DIMSE service")


class ServiceTables:
    def __init__(self, data: dict) -> None:
        if data.get("format") != FORMAT_VERSION:
            raise DICOMTeachError(f"service tables file has format {data.get('format')!r}, expected "
                                  f"{FORMAT_VERSION}: run python tools/generate_service_tables.py", DATA_FILE)
        self.sources: dict[str, str] = data["sources"]
        self.service_classes = {key: ServiceClass(key, name, annex, tuple(dimse))
                                for key, (name, annex, dimse) in data["service_classes"].items()}
        self._rows = {row[0]: row for row in data["sop_classes"]}

    def sop_class(self, uid: str) -> SOPClassService | None:
        """The SOP class with this UID, or None when neither pydicom nor pynetdicom knew it."""
        row = self._rows.get(str(uid).strip().rstrip("\x00"))
        if row is None:
            return None
        uid, name, key, dimse, retired = row
        return SOPClassService(uid, name, self.service_classes[key], tuple(dimse), bool(retired))

    def sop_classes(self, service_key: str | None = None) -> list[SOPClassService]:
        entries = [self.sop_class(uid) for uid in self._rows]
        return [entry for entry in entries if entry and (service_key is None or entry.service_class.key == service_key)]


_tables: ServiceTables | None = None
_lock = threading.Lock()


def service_tables() -> ServiceTables:
    """The service facts, read once per process on first use."""
    global _tables
    if _tables is None:
        with _lock:
            if _tables is None:
                try:
                    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
                except (OSError, ValueError) as error:
                    raise DICOMTeachError(f"cannot read the service tables: {error}", DATA_FILE) from error
                _tables = ServiceTables(data)
    return _tables


def sop_class_service(uid: str) -> SOPClassService | None:
    """Shortcut: the SOP class's service facts, None when unknown."""
    return service_tables().sop_class(uid)
