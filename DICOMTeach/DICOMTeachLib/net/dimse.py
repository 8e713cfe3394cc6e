"""DIMSE operations against any PACS (pynetdicom), each returning the exchange explained.

    peer = Peer.parse("127.0.0.1:4242", called_ae="ORTHANC")
    exchange = echo(peer)
    result = store(peer, paths)            # one association, one presentation context per SOP class
    result = find(peer, "series", {"Modality": "CT", "SeriesDate": "20000101-"})
    result = get(peer, series_uid, out)    # C-GET: the matches come back on our association
    result = move(peer, series_uid, out)   # C-MOVE: the PACS opens an association to our storage SCP

Every message on every association is recorded through pynetdicom's notification
events (EVT_DIMSE_SENT/RECV, EVT_ACSE_RECV) and explained as it is recorded.
Nothing is written outside the output folder: received files are named by their
SOP Instance UID, which may only hold digits and dots.
"""

from __future__ import annotations

import hashlib
import logging
import re
import socket
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydicom import Dataset
from pydicom.datadict import tag_for_keyword
from pydicom.uid import UID, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from ..errors import DICOMTeachError
from ..standard.services import service_tables, sop_class_service
from .deps import require_pynetdicom
from .meanings import (
    CONTEXT_RESULTS,
    REJECTION_REASONS,
    REJECTION_SOURCES,
    command_fields,
    query_keys,
    sop_class_name,
)
from .model import Association, DimseMessage, Exchange, PresentationContext

DEFAULT_CALLING_AE = "DICOMTEACH"
DEFAULT_CALLED_AE = "ANY-SCP"
DEFAULT_TIMEOUT = 10.0
DEFAULT_CONNECT_TIMEOUT = 3.0
VERIFICATION = "1.2.840.10008.1.1"
STUDY_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.2.1"
STUDY_ROOT_MOVE = "1.2.840.10008.5.1.4.1.2.2.2"
STUDY_ROOT_GET = "1.2.840.10008.5.1.4.1.2.2.3"
PATIENT_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.1.1"
LEVELS = {"patient": "PATIENT", "study": "STUDY", "series": "SERIES", "image": "IMAGE"}
# What a find returns at each level when no key is given (the level's unique key and a few names).
DEFAULT_RETURN_KEYS = {
    "PATIENT": ["PatientID", "PatientName", "PatientBirthDate", "PatientSex"],
    "STUDY": ["StudyInstanceUID", "PatientID", "PatientName", "StudyDate", "StudyDescription", "AccessionNumber"],
    "SERIES": ["SeriesInstanceUID", "StudyInstanceUID", "Modality", "SeriesNumber", "SeriesDescription"],
    "IMAGE": ["SOPInstanceUID", "SOPClassUID", "SeriesInstanceUID", "StudyInstanceUID", "InstanceNumber"],
}
_UID_NAME = re.compile(r"^[0-9.]{1,64}$")
_quiet = logging.getLogger("pynetdicom")


class NetworkError(DICOMTeachError):
    """The peer could not be reached or the exchange could not be carried out."""


@dataclass(frozen=True)
class Peer:
    """Whom we talk to, as whom, and how long we wait."""

    host: str
    port: int
    called_ae: str = DEFAULT_CALLED_AE
    calling_ae: str = DEFAULT_CALLING_AE
    timeout: float = DEFAULT_TIMEOUT  # ACSE, DIMSE and network timeouts, seconds
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT

    @classmethod
    def parse(cls, address: str, **options) -> Peer:
        """'HOST:PORT' (IPv4 or a name) -> Peer; DICOMTeachError naming the address when malformed."""
        host, _, port = str(address).rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise DICOMTeachError(f"not a HOST:PORT address: {address!r} (e.g. 127.0.0.1:4242)")
        for key in ("called_ae", "calling_ae"):
            title = options.get(key)
            if title is not None and not (0 < len(title) <= 16 and title.isascii() and "\\" not in title):
                raise DICOMTeachError(f"an AE title has 1 to 16 ASCII characters without backslash: {title!r}")
        return cls(host=host, port=int(port), **{k: v for k, v in options.items() if v is not None})

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass
class StoredInstance:
    path: str
    sop_class_uid: str
    sop_instance_uid: str
    status: str  # the status text of its C-STORE-RSP, or why it was not sent


