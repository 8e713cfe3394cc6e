"""The panel's PACS tab: echo, send the followed series, query; the exchange explained below.

Written once for PythonQt and PyQt5 like qt_panel.py (signals with ``.connect``,
setters and getters only). What to send and what each action means is decided in
pacs_model.py; the networking packages are installed through ``ensure_networking``
(Slicer: the logic's pip_install on first use), called before the first action,
never when the tab is built. Actions run on the GUI thread, bounded by the
library's timeouts (3 s to connect, 10 s for each answer), under a wait cursor;
a send reports after each instance and lets Qt repaint, the buttons held off
until it ends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import pacs_model
from .pacs_model import PacsOutcome, PacsTarget, SendSelection
from .qt_shim import monospace_font

SUCCESS_COLOUR = "#dff3e4"
FAILURE_COLOUR = "#fde2e2"


class PacsPanel:
    """Fields for the PACS and the AE titles, three actions, and a read-only view of the last exchange."""

    def __init__(self, qt: Any, selection: Callable[[], SendSelection],
                 ensure_networking: Callable[[], Any] | None = None, target: PacsTarget | None = None) -> None:
        self.qt = qt
        self.selection = selection
        self.ensure_networking = ensure_networking
        self.networking_ready = ensure_networking is None
        self.last_outcome: PacsOutcome | None = None
        self.busy = False
        target = target or pacs_model.default_target()
        self.widget = qt.QWidget()
        layout = qt.QVBoxLayout(self.widget)

        peerRow = qt.QHBoxLayout()
        self.addressEdit = qt.QLineEdit(target.address)
        self.addressEdit.setPlaceholderText("host:port, e.g. 127.0.0.1:4242")
        self.addressEdit.setToolTip("The PACS's host and DICOM port (dicomteach pacs start prints a lesson "
                                    "PACS's)")
        self.calledEdit = qt.QLineEdit(target.called_ae)
        self.calledEdit.setToolTip("Called AE title: the PACS's name; a PACS rejects an association to another")
        self.callingEdit = qt.QLineEdit(target.calling_ae)
        self.callingEdit.setToolTip("Calling AE title: our name; the PACS may answer only the names it knows")
        for edit in (self.calledEdit, self.callingEdit):
            edit.setMaxLength(16)  # an AE title has at most 16 characters
            edit.setMaximumWidth(120)
        self.echoButton = qt.QPushButton("Echo")
        self.echoButton.setToolTip("C-ECHO: associate and ask 'are you there?' (Verification SOP class)")
        for text, part in (("PACS", self.addressEdit), ("Called AE", self.calledEdit),
                           ("Calling AE", self.callingEdit)):
            peerRow.addWidget(qt.QLabel(text))
            peerRow.addWidget(part)
        peerRow.addWidget(self.echoButton)
        layout.addLayout(peerRow)

        sendRow = qt.QHBoxLayout()
        self.sendButton = qt.QPushButton("Send selected series")
        self.sendButton.setToolTip("C-STORE each file of the followed node or series, on one association")
        self.selectionLabel = qt.QLabel("")
        self.selectionLabel.setWordWrap(True)
        sendRow.addWidget(self.sendButton)
        sendRow.addWidget(self.selectionLabel, 1)
        layout.addLayout(sendRow)

        queryRow = qt.QHBoxLayout()
        self.levelCombo = qt.QComboBox()
        for level in pacs_model.QUERY_LEVELS:
            self.levelCombo.addItem(level)
        self.levelCombo.setCurrentIndex(pacs_model.QUERY_LEVELS.index("study"))
        self.keysEdit = qt.QLineEdit()
        self.keysEdit.setPlaceholderText('KEY=VALUE ..., e.g. Modality=CT PatientName=A* StudyDate=20200101- '
                                         'SeriesDescription="Liver CT"')
        self.keysEdit.setToolTip("Matching keys: a value (single value), * or ? (wildcard), A-B (range), "
                                 "UID1\\UID2 (list); a keyword alone is returned (universal matching)")
        self.queryButton = qt.QPushButton("Query")
        self.queryButton.setToolTip("C-FIND at the chosen Query/Retrieve Level with these keys")
        queryRow.addWidget(qt.QLabel("Query level"))
        queryRow.addWidget(self.levelCombo)
        queryRow.addWidget(self.keysEdit, 1)
        queryRow.addWidget(self.queryButton)
        layout.addLayout(queryRow)

        self.statusLabel = qt.QLabel("Echo the PACS, send the series you follow, then query it back.")
        self.statusLabel.setWordWrap(True)
        self.statusLabel.setTextInteractionFlags(qt.Qt.TextSelectableByMouse)
        layout.addWidget(self.statusLabel)
        self.exchangeView = qt.QPlainTextEdit()
        self.exchangeView.setReadOnly(True)
        self.exchangeView.setLineWrapMode(qt.QPlainTextEdit.NoWrap)
        self.exchangeView.setFont(monospace_font(qt))
        self.exchangeView.setPlaceholderText("The exchange explained: the association and its presentation "
                                             "contexts, each DIMSE message's command set, each status")
        layout.addWidget(self.exchangeView, 1)
        note = qt.QLabel("<small>To bring studies from a PACS into Slicer, use the DICOM module's "
                         "query/retrieve: this tab shows what travels on the network.</small>")
        note.setTextFormat(qt.Qt.RichText)
        note.setWordWrap(True)
        layout.addWidget(note)

        self.echoButton.clicked.connect(self.onEcho)
        self.sendButton.clicked.connect(self.onSend)
        self.queryButton.clicked.connect(self.onQuery)
        self.keysEdit.returnPressed.connect(self.onQuery)
        self.updateSelection()

    # -- state ---------------------------------------------------------------------------------------

    def target(self) -> PacsTarget:
        return PacsTarget(address=self.addressEdit.text(), called_ae=self.calledEdit.text(),
                          calling_ae=self.callingEdit.text())

    def updateSelection(self) -> None:
        """The panel followed something else: say what 'Send' would send."""
        chosen = self.selection()
        self.selectionLabel.setText(chosen.label)
        self.sendButton.setEnabled(bool(chosen.files) and not self.busy)

    # -- actions -------------------------------------------------------------------------------------

    def onEcho(self, *_args: Any) -> None:
        self._run("Echoing", lambda: pacs_model.echo(self.target()))

    def onSend(self, *_args: Any) -> None:
        chosen = self.selection()
        outcome = self._run(f"Sending {len(chosen.files)} file(s)",
                            lambda: pacs_model.send(self.target(), chosen, self._sending))
        follow_up = outcome.follow_up_query if outcome is not None and outcome.ok else None
        if follow_up is not None:  # what was sent, ready to be queried back
            level, keys = follow_up
            self.levelCombo.setCurrentIndex(pacs_model.QUERY_LEVELS.index(level))
            self.keysEdit.setText(keys)
            self.keysEdit.setCursorPosition(0)  # the key's name in view, not the UID's tail

    def onQuery(self, *_args: Any) -> None:
        level = self.levelCombo.currentText()
        keys = self.keysEdit.text()
        self._run(f"Querying at {level} level", lambda: pacs_model.query(self.target(), level, keys))

    def _sending(self, done: int, total: int) -> None:
        """After each C-STORE: say how far, and let Slicer repaint (a 133-slice CT takes seconds)."""
        self._show_status(f"Sending: {done} of {total} instance(s) sent ...", None)
        self.qt.QApplication.processEvents()

    def _run(self, doing: str, action: Callable[[], PacsOutcome]) -> PacsOutcome | None:
        qt = self.qt
        if self.busy or not self._ready():
            return None
        self.busy = True  # events processed during a send must not start a second action
        for button in (self.echoButton, self.sendButton, self.queryButton):
            button.setEnabled(False)
        self._show_status(f"{doing} with {self.addressEdit.text()} ...", None)
        qt.QApplication.processEvents()
        qt.QApplication.setOverrideCursor(qt.QCursor(qt.Qt.WaitCursor))
        try:
            outcome = action()
        finally:
            qt.QApplication.restoreOverrideCursor()
            self.busy = False
            self.echoButton.setEnabled(True)
            self.queryButton.setEnabled(True)
            self.updateSelection()  # the student may have followed another node meanwhile
        self.showOutcome(outcome)
        return outcome

    def _ready(self) -> bool:
        """Install the networking packages once, before the first action (Slicer: on first use)."""
        if self.networking_ready:
            return True
        try:
            self.ensure_networking()
        except Exception as error:  # noqa: BLE001 - shown in the view, the tab stays usable
            self.showOutcome(PacsOutcome(False, "The networking packages are not available",
                                  f"pynetdicom and dicomweb-client could not be installed: "
                                  f"{type(error).__name__}: {error}\n"))
            return False
        self.networking_ready = True
        return True

    def showOutcome(self, outcome: PacsOutcome) -> None:
        self.last_outcome = outcome
        self._show_status(outcome.headline, outcome.ok)
        self.exchangeView.setPlainText(outcome.text)

    def _show_status(self, text: str, ok: bool | None) -> None:
        self.statusLabel.setText(text)
        colour = "" if ok is None else (SUCCESS_COLOUR if ok else FAILURE_COLOUR)
        self.statusLabel.setStyleSheet(f"QLabel{{background:{colour};padding:3px}}" if colour else "")
