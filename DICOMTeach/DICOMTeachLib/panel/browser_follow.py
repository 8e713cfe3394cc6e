"""The series the student selects in Slicer's DICOM browser, followed by the panel (no Qt import here).

Slicer 5.12's DICOM module holds two browsers in one SlicerDICOMBrowser
(Modules/Scripted/DICOMLib/DICOMBrowser.py), shown one at a time by the
setting ``DICOM/UseVisualDICOMBrowser`` (off by default in DICOM.py):

- the classic ctkDICOMBrowser: ``dicomTableManager().seriesSelectionChanged(QStringList)``
  gives the whole series selection (Slicer strips quotes from these UIDs, so do we);
- CTK's visual browser, ctkDICOMVisualBrowserWidget (CTK 5056664a, the commit Slicer 5.12
  builds): ``patientView()`` is a ctkDICOMPatientView whose ``studyListView()`` (a
  ctkDICOMStudyListView) emits ``seriesSelectionChanged(QString studyInstanceUID, QStringList
  seriesOfThatStudy)``; ``patientView().selectedSeriesInstanceUIDs()`` is the whole selection,
  the call Slicer's own ``toggleBrowsers`` makes.

Whatever the browser, the panel shows the series the student just picked: the one newly in
the selection (``SeriesSelectionTracker``), its files from the DICOM database
(``series_files``, ctkDICOMDatabase's ``filesForSeries``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

#: How often the visual browser's selection is read when its signal cannot be connected (ms).
POLL_INTERVAL_MS = 400


def clean_series_uids(uids: Iterable[Any] | None) -> list[str]:
    """Series Instance UIDs as plain strings: no quotes (the classic browser's list may carry SQL quotes),
    no blanks, no repeats, in the browser's order."""
    result: list[str] = []
    for uid in uids or ():
        text = str(uid).replace("'", "").strip()
        if text and text not in result:
            result.append(text)
    return result


class SeriesSelectionTracker:
    """Which series the student just picked, from one selection to the next.

    A series newly in the selection is the one picked (a click, or Ctrl+click adding one). When the
    selection only shrinks to one series (a plain click on a series already selected among several),
    that one. Otherwise (deselecting, the same selection again) nothing new to show.
    """

    def __init__(self) -> None:
        self.selected: list[str] = []
        self.shown = ""

    def update(self, selected: Iterable[Any] | None) -> str | None:
        current = clean_series_uids(selected)
        previous, self.selected = self.selected, current
        added = [uid for uid in current if uid not in previous]
        if added:
            picked = added[0]  # several at once ("select all" of a study): CTK's order, the first
        elif len(current) == 1 and current != previous and current[0] != self.shown:
            picked = current[0]
        else:
            return None
        self.shown = picked
        return picked


@dataclass
class SeriesFiles:
    """The files of one series in the DICOM database, or why there are none."""

    uid: str
    name: str
    files: list[str] = field(default_factory=list)
    message: str = ""  # for the student; "" when every file is there


def series_files(database: Any, uid: str) -> SeriesFiles:
    """The files of series ``uid`` through a ctkDICOMDatabase (``filesForSeries``, ``descriptionForSeries``).

    Files listed by the database but gone from the disk are left out and counted in the message.
    """
    description = ""
    describe = getattr(database, "descriptionForSeries", None)
    if describe is not None:
        try:
            description = str(describe(uid) or "")
        except Exception:  # noqa: BLE001 - only a label
            description = ""
    name = f"Series {description or uid}"
    if database is None:
        return SeriesFiles(uid, name, message="No DICOM database is open: the series' files cannot be found.")
    listed = [str(path) for path in (database.filesForSeries(uid) or []) if str(path)]
    present = [path for path in listed if os.path.isfile(path)]
    if not listed:
        return SeriesFiles(uid, name, message=f"The DICOM database lists no file for series {uid}.")
    message = ""
    if len(present) < len(listed):
        gone = next(path for path in listed if path not in present)
        message = (f"{len(listed) - len(present)} of the {len(listed)} files of series {uid} are gone "
                   f"(first: {gone}); they were moved or deleted after the import.")
    return SeriesFiles(uid, name, present, message)


def _call(obj: Any, name: str) -> Any:
    method = getattr(obj, name, None) if obj is not None else None
    return method() if callable(method) else None


class VisualBrowserFollower:
    """Calls ``on_series(uid)`` when the student picks a series in CTK's visual DICOM browser.

    Connects to ``patientView().studyListView().seriesSelectionChanged``; where that signal is missing (a CTK
    of another shape) and ``qt`` is given, reads ``patientView().selectedSeriesInstanceUIDs()`` on a QTimer,
    only while ``is_shown()`` says the browser is on screen. ``how`` says which ("signal", "poll", or "" with
    ``reason`` when nothing can be observed). Never raises on an API it does not find.
    """

    def __init__(self, visual_browser: Any, on_series: Callable[[str], Any], qt: Any = None,
                 is_shown: Callable[[], bool] | None = None, interval_ms: int = POLL_INTERVAL_MS) -> None:
        self.visual_browser = visual_browser
        self.on_series = on_series
        self.is_shown = is_shown or (lambda: True)
        self.tracker = SeriesSelectionTracker()
        self.how = ""
        self.reason = ""
        self._signal: Any = None
        self._timer: Any = None
        self._handler = self._on_signal  # one object, so that disconnect finds what connect was given
        self._active = True  # False once stopped, even if a binding kept the connection
        try:
            patient_view = _call(visual_browser, "patientView")
            study_list = _call(patient_view, "studyListView")
            signal = getattr(study_list, "seriesSelectionChanged", None)
            if signal is not None and hasattr(signal, "connect"):
                signal.connect(self._handler)
                self._signal, self.how = signal, "signal"
                return
            if qt is not None and hasattr(patient_view, "selectedSeriesInstanceUIDs"):
                self._timer = qt.QTimer()
                self._timer.setInterval(int(interval_ms))
                self._timer.timeout.connect(self.poll)
                self._timer.start()
                self.how = "poll"
                return
            self.reason = "the visual browser has neither seriesSelectionChanged nor selectedSeriesInstanceUIDs()"
        except Exception as error:  # noqa: BLE001 - a browser of another shape: not followed, said why
            self.reason = f"the visual browser cannot be followed: {type(error).__name__}: {error}"
            self.how = ""

    def selected(self, emitted: Iterable[Any] | None = None) -> list[str]:
        """The whole series selection (all studies and patients), else what the signal carried."""
        try:
            everything = _call(_call(self.visual_browser, "patientView"), "selectedSeriesInstanceUIDs")
        except Exception:  # noqa: BLE001
            everything = None
        return clean_series_uids(everything if everything is not None else emitted)

    def _on_signal(self, _study_uid: Any = None, series_uids: Any = None) -> None:
        self._follow(self.selected(series_uids))

    def poll(self) -> None:
        if self.is_shown():
            self._follow(self.selected())

    def _follow(self, selected: list[str]) -> None:
        if not self._active:
            return
        picked = self.tracker.update(selected)
        if picked:
            self.on_series(picked)

    def stop(self) -> None:
        self._active = False
        if self._signal is not None:
            try:
                self._signal.disconnect(self._handler)
            except (RuntimeError, TypeError, ValueError):  # already gone with its widget
                pass
            self._signal = None
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.how = ""