@dataclass
class StoreResult:
    exchange: Exchange
    instances: list[StoredInstance] = field(default_factory=list)


@dataclass
class FindResult:
    exchange: Exchange
    level: str
    matches: list[Dataset] = field(default_factory=list)


@dataclass
class RetrieveResult:
    exchange: Exchange
    files: list[Path] = field(default_factory=list)  # written in the output folder, sorted


# -- the recording of one association ---------------------------------------------------------------------


class _Recorder:
    """Event handlers that turn each DIMSE message and the association answer into the report."""

    def __init__(self, report: Association) -> None:
        self.report = report
        self.answer = None  # the A-ASSOCIATE response primitive (accept or reject)
        self.connected = False  # the TCP connection opened

    @property
    def handlers(self) -> list:
        evt = require_pynetdicom().evt
        return [(evt.EVT_DIMSE_SENT, self.sent), (evt.EVT_DIMSE_RECV, self.received),
                (evt.EVT_ACSE_RECV, self.acse), (evt.EVT_CONN_OPEN, self.opened)]

    def opened(self, event) -> None:
        self.connected = True

    def sent(self, event) -> None:
        self.report.messages.append(_message(event.message, "sent"))

    def received(self, event) -> None:
        self.report.messages.append(_message(event.message, "received"))

    def acse(self, event) -> None:
        if type(event.primitive).__name__ == "A_ASSOCIATE":
            self.answer = event.primitive


def _message(message, direction: str) -> DimseMessage:
    name = type(message).__name__.replace("_", "-")
    fields, status = command_fields(message.command_set, name)
    data_set = ""
    if name == "C-STORE-RQ":
        uid = message.command_set.get("AffectedSOPInstanceUID", "")
        data_set = f"the instance {uid} follows in P-DATA"
    return DimseMessage(direction, name, message.context_id, fields, status, data_set=data_set)


def _context_reports(assoc, recorder: _Recorder, requested) -> list[PresentationContext]:
    accepted = {cx.context_id: cx for cx in assoc.accepted_contexts}
    rejected = {cx.context_id: cx for cx in assoc.rejected_contexts}
    reports = []
    for cx in requested:
        uid = str(cx.abstract_syntax)
        service = sop_class_service(uid)
        proposed = [(str(ts), UID(ts).name) for ts in cx.transfer_syntax]
        report = PresentationContext(cx.context_id, uid, sop_class_name(uid), service.summary if service else "",
                                     proposed, "not answered")
        if cx.context_id in accepted:
            chosen = accepted[cx.context_id]
            report.result = "accepted"
            report.transfer_syntax = (str(chosen.transfer_syntax[0]), UID(chosen.transfer_syntax[0]).name)
            if chosen.as_scp and chosen.as_scu:
                report.roles = "we may act as SCU and SCP"
            elif chosen.as_scp:
                report.roles = "we act as SCP (we receive C-STOREs on it)"
        elif cx.context_id in rejected:
            result = rejected[cx.context_id].result
            report.result, report.reason = "rejected", CONTEXT_RESULTS.get(result, f"result {result}")
        reports.append(report)
    return reports


