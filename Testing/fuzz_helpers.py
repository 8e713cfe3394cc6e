"""Fuzzing: damaged copies of real files, run through every entry point of the library.

Mutants are made from real files (pydicom's test files, ``../shared/data``) by a
seeded generator, so a run is reproducible: the n-th mutant of a seed is always
the same bytes. Each mutant is run through each entry point (explain as text,
JSON and masked HTML; index; examine; load into a headless scene; deidentify)
under a time limit; the only exception allowed out is DICOMTeachError. The
figures (mutants, escapes, slowest file, peak memory) feed the test suite and
``Testing/benchmarks/fuzz_report.py``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import random
import signal
import struct
import time
import traceback
import tracemalloc
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
from pydicom.config import settings

from DICOMTeachLib.errors import DICOMTeachError
from DICOMTeachLib.testdata import pydicom_test_file, shared_data_directory

#: pydicom test files (small, varied: explicit/implicit/big endian, deflated, JPEG 2000, RT, SR, multi-frame)
PYDICOM_SEEDS = ("CT_small.dcm", "MR_small.dcm", "MR_small_implicit.dcm", "MR_small_bigendian.dcm", "rtplan.dcm",
                 "JPEG2000.dcm", "image_dfl.dcm", "emri_small.dcm", "SC_rgb.dcm", "test-SR.dcm", "liver_1frame.dcm",
                 "MR2_J2KR.dcm", "US1_J2KR.dcm", "rtstruct.dcm", "ExplVR_LitEndNoMeta.dcm")
#: files of ../shared/data (relative paths): SEG, SR, slide microscopy, multi-frame, CT slices
SHARED_SEEDS = ("liver-ct-seg-sr/ct", "liver-ct-seg-sr/seg/liver.dcm", "liver-ct-seg-sr/sr/liver-measurements-sr.dcm",
                "small-seg-24x38x3/label.seg", "small-seg-24x38x3/multiframe/mf.dcm",
                "small-seg-24x38x3/image/IMG0001.dcm", "highdicom-test-files/sr_document.dcm",
                "highdicom-test-files/sm_annotations.dcm", "highdicom-test-files/seg_image_ct_binary.dcm",
                "highdicom-test-files/dx_image.dcm", "highdicom-test-files/ct_image.dcm")

ENTRY_POINTS = ("explain_text", "explain_json", "explain_masked_html", "index", "examine", "load", "deidentify")

#: mutation kinds, in the order the generator cycles through them
KINDS = ("truncate", "flip", "huge_length", "odd_length", "vr_bytes", "no_delimiters", "transfer_syntax",
         "image_size", "geometry", "deep_sequence", "random_run", "photometric")


@dataclass(frozen=True)
class Seed:
    path: Path
    data: bytes
    #: (offset, header length, explicit VR) of the top-level and meta elements, to aim at real length fields
    elements: tuple[tuple[int, int], ...]


def seed_files() -> list[Path]:
    paths = []
    for name in PYDICOM_SEEDS:
        with contextlib.suppress(FileNotFoundError):
            paths.append(pydicom_test_file(name))
    shared = shared_data_directory()
    if shared is not None:
        for relative in SHARED_SEEDS:
            candidate = shared / relative
            if candidate.is_dir():
                paths.extend(sorted(p for p in candidate.iterdir() if p.is_file())[:1])
            elif candidate.is_file():
                paths.append(candidate)
    return paths


def _element_positions(path: Path) -> tuple[tuple[int, int], ...]:
    from DICOMTeachLib.explain import explain

    anatomy = explain(path).anatomy
    return tuple((e.offset, e.header_length) for e in anatomy.meta_elements + anatomy.elements
                 if e.offset is not None and e.header_length)


def load_seeds() -> list[Seed]:
    return [Seed(path, path.read_bytes(), _element_positions(path)) for path in seed_files()]


# -- the mutations ------------------------------------------------------------------------------------------------

def _edited(data: bytes, edit: Callable[[pydicom.Dataset], None]) -> bytes | None:
    """``data`` read by pydicom, edited, written again (values unchecked: the point is to write bad ones)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reading, writing = settings.reading_validation_mode, settings.writing_validation_mode
        settings.reading_validation_mode = settings.writing_validation_mode = 0  # IGNORE
        try:
            ds = pydicom.dcmread(io.BytesIO(data), force=True)
            edit(ds)
            out = io.BytesIO()
            ds.save_as(out, enforce_file_format=False)
            return out.getvalue()
        except Exception:  # noqa: BLE001 - a seed pydicom cannot rewrite: the caller picks another mutation
            return None
        finally:
            settings.reading_validation_mode, settings.writing_validation_mode = reading, writing


