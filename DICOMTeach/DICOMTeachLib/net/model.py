"""What an explained network exchange is made of: plain, typed data (JSON and text views read it).

An :class:`Exchange` is one operation (echo, store, find, get, move, or a DICOMweb
request) as it happened: the associations (ours to the peer, and for C-MOVE the
peer's back to us), each presentation context with its result, every DIMSE
message's command set with the meaning of each field, the query keys with their
matching type and every status with its meaning.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Direction = Literal["sent", "received"]


@dataclass
class CommandField:
    """One element of a DIMSE command set (group 0000)."""

    tag: str  # "(0000,0100)"
    keyword: str  # "CommandField"
    value: str  # "0x0020"
    meaning: str = ""  # "C-FIND-RQ: a query request"


@dataclass
class QueryKey:
    """One attribute of a query identifier and how the SCP matches it (PS3.4 C.2.2.2)."""

    tag: str
    keyword: str
    vr: str
    value: str
    matching: str  # "single value", "wildcard", "range", "list of UIDs", "universal", "sequence", "returned"


@dataclass
class Status:
    """A DIMSE status: the code, its category and what it means for this service (PS3.7 Annex C, PS3.4)."""

    code: int
    category: str  # "Success", "Pending", "Cancel", "Warning", "Failure"
    meaning: str

    @property
    def text(self) -> str:
        return f"0x{self.code:04X} {self.category}" + (f": {self.meaning}" if self.meaning else "")


@dataclass
class DimseMessage:
    """One DIMSE message: its command set explained, the identifier's keys, the status of a response."""

    direction: Direction
    name: str  # "C-FIND-RQ"
    context_id: int | None
    fields: list[CommandField] = field(default_factory=list)
    status: Status | None = None
    identifier: list[QueryKey] = field(default_factory=list)
    data_set: str = ""  # one line about the data set that followed the command (C-STORE), "" when none


@dataclass
class PresentationContext:
    """A presentation context: abstract syntax (the SOP class) + transfer syntaxes, and what the acceptor said."""

    id: int
    abstract_syntax: str
    abstract_syntax_name: str
    service: str  # "Storage service class (PS3.4 Annex B), DIMSE C-STORE"
    proposed_transfer_syntaxes: list[tuple[str, str]]
    result: str  # "accepted", "rejected", "not answered"
    transfer_syntax: tuple[str, str] | None = None  # the one accepted
    reason: str = ""  # why it was rejected (PS3.8 9.3.3.2)
    roles: str = ""  # SCP/SCU role selection, when negotiated (C-GET: we are the storage SCP)


@dataclass
class Association:
    """One association: who asked whom, what was negotiated, and the messages on it."""

    requestor_ae: str
    acceptor_ae: str  # the called AE title
    host: str
    port: int
    initiated_by: str  # "us" or "the peer" (the C-MOVE sub-operations come back on the peer's association)
    outcome: str  # "released", "rejected", "aborted", "unreachable", "established"
    reason: str = ""  # rejection/abort/unreachable reason in words
    contexts: list[PresentationContext] = field(default_factory=list)
    max_pdu_length: int | None = None  # the acceptor's, bytes (0: unlimited)
    peer_implementation: str = ""  # Implementation Class UID / Version Name of the other side
    messages: list[DimseMessage] = field(default_factory=list)

    @property
    def established(self) -> bool:
        return self.outcome in ("released", "established")


@dataclass
class HttpRequest:
    """A DICOMweb request as sent, the answer, and the DIMSE service that does the same job."""

    service: str  # "QIDO-RS", "WADO-RS", "STOW-RS"
    method: str
    url: str
    headers: dict[str, str]
    status_code: int | None
    reason: str
    response_headers: dict[str, str]
    body: Any = None  # DICOM JSON (a list of objects) or a one-line summary of a multipart body
    dimse_equivalent: str = ""


@dataclass
class Exchange:
    """One operation as it happened on the network, explained."""

    operation: str  # "C-ECHO", "C-STORE", "C-FIND", "C-GET", "C-MOVE", "QIDO-RS", ...
    peer: str  # "127.0.0.1:4242" or a URL
    associations: list[Association] = field(default_factory=list)
    requests: list[HttpRequest] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the student should take away (roles, mapping)
    outcome: str = ""  # one line: what happened

    @property
    def ok(self) -> bool:
        if self.requests:
            return all(r.status_code is not None and r.status_code < 400 for r in self.requests)
        return bool(self.associations) and self.associations[0].established and not any(
            m.status and m.status.category == "Failure" for a in self.associations for m in a.messages)

    def messages(self, name: str | None = None) -> list[DimseMessage]:
        return [m for a in self.associations for m in a.messages if name is None or m.name == name]

    def to_json_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        return data