def _associate(ae, peer: Peer, handlers: list | None = None, ext_neg: list | None = None):
    """Request an association; returns (assoc, report, recorder). NetworkError when nobody answers."""
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = peer.timeout
    ae.connection_timeout = peer.connect_timeout
    report = Association(peer.calling_ae, peer.called_ae, peer.host, peer.port, "us", "")
    recorder = _Recorder(report)
    level = _quiet.level
    _quiet.setLevel(logging.CRITICAL)  # our report says it, once and in words
    try:
        assoc = ae.associate(peer.host, peer.port, ae_title=peer.called_ae, ext_neg=ext_neg,
                             evt_handlers=[*(handlers or []), *recorder.handlers])
    finally:
        _quiet.setLevel(level)
    requested = assoc.requestor.requested_contexts
    if not recorder.connected or (assoc.is_aborted and recorder.answer is None and not assoc.is_established):
        raise NetworkError(_unreachable_reason(peer))
    if assoc.is_established:
        report.outcome = "established"
        report.contexts = _context_reports(assoc, recorder, requested)
        report.max_pdu_length = assoc.acceptor.maximum_length
        version = assoc.acceptor.implementation_version_name or ""
        report.peer_implementation = f"{assoc.acceptor.implementation_class_uid} {version}".strip()
    elif assoc.is_rejected:
        answer = recorder.answer
        source, diagnostic = (answer.result_source, answer.diagnostic) if answer is not None else (None, None)
        permanence = "permanently" if answer is not None and answer.result == 1 else "for now (transient)"
        report.outcome = "rejected"
        report.reason = (f"rejected {permanence} by the {REJECTION_SOURCES.get(source, 'peer')}: "
                         f"{REJECTION_REASONS.get((source, diagnostic), f'reason {diagnostic}')}")
        report.contexts = _context_reports(assoc, recorder, requested)
    elif assoc.is_aborted:
        report.outcome = "aborted"
        report.reason = ("the peer aborted the association request (A-ABORT); often none of the proposed "
                         "presentation contexts was acceptable")
        report.contexts = _context_reports(assoc, recorder, requested)
    else:
        raise NetworkError(_unreachable_reason(peer))
    return assoc, report, recorder


def _unreachable_reason(peer: Peer) -> str:
    """Why no association came about: nobody listens, no answer in time, or not a DICOM service."""
    try:
        with socket.create_connection((peer.host, peer.port), timeout=peer.connect_timeout):
            pass
    except ConnectionRefusedError:
        return f"cannot reach {peer.address}: connection refused (no DICOM service listens on that port)"
    except TimeoutError:
        return (f"cannot reach {peer.address}: no answer within {peer.connect_timeout:g} s "
                "(a firewall, or a wrong address)")
    except OSError as error:
        return f"cannot reach {peer.address}: {error.strerror or error}"
    return (f"{peer.address} accepted the TCP connection but did not answer the association request within "
            f"{peer.timeout:g} s: is it a DICOM service?")


def _release(assoc, report: Association) -> None:
    if assoc.is_established:
        assoc.release()
        report.outcome = "released"


def _new_ae(peer: Peer):
    pynetdicom = require_pynetdicom()
    ae = pynetdicom.AE(ae_title=peer.calling_ae)
    return ae


def _exchange(operation: str, peer: Peer, report: Association) -> Exchange:
    return Exchange(operation=operation, peer=peer.address, associations=[report])


# -- operations -------------------------------------------------------------------------------------------


def echo(peer: Peer) -> Exchange:
    """C-ECHO: the Verification SOP class, the "ping" of DICOM."""
    ae = _new_ae(peer)
    ae.add_requested_context(VERIFICATION, [ExplicitVRLittleEndian, ImplicitVRLittleEndian])
    assoc, report, _ = _associate(ae, peer)
    exchange = _exchange("C-ECHO", peer, report)
    if assoc.is_established:
        status = assoc.send_c_echo()
        _release(assoc, report)
        exchange.outcome = _status_outcome(report, "C-ECHO-RSP") if status else "no response to C-ECHO"
    else:
        exchange.outcome = f"association {report.outcome}: {report.reason}"
    return exchange