def deep_sequence_bytes(depth: int, undefined: bool = True) -> bytes:
    """An explicit VR LE ContentSequence nested ``depth`` levels (built as bytes: pydicom would recurse)."""
    if undefined:
        opening = (struct.pack("<HH2sHL", 0x0040, 0xA730, b"SQ", 0, 0xFFFFFFFF)
                   + struct.pack("<HHL", 0xFFFE, 0xE000, 0xFFFFFFFF))
        closing = struct.pack("<HHL", 0xFFFE, 0xE00D, 0) + struct.pack("<HHL", 0xFFFE, 0xE0DD, 0)
        return opening * depth + closing * depth
    inner = b""
    for _ in range(depth):
        item = struct.pack("<HHL", 0xFFFE, 0xE000, len(inner)) + inner
        inner = struct.pack("<HH2sHL", 0x0040, 0xA730, b"SQ", 0, len(item)) + item
    return inner


def _with_deep_sequence(data: bytes, depth: int, undefined: bool) -> bytes | None:
    """The seed with a deep ContentSequence inserted in tag order (explicit VR LE seeds only)."""
    def edit(ds: pydicom.Dataset) -> None:
        ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
        ds.ContentSequence = pydicom.Sequence([])  # placeholder written as an empty sequence, replaced below
    written = _edited(data, edit)
    if written is None:
        return None
    marker = struct.pack("<HH2sHL", 0x0040, 0xA730, b"SQ", 0, 0)
    marker_undefined = struct.pack("<HH2sHL", 0x0040, 0xA730, b"SQ", 0, 0xFFFFFFFF)
    for candidate, tail in ((marker, b""), (marker_undefined, struct.pack("<HHL", 0xFFFE, 0xE0DD, 0))):
        at = written.find(candidate)
        if at >= 0:
            return written[:at] + deep_sequence_bytes(depth, undefined) + written[at + len(candidate) + len(tail):]
    return None


