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
from .bounds import check_image_header
from .coexistence import PREFER_BY_DEFAULT, rank
from .dicomdir import expand_dicomdirs
from .errors import DICOMTeachError, NotDicomError
from .fast_header import read_header_fast
from .loadable import Loadable
from .safe_read import BoundedFile, check_structure, file_caused_errors, file_error, refuse_cut_header

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
    #: path -> why no loadable offers it although it was read (a SOP class no examiner loads, e.g. RWVM)
    not_offered: dict[str, str] = field(default_factory=dict)


#: A sequence value shorter than this cannot nest past the depth cap (each level takes at least 20 bytes).
_SHALLOW_SEQUENCE_BYTES = 1024


def read_header(path: str) -> pydicom.Dataset:
    """The header of one file (up to pixel data), or DICOMTeachError naming the reason.

    Where the pixel data starts (and whether the file holds all of it) is kept
    on the dataset, see :mod:`.pixel_data`; the pixels themselves are not read.
    Most files are split into raw elements by :mod:`.fast_header` (pydicom
    converts their values when asked); the others go through pydicom's reader.
    """
    try:
        fast = read_header_fast(path)  # the common little-endian case, without pydicom's parsing loop
    except OSError as error:
        raise file_error(error, path) from error
    if fast is not None and len(fast[0]):
        if any(raw.VR == "SQ" and raw.length > _SHALLOW_SEQUENCE_BYTES for raw in fast[0]._dict.values()):
            check_structure(path, stop_at_pixels=True)  # left raw, pydicom would read its depth by recursion
        setattr(fast[0], pixel_data.ATTRIBUTE, fast[1])
        check_image_header(fast[0], path)
        return fast[0]
    refuse_cut_header(check_structure(path, stop_at_pixels=True), path)  # before pydicom allocates or recurses
    try:
        with BoundedFile(path) as fp:  # pydicom allocates what a length declares: never more than the file
            dataset = pydicom.dcmread(fp, stop_before_pixels=True)
            setattr(dataset, pixel_data.ATTRIBUTE, pixel_data.probe_after_header(fp, dataset))
        if len(dataset) == 0:  # pydicom gives up quietly on garbage after the file meta
            raise DICOMTeachError("no data element could be read (corrupt header)", path)
    except pydicom.errors.InvalidDicomError as error:
        raise NotDicomError(f"not a DICOM file ({error})", path) from error
    except file_caused_errors() as error:
        raise DICOMTeachError(f"cannot read the header: {type(error).__name__}: {error}", path) from error
    check_image_header(dataset, path)
    return dataset


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
        result.loadables.extend(_examine_isolating(_examiner(spec), known, context, result.unreadable))
    for path, header in known.items():  # loadables leave such a file out or fail on it: it was not read whole
        info = pixel_data.pixel_data_info(header)
        if info is not None and info.truncated and path not in result.unreadable:
            result.unreadable[path] = (f"the file ends inside its pixel data ({max(info.file_size - info.offset, 0)} "
                                       f"of {info.length} bytes)")
    rank(result.loadables, context.prefer_dicomteach)
    offered = {str(path) for loadable in result.loadables for path in loadable.files}
    for path, header in known.items():  # said, not silently dropped: a student asks where the file went
        if path not in offered and path not in result.unreadable:
            result.not_offered[path] = _why_not_offered(header)
    return result


def _why_not_offered(header: Any) -> str:
    from pydicom.uid import UID

    uid = str(getattr(header, "SOPClassUID", "") or "")
    name = UID(uid).name if uid else "no SOP Class UID"
    return f"no loader for {name}" + (f" ({uid})" if uid and name != uid else "")


def _examine_isolating(examiner: Examiner, headers: Mapping[str, Any], context: ExamineContext,
                       unreadable: dict[str, str]) -> list[Loadable]:
    """``examiner`` on all headers; when a file's values make it fail, that file is set aside with the reason
    and the others are examined again (a damaged value converts only when an examiner reads it)."""
    try:
        return examiner(headers, context)
    except DICOMTeachError as error:
        if error.path is None or error.path not in headers:
            unreadable.setdefault(error.path or "", error.reason)
            return []
        culprits = {error.path: error.reason}
    except file_caused_errors() as error:
        culprits = {}
        for path, header in headers.items():
            try:
                examiner({path: header}, context)
            except DICOMTeachError as single:
                culprits[path] = single.reason
            except file_caused_errors() as single:
                culprits[path] = f"a value cannot be read: {type(single).__name__}: {single}"
        if not culprits:
            raise error  # no single file explains it: not the files' fault
    unreadable.update(culprits)
    rest = {path: header for path, header in headers.items() if path not in culprits}
    return _examine_isolating(examiner, rest, context, unreadable) if rest else []


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
    """Like :func:`examine_files`, expanding folders recursively (what cannot be walked is listed unreadable;
    DICOMDIRs are followed by examine_files)."""
    from .paths import files_and_problems

    files, problems = files_and_problems(paths)
    result = examine_files(files)
    result.unreadable = {**problems, **result.unreadable}
    return result