def store(peer: Peer, paths: Sequence[str | Path],
          progress: Callable[[int, int], None] | None = None) -> StoreResult:
    """C-STORE every file on one association (one presentation context per SOP class).

    ``progress(done, total)`` is called after each instance (the panel keeps Slicer responsive with it).
    """
    from ..examine import read_header  # the project's fast header reader, pydicom's as fallback

    headers: list[tuple[str, str, str, str]] = []  # path, SOP class, SOP instance, transfer syntax
    skipped: list[StoredInstance] = []  # files of a folder that are not instances (a README, a DICOMDIR)
    for path in paths:
        try:
            ds = read_header(str(path))
            meta = getattr(ds, "file_meta", None)
            syntax = str(meta.get("TransferSyntaxUID", ExplicitVRLittleEndian)) if meta else ExplicitVRLittleEndian
            headers.append((str(path), str(ds.SOPClassUID), str(ds.SOPInstanceUID), syntax))
        except Exception as error:  # noqa: BLE001 - any unreadable file: one clear line, then the others
            skipped.append(StoredInstance(str(path), "", "", "not sent: not a readable DICOM instance with a SOP "
                                          f"Class and Instance UID ({type(error).__name__}: {error})"))
    if not headers:
        if skipped:
            raise DICOMTeachError(skipped[0].status.removeprefix("not sent: "), skipped[0].path)
        raise DICOMTeachError("no file to send")
    syntaxes: dict[str, list[str]] = {}
    for _, sop_class, _, syntax in headers:
        syntaxes.setdefault(sop_class, [])
        if syntax not in syntaxes[sop_class]:
            syntaxes[sop_class].append(syntax)
    if len(syntaxes) > 128:
        raise DICOMTeachError(f"{len(syntaxes)} SOP classes: more than the 128 presentation contexts one "
                              "association can propose; send them in parts")
    ae = _new_ae(peer)
    for sop_class, found in syntaxes.items():
        ae.add_requested_context(sop_class, list(dict.fromkeys([*found, ExplicitVRLittleEndian,
                                                                 ImplicitVRLittleEndian])))
    assoc, report, _ = _associate(ae, peer)
    result = StoreResult(_exchange("C-STORE", peer, report))
    if not assoc.is_established:
        result.exchange.outcome = f"association {report.outcome}: {report.reason}"
        result.instances = [StoredInstance(p, c, i, "not sent: no association") for p, c, i, _ in headers]
        return result
    accepted = {str(cx.abstract_syntax) for cx in assoc.accepted_contexts}
    try:
        for message_id, (path, sop_class, sop_instance, _) in enumerate(headers, start=1):
            if sop_class not in accepted:
                result.instances.append(StoredInstance(path, sop_class, sop_instance,
                                                       "not sent: its presentation context was rejected"))
                if progress is not None:
                    progress(message_id, len(headers))
                continue
            status = assoc.send_c_store(path, msg_id=message_id % 65536)  # each request its own Message ID
            text = report.messages[-1].status.text if status and report.messages[-1].status else \
                "no response (association aborted or timed out)"
            result.instances.append(StoredInstance(path, sop_class, sop_instance, text))
            if progress is not None:
                progress(message_id, len(headers))
            if not assoc.is_established:
                break
    finally:
        _release(assoc, report)
    stored = sum(1 for i in result.instances if i.status.startswith("0x0000"))
    result.exchange.outcome = f"{stored} of {len(headers)} instance(s) stored"
    if skipped:
        result.instances += skipped
        result.exchange.outcome += f"; {len(skipped)} file(s) skipped, not DICOM instances"
        result.exchange.notes += [f"skipped {item.path}: {item.status}" for item in skipped[:10]]
    return result


def parse_keys(texts: Iterable[str]) -> dict[str, str | None]:
    """'KEY=VALUE' words -> {KEY: VALUE}; 'KEY' alone -> {KEY: None} (a return key, universal matching)."""
    keys: dict[str, str | None] = {}
    for text in texts:
        key, equals, value = text.partition("=")
        if not key.strip():
            raise DICOMTeachError(f"a query key needs a name: {text!r} (e.g. PatientName=DOE^*)")
        keys[key.strip()] = value if equals else None
    return keys


