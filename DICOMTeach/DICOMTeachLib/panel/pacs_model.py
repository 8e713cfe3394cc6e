"""What the panel's PACS tab does, decided without Qt: whom to talk to, what to send, the exchange as text.

The tab sends the files the panel follows (a node's instances, a series picked in
the DICOM browser, or the one file shown) with C-STORE, echoes and queries
(C-FIND) the PACS, and shows each exchange explained (net.text). Every action
returns a :class:`PacsOutcome`; a PACS that is down, a wrong AE title or a bad
query key become a clear message in it, never an exception, and the library's
timeouts bound how long an action can take.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DICOMTeachError
from ..net.dimse import DEFAULT_CALLING_AE, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, LEVELS
from ..net.pacs import LOOPBACK, PACS_AE_TITLE
from .follow import NodeInstances

#: Orthanc's own default DICOM port; the lesson PACS (`dicomteach pacs start`) is used when it runs.
DEFAULT_ADDRESS = f"{LOOPBACK}:4242"
QUERY_LEVELS = tuple(LEVELS)


@dataclass
class PacsTarget:
    """The PACS and the AE titles the tab's fields hold."""

    address: str = DEFAULT_ADDRESS
    called_ae: str = PACS_AE_TITLE
    calling_ae: str = DEFAULT_CALLING_AE
    timeout: float = DEFAULT_TIMEOUT
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT

    def peer(self):
        from ..net.dimse import Peer

        return Peer.parse(self.address.strip(), called_ae=self.called_ae.strip(),
                          calling_ae=self.calling_ae.strip(), timeout=self.timeout,
                          connect_timeout=self.connect_timeout)


def default_target(folder: str | Path | None = None) -> PacsTarget:
    """The lesson PACS `dicomteach pacs start` left running (in ``folder``, by default its usual one), else
    a local Orthanc with its default port and AE title."""
    from ..net.pacs import LessonPacs, default_folder

    try:
        pacs = LessonPacs.from_folder(folder or default_folder())
    except DICOMTeachError:
        return PacsTarget()
    if not pacs.is_running():
        return PacsTarget()
    return PacsTarget(address=pacs.dicom_address, called_ae=pacs.ae_title)


@dataclass
class SendSelection:
    """What 'Send selected series' would send: the files followed, or why there are none."""

    name: str = ""
    files: list[str] = field(default_factory=list)
    message: str = ""

    @property
    def label(self) -> str:
        if not self.files:
            return self.message
        return f"{len(self.files)} file(s) of '{self.name}'"


def send_selection(instances: NodeInstances | None, shown_path: str = "") -> SendSelection:
    """The files of the node or series the panel follows (those still on disk), else the one file shown."""
    if instances is not None and instances.available:
        return SendSelection(instances.node_name, [instances.files[index] for index in instances.available])
    if shown_path:
        return SendSelection(Path(shown_path).name, [shown_path])
    if instances is not None:
        return SendSelection(instances.node_name, message=instances.message or
                             f"no file of '{instances.node_name}' is available to send")
    return SendSelection(message="nothing selected: pick a node loaded from DICOM, a series in the DICOM "
                         "browser, or open a file")


def parse_query_text(text: str) -> dict[str, str | None]:
    """'Modality=CT SeriesDescription="Liver CT" StudyDate=20200101- PatientName' -> query keys.

    Words split at spaces except inside quotes; backslashes stay (UID1\\UID2 is list matching). A word
    without '=' asks the PACS to return that attribute (universal matching).
    """
    from ..net.dimse import parse_keys

    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace_split = True
    lexer.escape = ""  # a backslash is DICOM's value separator here, not an escape
    lexer.commenters = ""
    try:
        words = list(lexer)
    except ValueError as error:  # an unclosed quote
        raise DICOMTeachError(f"cannot read the query keys {text!r}: {error}") from error
    return parse_keys(words)


@dataclass
class PacsOutcome:
    """One action's result: a one-line headline, the exchange explained (or the message), and what follows."""

    ok: bool
    headline: str
    text: str
    series_uids: list[str] = field(default_factory=list)  # the series sent (to query them back)
    matches: int | None = None  # C-FIND matches

    @property
    def follow_up_query(self) -> tuple[str, str] | None:
        """(level, keys) that finds what was just sent, as the Query fields show it."""
        if not self.series_uids:
            return None
        return "series", "SeriesInstanceUID=" + "\\".join(self.series_uids)


def _failed(what: str, target: PacsTarget, error: Exception) -> PacsOutcome:
    if isinstance(error, DICOMTeachError):
        reason = str(error)
    else:  # the library's bugs or pynetdicom's surprises: still a message, never a dead panel
        reason = f"{type(error).__name__}: {error}"
    return PacsOutcome(False, f"{what} failed: {reason}",
                       f"{what} with {target.address.strip() or '(no address)'}: not done\n\n{reason}\n")


def _guarded(what: str, target: PacsTarget, action: Callable[[], PacsOutcome]) -> PacsOutcome:
    try:
        return action()
    except Exception as error:  # noqa: BLE001 - every failure becomes the view's message
        return _failed(what, target, error)


def echo(target: PacsTarget) -> PacsOutcome:
    """C-ECHO: can we associate with this PACS, as these AE titles?"""
    def run() -> PacsOutcome:
        from ..net import dimse
        from ..net.text import render_exchange

        exchange = dimse.echo(target.peer())
        return PacsOutcome(exchange.ok, f"C-ECHO: {exchange.outcome}", render_exchange(exchange))

    return _guarded("C-ECHO", target, run)


def send(target: PacsTarget, selection: SendSelection,
         progress: Callable[[int, int], None] | None = None) -> PacsOutcome:
    """C-STORE the selected files on one association; the outcome names their series to query back.
    ``progress(done, total)`` after each instance."""
    def run() -> PacsOutcome:
        from ..examine import read_headers
        from ..net import dimse
        from ..net.text import render_exchange

        if not selection.files:
            raise DICOMTeachError(selection.message or "nothing to send")
        peer = target.peer()
        result = dimse.store(peer, selection.files, progress)
        headers, _unreadable = read_headers(selection.files)
        sent = {instance.path for instance in result.instances if instance.status.startswith("0x0000")}
        series = list(dict.fromkeys(str(header.get("SeriesInstanceUID", "")) for path, header in headers.items()
                                    if str(path) in sent))
        return PacsOutcome(result.exchange.ok, f"C-STORE of '{selection.name}': {result.exchange.outcome}",
                           render_exchange(result.exchange), series_uids=[uid for uid in series if uid])

    return _guarded("C-STORE", target, run)


def query(target: PacsTarget, level: str, keys_text: str) -> PacsOutcome:
    """C-FIND at ``level`` with the keys typed (KEY=VALUE words); each match is a C-FIND-RSP shown."""
    def run() -> PacsOutcome:
        from ..net import dimse
        from ..net.text import render_exchange

        keys = parse_query_text(keys_text)
        result = dimse.find(target.peer(), level, keys)
        return PacsOutcome(result.exchange.ok, f"C-FIND at {level} level: {result.exchange.outcome}",
                           render_exchange(result.exchange), matches=len(result.matches))

    return _guarded("C-FIND", target, run)