def mutate(seed: Seed, number: int, rng: random.Random) -> tuple[str, bytes]:
    """The ``number``-th mutant of ``seed`` (kind, bytes)."""
    kind = KINDS[number % len(KINDS)]
    data = seed.data
    mutant = bytearray(data)
    if kind == "truncate":
        cut = rng.choice([rng.randrange(1, min(len(data), 1024)), rng.randrange(1, len(data)), len(data) - 1, 132, 400])
        return kind, data[:max(1, min(cut, len(data) - 1))]
    if kind == "flip":
        for _ in range(rng.randint(1, 24)):
            position = rng.randrange(min(len(mutant), 4096))
            mutant[position] ^= 1 << rng.randrange(8)
        return kind, bytes(mutant)
    if kind in ("huge_length", "odd_length") and seed.elements:
        offset, header = rng.choice(seed.elements)
        size = 4 if header == 12 else 2
        position = offset + header - size
        old = int.from_bytes(mutant[position:position + size], "little")
        if kind == "huge_length":
            new = rng.choice([0xFFFFFFFF, 0xFFFFFFF0, 0x7FFFFFFF, 0x40000000, len(data) * 2, 0xFFFFFFFE])
        else:
            new = rng.choice([old + 1, old - 1 if old else 1, old | 1, old + 3, 1, 3])
        new &= (1 << (8 * size)) - 1
        mutant[position:position + size] = new.to_bytes(size, "little")
        return kind, bytes(mutant)
    if kind == "vr_bytes" and seed.elements:
        offset, header = rng.choice(seed.elements)
        mutant[offset + 4:offset + 6] = rng.choice([b"ZZ", b"\x00\x00", b"SQ", b"UN", b"OB", b"us", b"US", b"DS",
                                                    b"AT", b"UT"])
        return kind, bytes(mutant)
    if kind == "no_delimiters":
        delimiters = [struct.pack("<HHL", 0xFFFE, 0xE00D, 0), struct.pack("<HHL", 0xFFFE, 0xE0DD, 0)]
        found = [i for d in delimiters for i in _find_all(data, d)]
        if found:
            for at in sorted(rng.sample(found, rng.randint(1, len(found))), reverse=True):
                del mutant[at:at + 8]
            return kind, bytes(mutant)
        return "truncate", data[:len(data) // 2]
    if kind == "transfer_syntax":
        at = data.find(b"\x02\x00\x10\x00UI")
        if at >= 0:
            (length,) = struct.unpack_from("<H", data, at + 6)
            garbage = rng.choice([b"", b"1.2.3.4", b"garbled!", b"1.2.840.10008.1.2.4.999", b"\x00" * 4,
                                  b"1.2.840.10008.1.2.1.99", b"1.2.840.10008.1.2.2", b"1.2.840.10008.1.2",
                                  b"1.2.840.10008.1.2.4.90", b"1.2.840.10008.1.2.5"])
            garbage += b"\0" * (len(garbage) % 2)
            mutant[at + 6:at + 8 + length] = struct.pack("<H", len(garbage)) + garbage
            return kind, bytes(mutant)
        kind = "image_size"
    if kind == "image_size":
        keyword = rng.choice(["Rows", "Columns", "BitsStored", "BitsAllocated", "NumberOfFrames", "SamplesPerPixel",
                              "HighBit", "PixelRepresentation"])
        value = rng.choice([0, -1, 65535, 999999999, 999999999999, 1])

        def edit(ds: pydicom.Dataset) -> None:
            if keyword == "NumberOfFrames":
                ds[keyword] = pydicom.DataElement(0x00280008, "IS", str(value))
            elif value < 0:
                ds[keyword] = pydicom.DataElement(pydicom.datadict.tag_for_keyword(keyword), "SS", value)
            else:
                ds[keyword] = pydicom.DataElement(pydicom.datadict.tag_for_keyword(keyword), "US", value & 0xFFFF)
        edited = _edited(data, edit)
        if edited is not None:
            return f"image_size:{keyword}={value}", edited
        kind = "geometry"
    if kind == "geometry":
        bad = rng.choice(["NaN", "1e308", "-1e308", "inf", "0", "-0", "1e-320", ""])
        keyword = rng.choice(["PixelSpacing", "ImagePositionPatient", "ImageOrientationPatient", "SliceThickness",
                              "SpacingBetweenSlices", "RescaleSlope", "RescaleIntercept", "WindowWidth"])
        counts = {"PixelSpacing": 2, "ImagePositionPatient": 3, "ImageOrientationPatient": 6}

        def edit(ds: pydicom.Dataset) -> None:
            tag = pydicom.datadict.tag_for_keyword(keyword)
            ds[tag] = pydicom.DataElement(tag, "DS", "\\".join([bad] * counts.get(keyword, 1)))
            for frame in ds.get("PerFrameFunctionalGroupsSequence", [])[:3]:
                for group in frame.get("PixelMeasuresSequence", []):
                    group.PixelSpacing = ["0", bad]
                for group in frame.get("PlanePositionSequence", []):
                    group.ImagePositionPatient = [bad, "0", bad]
        edited = _edited(data, edit)
        if edited is not None:
            return f"geometry:{keyword}={bad}", edited
        kind = "random_run"
    if kind == "deep_sequence":
        depth = rng.choice([200, 300, 900, 2000, 20000, 65, 64])
        undefined = rng.random() < 0.7
        built = _with_deep_sequence(data, depth, undefined)
        if built is not None:
            return f"deep_sequence:{depth}{'u' if undefined else 'd'}", built
        kind = "random_run"
    if kind == "photometric":
        value = rng.choice(["YBR_FULL_422", "YBR_FULL", "RGB", "PALETTE COLOR", "MONOCHROME1", "YBR_RCT", "XYZ"])

        def edit(ds: pydicom.Dataset) -> None:
            ds.PhotometricInterpretation = value
        edited = _edited(data, edit)
        if edited is not None:
            return f"photometric:{value}", edited
    start = rng.randrange(len(mutant))
    mutant[start:start + 64] = rng.randbytes(64)
    return "random_run", bytes(mutant)


def _find_all(data: bytes, needle: bytes) -> list[int]:
    found, at = [], data.find(needle)
    while at >= 0:
        found.append(at)
        at = data.find(needle, at + 1)
    return found


def mutants(seeds: list[Seed], count: int, seed: int = 20261130) -> Iterator[tuple[str, str, bytes]]:
    """``count`` mutants (name, kind, bytes), cycling through the seeds and the kinds; deterministic."""
    rng = random.Random(seed)
    for number in range(count):
        source = seeds[number % len(seeds)]
        kind, data = mutate(source, number // len(seeds) + number, rng)
        yield f"{number:05d}_{source.path.stem}", kind, data


# -- running the entry points -------------------------------------------------------------------------------------

class Expired(TimeoutError):
    """A run took longer than the time limit (raised by the alarm)."""


@contextlib.contextmanager
def time_limit(seconds: float, what: str = "the run") -> Iterator[None]:
    """Fail (not hang) when the block runs longer than ``seconds``: a guard, not a timing assertion.

    SIGALRM, so only in the main thread (where pytest runs tests)."""
    def expired(signum, frame):
        raise Expired(f"{what} took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _explain_text(path: Path, work: Path, env) -> None:
    from DICOMTeachLib.explain import explain, render_text

    render_text(explain(path))


def _explain_json(path: Path, work: Path, env) -> None:
    from DICOMTeachLib.explain import explain

    json.dumps(explain(path).to_json_dict())


def _explain_masked_html(path: Path, work: Path, env) -> None:
    from DICOMTeachLib.explain import explain
    from DICOMTeachLib.explain.html import render_html
    from DICOMTeachLib.explain.masking import apply_phi_mask

    render_html([apply_phi_mask(explain(path))])


def _index(path: Path, work: Path, env) -> None:
    from DICOMTeachLib.index import index_paths

    index_paths([path])


def _examine(path: Path, work: Path, env) -> None:
    from DICOMTeachLib.examine import examine_files

    examine_files([str(path)])


def _load(path: Path, work: Path, env) -> None:
    from DICOMTeachLib.examine import default_selection, examine_files
    from DICOMTeachLib.loading import load_loadable

    env.scene.Clear(0)
    for loadable in default_selection(examine_files([str(path)]).loadables):
        with contextlib.suppress(DICOMTeachError):  # one loadable refused: the others still load
            load_loadable(loadable, env.scene)


def _deidentify(path: Path, work: Path, env) -> None:
    from DICOMTeachLib.phi.deidentify import deidentify

    out = work / "deidentified"
    deidentify([path], out, salt="fuzz")
    for written in out.rglob("*"):
        if written.is_file():
            written.unlink()


RUNNERS: dict[str, Callable[[Path, Path, object], None]] = {
    "explain_text": _explain_text, "explain_json": _explain_json, "explain_masked_html": _explain_masked_html,
    "index": _index, "examine": _examine, "load": _load, "deidentify": _deidentify,
}


@dataclass
class EntryFigures:
    """What one entry point did over a campaign."""

    tried: int = 0
    refused: int = 0  # DICOMTeachError: the file and its reason
    escapes: list[tuple[str, str, str]] = field(default_factory=list)  # (mutant, kind, exception)
    slowest: tuple[float, str] = (0.0, "")
    peak_bytes: tuple[int, str] = (0, "")
    seconds: float = 0.0


def run_one(entry: str, path: Path, work: Path, env, seconds: float, figures: EntryFigures, kind: str,
            trace_memory: bool) -> None:
    """Run one entry point on one file; record refusal, escape, time and traced memory peak."""
    if trace_memory:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    try:
        with time_limit(seconds), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # warnings are the command's business (cli turns them into messages)
            RUNNERS[entry](path, work, env)
    except DICOMTeachError as error:
        figures.refused += 1
        if error.path is None or not error.reason:
            figures.escapes.append((path.name, kind, f"DICOMTeachError without file or reason: {error!r}"))
    except Exception as error:  # noqa: BLE001 - the point: count every other exception as an escape
        where = traceback.extract_tb(error.__traceback__)[-1]
        figures.escapes.append((path.name, kind, f"{type(error).__name__}: {str(error)[:200]} "
                                                 f"[{Path(where.filename).name}:{where.lineno}]"))
    elapsed = time.perf_counter() - start
    figures.tried += 1
    figures.seconds += elapsed
    if elapsed > figures.slowest[0]:
        figures.slowest = (elapsed, f"{path.name} ({kind})")
    if trace_memory:
        peak = tracemalloc.get_traced_memory()[1] - before
        if peak > figures.peak_bytes[0]:
            figures.peak_bytes = (peak, f"{path.name} ({kind})")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Campaign:
    figures: dict[str, EntryFigures]
    mutants: int
    kinds: dict[str, int]
    inputs_modified: list[str]
    seconds: float


def run_campaign(count: int, work: Path, *, seconds: float = 10.0, load_every: int = 1,
                 trace_memory: bool = True, seed: int = 20261130, entries: tuple[str, ...] = ENTRY_POINTS,
                 progress: Callable[[int], None] | None = None) -> Campaign:
    """``count`` mutants through ``entries`` (load: every ``load_every``-th mutant); inputs hashed before/after."""
    from collections import Counter

    seeds = load_seeds()
    figures = {entry: EntryFigures() for entry in entries}
    kinds: Counter[str] = Counter()
    modified = []
    env = None
    if "load" in entries:
        from DICOMTeachLib.headless import MRMLEnvironment

        env = MRMLEnvironment.create()
    started = time.perf_counter()
    if trace_memory:
        tracemalloc.start()
    try:
        for number, (name, kind, data) in enumerate(mutants(seeds, count, seed)):
            kinds[kind.split(":")[0]] += 1
            path = work / f"{name}.dcm"
            path.write_bytes(data)
            before = hashlib.sha256(data).hexdigest()
            for entry in entries:
                if entry == "load" and number % load_every:
                    continue
                run_one(entry, path, work, env, seconds, figures[entry], kind, trace_memory)
            if sha256(path) != before:
                modified.append(name)
            path.unlink()
            if progress is not None:
                progress(number + 1)
    finally:
        if trace_memory:
            tracemalloc.stop()
        if env is not None:
            env.close()
    return Campaign(figures, count, dict(kinds), modified, time.perf_counter() - started)