def build_identifier(level: str, keys: Mapping[str, str | None] | Iterable[str]) -> Dataset:
    """A query identifier: Query/Retrieve Level plus keys ('Keyword' or 'gggg,eeee' -> value; None: return key).

    DICOMTeachError naming the key when it is not a DICOM attribute (no DIMSE is sent then).
    """
    from pydicom.datadict import dictionary_VR

    level_value = LEVELS.get(level.lower()) if isinstance(level, str) else None
    if level_value is None:
        raise DICOMTeachError(f"unknown query level {level!r}: one of {', '.join(LEVELS)}")
    pairs = keys.items() if isinstance(keys, Mapping) else ((key, None) for key in keys)
    identifier = Dataset()
    identifier.QueryRetrieveLevel = level_value
    for keyword in DEFAULT_RETURN_KEYS[level_value]:
        setattr(identifier, keyword, "")
    for key, value in pairs:
        tag = _tag(key)
        try:
            vr = dictionary_VR(tag)
        except KeyError:
            vr = "UN"
        with warnings.catch_warnings():  # "C*" or "2000-" are matching keys, not stored values: no VR warning
            warnings.simplefilter("ignore", UserWarning)
            if vr == "SQ":
                identifier.add_new(tag, vr, [Dataset()] if value in (None, "") else value)
            else:
                identifier.add_new(tag, vr.split(" or ")[0], value if value is not None else "")
    return identifier


def _tag(key: str) -> int:
    text = key.strip()
    match = re.fullmatch(r"\(?([0-9A-Fa-f]{4}),?([0-9A-Fa-f]{4})\)?", text)
    if match:
        return int(match.group(1) + match.group(2), 16)
    tag = tag_for_keyword(text)
    if tag is None:
        raise DICOMTeachError(f"unknown query key {key!r}: not a DICOM keyword (e.g. PatientName) "
                              "or tag (e.g. 0010,0010)")
    return tag


def find(peer: Peer, level: str, keys: Mapping[str, str | None] | Iterable[str] = (), *,
         model: str = "study") -> FindResult:
    """C-FIND at a level with single-value, wildcard, range or universal keys."""
    identifier = build_identifier(level, keys)
    information_model = PATIENT_ROOT_FIND if model == "patient" else STUDY_ROOT_FIND
    ae = _new_ae(peer)
    ae.add_requested_context(information_model, [ExplicitVRLittleEndian, ImplicitVRLittleEndian])
    assoc, report, _ = _associate(ae, peer)
    result = FindResult(_exchange("C-FIND", peer, report), identifier.QueryRetrieveLevel)
    if not assoc.is_established:
        result.exchange.outcome = f"association {report.outcome}: {report.reason}"
        return result
    try:
        result.matches = _find_on(assoc, report, identifier, information_model)
    finally:
        _release(assoc, report)
    result.exchange.outcome = _status_outcome(report, "C-FIND-RSP", f"{len(result.matches)} match(es)")
    result.exchange.notes.append(
        "Each match comes in its own C-FIND-RSP with status Pending (0xFF00); the last response, without "
        "identifier, says Success (0x0000) or why the query failed.")
    return result


def _find_on(assoc, report: Association, identifier: Dataset, information_model: str) -> list[Dataset]:
    """One C-FIND on an established association: the matches, every message recorded."""
    matches = []
    for number, (status, answer) in enumerate(_encoded(assoc.send_c_find(identifier, information_model))):
        if number == 0:
            _attach(report, "C-FIND-RQ", identifier)
        if status and status.Status in (0xFF00, 0xFF01) and answer is not None:
            matches.append(answer)
            _attach(report, "C-FIND-RSP", answer, returned=True)
    return matches


