"""Examine: from a set of files to the loadables a user can choose from.

Reads each file's header once (never pixel data) and hands the headers to
every registered examiner; each examiner returns the loadables of its kind.
A file that cannot be read is reported, not raised: the DICOM browser must
never see a traceback.
"""

from __future__ import annotations

import gc
import importlib
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pydicom

from . import pixel_data
from .coexistence import PREFER_BY_DEFAULT, rank
from .dicomdir import expand_dicomdirs
from .errors import DICOMTeachError
from .fast_header import read_header_fast
from .loadable import Loadable

#: Examiners as "module:function"; each takes ({path: header dataset}, ExamineContext) and returns loadables.
EXAMINERS: list[str] = [
    ".volumes.examine:examine_scalar_volumes",
    ".seg.examine:examine_segmentations",
    ".sr.examine:examine_structured_reports",
]



@dataclass(frozen=True)
class ExamineContext:
    """What is known beyond the examined files.

    Slicer's DICOM browser examines one series at a time, so the series a SEG
    or SR refers to is never among the examined files; the plugin passes the
    database's instances here so that only truly absent references are warned.
    """

    #: SOP Instance UIDs available elsewhere (``uid in available_instances``).
    available_instances: Container[str] = frozenset()
    #: rank DICOMTeach's loadables above Slicer's own plugins instead of below (see :mod:`.coexistence`)
    prefer_dicomteach: bool = PREFER_BY_DEFAULT


Examiner = Callable[[Mapping[str, Any], ExamineContext], list[Loadable]]


@dataclass
class ExamineResult:
    loadables: list[Loadable] = field(default_factory=list)
    #: path -> why it was not examined (not DICOM, truncated, ...)
    unreadable: dict[str, str] = field(default_factory=dict)


def read_header(path: str) -> pydicom.Dataset:
    """The header of one file (up to pixel data), or DICOMTeachError naming the reason.

    Where the pixel data starts (and whether the file holds all of it) is kept
    on the dataset, see :mod:`.pixel_data`; the pixels themselves are not read.
    Most files are split into raw elements by :mod:`.fast_header` (pydicom
    converts their values when asked); the others go through pydicom's reader.
    """
    fast = read_header_fast(path)  # the common little-endian case, without pydicom's parsing loop
    if fast is not None and len(fast[0]):
        setattr(fast[0], pixel_data.ATTRIBUTE, fast[1])
        return fast[0]
    try:
        with open(path, "rb") as fp:
            dataset = pydicom.dcmread(fp, stop_before_pixels=True)
            setattr(dataset, pixel_data.ATTRIBUTE, pixel_data.probe_after_header(fp, dataset))
        if len(dataset) == 0:  # pydicom gives up quietly on garbage after the file meta
            raise DICOMTeachError("no data element could be read (corrupt header)", path)
        return dataset
    except pydicom.errors.InvalidDicomError as error:
        raise DICOMTeachError(f"not a DICOM file ({error})", path) from error
    except (OSError, ValueError, EOFError, KeyError, TypeError, AttributeError) as error:
        raise DICOMTeachError(f"cannot read the header: {error}", path) from error


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for a while (as it was before, afterwards).

    Each header read makes ~100 small objects (pydicom's raw elements), none part of a cycle; the
    collector counts them and, every few hundred files, walks every object of the process
    (hundreds of thousands in Slicer): a third of the time of reading a long series. Paused, it
    runs once afterwards on what is left.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_headers(paths: Iterable[str]) -> tuple[dict[str, pydicom.Dataset], dict[str, str]]:
    """The headers of many files ({path: dataset}, as :func:`read_header`) and {path: why not} for the others."""
    headers: dict[str, pydicom.Dataset] = {}
    unreadable: dict[str, str] = {}
    with _collector_paused():
        for path in paths:
            path = str(path)
            try:
                headers[path] = read_header(path)
            except DICOMTeachError as error:
                unreadable[path] = error.reason
    return headers, unreadable


def _examiner(spec: str) -> Examiner:
    module_name, function_name = spec.split(":")
    return getattr(importlib.import_module(module_name, __package__), function_name)


def examine_files(paths: Iterable[str], headers: Mapping[str, Any] | None = None,
                  context: ExamineContext | None = None) -> ExamineResult:
    """All loadables for ``paths``; ``headers`` may supply already-read header datasets.

    A DICOMDIR among ``paths`` stands for the files it references (missing ones are reported).
    """
    context = context or ExamineContext()
    result = ExamineResult()
    known: dict[str, Any] = dict(headers or {})
    files, missing = expand_dicomdirs(map(str, paths))
    read, result.unreadable = read_headers(path for path in files if path not in known)
    result.unreadable.update(missing)
    known.update(read)
    for spec in EXAMINERS:
        try:
            result.loadables.extend(_examiner(spec)(known, context))
        except DICOMTeachError as error:
            result.unreadable.setdefault(error.path or "", error.reason)
    rank(result.loadables, context.prefer_dicomteach)
    return result


def default_selection(loadables: Sequence[Loadable]) -> list[Loadable]:
    """The loadables checked by default: per series, the highest confidence (ties: all).

    This is Slicer's own rule (DICOMUtils): it overrides what a plugin put in
    ``selected``, so an examiner that wants a loadable left out must lower its
    confidence, as the volume examiner does for the whole of a mixed series.
    """
    best: dict[str, float] = {}
    for loadable in loadables:
        key = loadable.series_instance_uid or loadable.name
        best[key] = max(best.get(key, -1.0), loadable.confidence)
    return [loadable for loadable in loadables
            if loadable.confidence == best[loadable.series_instance_uid or loadable.name]]


def examine_paths(paths: Sequence[str]) -> ExamineResult:
    """Like :func:`examine_files`, expanding folders recursively (and DICOMDIRs, as examine_files does)."""
    from pathlib import Path

    files: list[str] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(str(p) for p in sorted(path.rglob("*")) if p.is_file())
        else:
            files.append(str(path))
    return examine_files(files)