def _encoded(responses):
    """pynetdicom's responses; a key value its VR cannot hold becomes one clear error (nothing was sent)."""
    try:
        yield from responses
    except ValueError as error:
        if "encode" not in str(error):
            raise
        raise DICOMTeachError("the query identifier cannot be encoded: a key's value does not fit its VR "
                              f"({error})") from error


def _attach(report: Association, name: str, identifier: Dataset, returned: bool = False) -> None:
    """The identifier of the first message of this name still without one (responses are read ahead, in
    order, so the answer being handled is the earliest one not yet paired)."""
    for message in report.messages:
        if message.name == name and not message.identifier and (
                returned is False or (message.status is not None and message.status.category == "Pending")):
            message.identifier = query_keys(identifier, returned)
            return


def _status_outcome(report: Association, response: str, prefix: str = "") -> str:
    last = next((m for m in reversed(report.messages) if m.name == response and m.status), None)
    status = last.status.text if last else "no final response"
    return f"{prefix}; final status {status}" if prefix else f"final status {status}"


@dataclass
class _SeriesFacts:
    exchange: Exchange
    study_uid: str = ""
    sop_classes: list[str] = field(default_factory=list)


def _series_facts(peer: Peer, series_uid: str, sop_classes: bool = True) -> _SeriesFacts:
    """The series' study and the SOP classes to propose for its retrieval, asked on one association: SERIES
    level for the study, then STUDY level for SOP Classes in Study (IMAGE level when the PACS lacks it)."""
    ae = _new_ae(peer)
    ae.add_requested_context(STUDY_ROOT_FIND, [ExplicitVRLittleEndian, ImplicitVRLittleEndian])
    assoc, report, _ = _associate(ae, peer)
    facts = _SeriesFacts(_exchange("C-FIND", peer, report))
    if not assoc.is_established:
        facts.exchange.outcome = f"association {report.outcome}: {report.reason}"
        return facts
    try:
        series = _find_on(assoc, report, build_identifier("series", {"SeriesInstanceUID": series_uid}),
                          STUDY_ROOT_FIND)
        if not series:
            raise NetworkError(f"the PACS at {peer.address} has no series {series_uid}")
        facts.study_uid = str(series[0].get("StudyInstanceUID", ""))
        if not sop_classes:  # C-MOVE: the PACS, not we, proposes the storage contexts
            return facts
        study = _find_on(assoc, report, build_identifier("study", {"StudyInstanceUID": facts.study_uid,
                                                                   "SOPClassesInStudy": None}), STUDY_ROOT_FIND)
        classes = study[0].get("SOPClassesInStudy", []) if study else []
        if not classes:
            images = _find_on(assoc, report, build_identifier("image", {
                "StudyInstanceUID": facts.study_uid, "SeriesInstanceUID": series_uid, "SOPClassUID": None}),
                STUDY_ROOT_FIND)
            classes = [match.get("SOPClassUID", "") for match in images]
        classes = [classes] if isinstance(classes, str) else classes
        facts.sop_classes = sorted({str(uid) for uid in classes} - {""})
    finally:
        _release(assoc, report)
        classes_text = f", SOP classes {', '.join(facts.sop_classes)}" if facts.sop_classes else ""
        facts.exchange.outcome = _status_outcome(report, "C-FIND-RSP", f"study {facts.study_uid}{classes_text}")
    return facts


def _safe_name(uid: str) -> str:
    """A file name from a SOP Instance UID that cannot leave the folder (digits and dots only)."""
    uid = uid.strip().rstrip("\x00")
    if _UID_NAME.match(uid) and uid.strip("."):
        return f"{uid}.dcm"
    return f"instance-{hashlib.sha1(uid.encode('utf-8', 'replace')).hexdigest()[:16]}.dcm"


class _StorageTarget:
    """Writes each received C-STORE as a DICOM file in the output folder, exactly as sent."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.files: list[Path] = []
        self._lock = threading.Lock()

    def handle(self, event) -> int:
        uid = str(event.request.AffectedSOPInstanceUID)
        path = self.folder / _safe_name(uid)
        try:
            path.write_bytes(event.encoded_dataset(include_meta=True))
        except OSError:
            return 0xA700  # Refused: Out of Resources
        with self._lock:
            self.files.append(path)
        return 0x0000


def _output_folder(out_dir: str | Path) -> Path:
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DICOMTeachError(f"cannot create the output folder ({error.strerror or error})", folder) from error
    return folder


def _storage_syntaxes() -> list[str]:
    """What we accept as storage SCP: the uncompressed ones first, then every other one pydicom names."""
    from pydicom.uid import AllTransferSyntaxes

    preferred = [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
    return [*preferred, *(ts for ts in AllTransferSyntaxes if ts not in preferred)]


def get(peer: Peer, series_uid: str, out_dir: str | Path, *, study_uid: str | None = None,
        sop_classes: Sequence[str] | None = None) -> RetrieveResult:
    """C-GET a series: a C-FIND first to learn its study and SOP classes (unless the caller knows both, e.g.
    from an earlier query), then the C-GET whose matches come back as C-STORE sub-operations on our own
    association (we are the storage SCP on it)."""
    pynetdicom = require_pynetdicom()
    folder = _output_folder(out_dir)
    if study_uid and sop_classes:
        found = _SeriesFacts(Exchange("C-FIND", peer.address), study_uid, sorted(set(sop_classes)))
    else:
        found = _series_facts(peer, series_uid)
        if not found.exchange.ok:
            return RetrieveResult(found.exchange)
    sop_classes, study_uid = found.sop_classes, found.study_uid
    ae = _new_ae(peer)
    ae.add_requested_context(STUDY_ROOT_GET, [ExplicitVRLittleEndian, ImplicitVRLittleEndian])
    syntaxes = _storage_syntaxes()
    for sop_class in sop_classes[:127]:
        ae.add_requested_context(sop_class, syntaxes)
    roles = [pynetdicom.build_role(sop_class, scp_role=True) for sop_class in sop_classes[:127]]
    target = _StorageTarget(folder)
    assoc, report, _ = _associate(ae, peer, [(pynetdicom.evt.EVT_C_STORE, target.handle)], ext_neg=roles)
    exchange = _exchange("C-GET", peer, report)
    exchange.associations[:0] = found.exchange.associations
    result = RetrieveResult(exchange)
    if assoc.is_established:
        identifier = _retrieve_identifier(study_uid, series_uid)
        try:
            for number, _ in enumerate(assoc.send_c_get(identifier, STUDY_ROOT_GET)):
                if number == 0:
                    _attach(report, "C-GET-RQ", identifier)
        finally:
            _release(assoc, report)
        exchange.outcome = _status_outcome(report, "C-GET-RSP", f"{len(target.files)} file(s) written to {folder}")
    else:
        exchange.outcome = f"association {report.outcome}: {report.reason}"
    exchange.notes += [
        "A C-GET SCU must propose, with the SCP role, a presentation context for each SOP class it will "
        "receive: " + ("we asked C-FIND first (the series' study, then SOP Classes in Study)."
                       if found.exchange.associations else "the caller named them."),
        "C-GET: the PACS sends each instance as a C-STORE-RQ on OUR association (roles swapped by SCP/SCU role "
        "selection); no second association, no firewall opening, the PACS needs no address for us.",
    ]
    result.files = sorted(target.files)
    return result


def _retrieve_identifier(study_uid: str, series_uid: str) -> Dataset:
    identifier = Dataset()
    identifier.QueryRetrieveLevel = "SERIES"
    identifier.StudyInstanceUID = study_uid
    identifier.SeriesInstanceUID = series_uid
    return identifier


def move(peer: Peer, series_uid: str, out_dir: str | Path, *, move_ae: str = DEFAULT_CALLING_AE,
         move_port: int = 11113, listen_host: str = "127.0.0.1") -> RetrieveResult:
    """C-MOVE a series to our own storage SCP (AE ``move_ae`` on ``listen_host:move_port``), which the PACS must
    know by that AE title: the PACS opens a second association to us and sends C-STOREs on it."""
    pynetdicom = require_pynetdicom()
    evt = pynetdicom.evt
    folder = _output_folder(out_dir)
    found = _series_facts(peer, series_uid, sop_classes=False)
    if not found.exchange.ok:
        return RetrieveResult(found.exchange)
    study_uid = found.study_uid
    target = _StorageTarget(folder)
    incoming: dict[int, tuple[Association, _Recorder]] = {}
    lock = threading.Lock()

    def incoming_report(event) -> Association:
        with lock:
            key = id(event.assoc)
            if key not in incoming:
                requestor = event.assoc.requestor
                report = Association(requestor.ae_title, move_ae, requestor.address, requestor.port, "the peer",
                                     "established")
                incoming[key] = (report, _Recorder(report))
            return incoming[key][0]

    def on_accepted(event) -> None:
        report = incoming_report(event)
        report.contexts = _context_reports(event.assoc, None, event.assoc.requestor.requested_contexts)
        report.peer_implementation = (f"{event.assoc.requestor.implementation_class_uid} "
                                      f"{event.assoc.requestor.implementation_version_name or ''}").strip()

    def on_released(event) -> None:
        incoming_report(event).outcome = "released"

    def on_dimse(direction):
        def handler(event) -> None:
            incoming_report(event).messages.append(_message(event.message, direction))
        return handler

    scp = pynetdicom.AE(ae_title=move_ae)
    scp.network_timeout = scp.dimse_timeout = scp.acse_timeout = peer.timeout
    syntaxes = _storage_syntaxes()
    for service in service_tables().sop_classes("storage"):
        scp.add_supported_context(service.uid, syntaxes)
    handlers = [(evt.EVT_C_STORE, target.handle), (evt.EVT_ACCEPTED, on_accepted),
                (evt.EVT_RELEASED, on_released), (evt.EVT_DIMSE_SENT, on_dimse("sent")),
                (evt.EVT_DIMSE_RECV, on_dimse("received"))]
    try:
        server = scp.start_server((listen_host, move_port), block=False, evt_handlers=handlers)
    except OSError as error:
        raise NetworkError(f"cannot listen on {listen_host}:{move_port} for the C-MOVE sub-operations "
                           f"({error.strerror or error})") from error
    try:
        ae = _new_ae(peer)
        ae.add_requested_context(STUDY_ROOT_MOVE, [ExplicitVRLittleEndian, ImplicitVRLittleEndian])
        assoc, report, _ = _associate(ae, peer)
        exchange = _exchange("C-MOVE", peer, report)
        exchange.associations[:0] = found.exchange.associations
        if assoc.is_established:
            identifier = _retrieve_identifier(study_uid, series_uid)
            try:
                for number, _ in enumerate(assoc.send_c_move(identifier, move_ae, STUDY_ROOT_MOVE)):
                    if number == 0:
                        _attach(report, "C-MOVE-RQ", identifier)
            finally:
                _release(assoc, report)
            exchange.outcome = _status_outcome(report, "C-MOVE-RSP",
                                               f"{len(target.files)} file(s) written to {folder}")
        else:
            exchange.outcome = f"association {report.outcome}: {report.reason}"
    finally:
        server.shutdown()
    exchange.associations += [report for report, _ in incoming.values()]
    exchange.notes += [
        f"C-MOVE: we only name the destination AE title ({move_ae}); the PACS looks up its address in its own "
        "configuration and OPENS A NEW ASSOCIATION to it, acting as storage SCU; we listen as storage SCP on "
        f"{listen_host}:{move_port}.",
        "Our association only carries C-MOVE-RSPs counting the sub-operations (remaining, completed, failed, "
        "warning); the instances travel on the PACS's association.",
    ]
    return RetrieveResult(exchange, sorted(target.files))
