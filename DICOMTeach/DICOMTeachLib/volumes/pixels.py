"""Fill a volume's voxel array from the files of a plan, slice by slice.

Uncompressed little-endian slices are read straight from the file into one
reusable slice buffer (or directly into the volume when no rescale or bit
masking is needed), so the only large allocation is the volume itself.
Everything else (compressed, big endian, colour) goes through pydicom's pixel
handlers (pylibjpeg, gdcm, ...), one file at a time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..errors import DICOMTeachError, LoadError
from .plan import FrameRef, PixelFormat, VolumePlan

_RAW_SYNTAXES = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1"}  # implicit / explicit VR little endian

Progress = Callable[[float, str], None]


def stored_dtype(pixel_format: PixelFormat) -> np.dtype:
    signed = pixel_format.pixel_representation == 1
    kind = "i" if signed else "u"
    return np.dtype(f"<{kind}{max(1, pixel_format.bits_allocated // 8)}")


def _fix_bits(raw: np.ndarray, pixel_format: PixelFormat) -> np.ndarray:
    """Keep only the stored bits (sign-extended when signed), as GDCM and pydicom do."""
    stored, allocated = pixel_format.bits_stored, pixel_format.bits_allocated
    if not stored or stored >= allocated:
        return raw
    shift = allocated - stored
    if pixel_format.pixel_representation == 1:
        raw <<= shift
        raw >>= shift
    else:
        raw &= (1 << stored) - 1
    return raw


def _invert_monochrome1(raw: np.ndarray, pixel_format: PixelFormat) -> np.ndarray:
    """MONOCHROME1 -> MONOCHROME2 as GDCM does: (max + min of the stored range) - value."""
    bits = pixel_format.bits_stored or pixel_format.bits_allocated
    if pixel_format.pixel_representation == 1:
        low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    else:
        low, high = 0, (1 << bits) - 1
    return (np.int64(high + low) - raw.astype(np.int64)).astype(raw.dtype)


def _store(target: np.ndarray, raw: np.ndarray, frame: FrameRef, pixel_format: PixelFormat | None = None) -> None:
    """target = raw * slope + intercept in one pass where possible, no temporary of the target's size."""
    if pixel_format is not None and pixel_format.photometric == "MONOCHROME1":
        raw = _invert_monochrome1(raw, pixel_format)
    if frame.slope == 1.0 and frame.intercept == 0.0:
        np.copyto(target, raw, casting="unsafe")
    elif target.dtype.kind == "f":
        np.multiply(raw, target.dtype.type(frame.slope), out=target, casting="unsafe")
        if frame.intercept:
            target += frame.intercept
    elif frame.slope == 1.0:
        # Widen first, then add in the target's type (no int16 overflow): a third faster than one
        # mixed-type np.add, which casts through numpy's small intermediate buffers.
        np.copyto(target, raw, casting="unsafe")
        target += target.dtype.type(int(frame.intercept))
    else:
        np.multiply(raw, target.dtype.type(int(frame.slope)), out=target, casting="unsafe")
        if frame.intercept:
            target += target.dtype.type(int(frame.intercept))


def _read_raw_slice(path: str, offset: int, buffer: np.ndarray) -> None:
    with open(path, "rb") as fp:
        fp.seek(offset)
        if fp.readinto(memoryview(buffer).cast("B")) != buffer.nbytes:
            raise LoadError("the file ends inside its pixel data", path)


def _decoded(path: str, plan: VolumePlan) -> np.ndarray:
    """All frames of a file as (frames, rows, columns[, samples]) through pydicom's pixel handlers."""
    from ..bounds import check_jpeg2000_frames
    from ..safe_read import read_dataset

    try:
        dataset = read_dataset(path, what="the pixel data")
    except DICOMTeachError as error:
        raise LoadError(f"cannot read the pixel data (truncated or corrupt file): {error.reason}", path) from error
    try:
        check_jpeg2000_frames(dataset, path)  # before a native decoder sees a contradiction it would abort on
    except DICOMTeachError as error:
        raise LoadError(error.reason, path) from error
    try:
        if "PixelData" not in dataset:  # pydicom drops an encapsulated value it cannot read to its end
            raise LoadError("the pixel data cannot be read to its end (truncated or corrupt file)", path)
        array = dataset.pixel_array
        if plan.pixel_format.photometric.startswith("PALETTE"):
            from pydicom.pixels import apply_color_lut

            array = apply_color_lut(array, dataset)
    except (NotImplementedError, RuntimeError) as error:
        raise LoadError(f"cannot decode the pixel data: {error}", path) from error
    except (ValueError, OSError, EOFError, AttributeError, KeyError, TypeError) as error:
        raise LoadError(f"cannot read the pixel data: {error}", path) from error
    frames = int(dataset.get("NumberOfFrames", 1) or 1)
    if frames == 1 and array.ndim == (2 if plan.pixel_format.samples_per_pixel == 1 and
                                       not plan.pixel_format.photometric.startswith("PALETTE") else 3):
        array = array[np.newaxis]
    return array


def _fill_file(path: str, frames: list[tuple[int, FrameRef]], plan: VolumePlan, voxels: np.ndarray) -> None:
    """Write the frames of one file into their slices of ``voxels``."""
    pixel_format = plan.pixel_format
    rows, columns = plan.frames[0].rows, plan.frames[0].columns
    dtype = stored_dtype(pixel_format)
    direct = (np.dtype(plan.voxel_type) == dtype and pixel_format.photometric != "MONOCHROME1"
              and (not pixel_format.bits_stored or pixel_format.bits_stored >= pixel_format.bits_allocated))
    info = plan.pixel_data.get(path)
    raw_ok = (plan.transfer_syntaxes.get(path) in _RAW_SYNTAXES and info is not None and info.present
              and info.length is not None and pixel_format.samples_per_pixel == 1
              and pixel_format.bits_allocated in (8, 16, 32) and not pixel_format.photometric.startswith("PALETTE"))
    if not raw_ok:
        array = _decoded(path, plan)
        for index, frame in frames:
            if frame.frame >= len(array):
                raise LoadError(f"frame {frame.frame + 1} is missing from the pixel data", path)
            if array[frame.frame].shape != voxels[index].shape:
                raise LoadError(f"a frame of {array[frame.frame].shape} does not fit the volume's "
                                f"{voxels[index].shape}", path)
            _store(voxels[index], array[frame.frame], frame, pixel_format)
        return
    slice_bytes = rows * columns * dtype.itemsize
    needed = (max(f.frame for _, f in frames) + 1) * slice_bytes
    if info.length < needed:
        raise LoadError(f"the pixel data holds {info.length} bytes, {needed} are needed for "
                        f"{columns}x{rows} frames", path)
    buffer = None
    for index, frame in frames:
        offset = info.offset + frame.frame * slice_bytes
        if direct and frame.slope == 1.0 and frame.intercept == 0.0:
            _read_raw_slice(path, offset, voxels[index])  # straight into the volume
            continue
        if buffer is None:
            buffer = np.empty((rows, columns), dtype=dtype)
        _read_raw_slice(path, offset, buffer)
        _store(voxels[index], _fix_bits(buffer, pixel_format), frame, pixel_format)


#: files read in parallel: reading and converting release the GIL, so two threads overlap
#: one slice's file read with another's conversion (more gains nothing on a laptop's disk)
READ_THREADS = 2
_CHUNK = 8


def fill_voxels(plan: VolumePlan, voxels: np.ndarray, progress: Progress | None = None) -> None:
    """Write every frame of ``plan`` into ``voxels`` (slices, rows, columns[, samples])."""
    by_file: dict[str, list[tuple[int, FrameRef]]] = defaultdict(list)
    for index, frame in enumerate(plan.frames):
        by_file[frame.path].append((index, frame))
    files = list(by_file.items())
    chunks = [files[i:i + _CHUNK] for i in range(0, len(files), _CHUNK)]
    total, done = len(plan.frames), 0

    def fill_chunk(chunk: list[tuple[str, list[tuple[int, FrameRef]]]]) -> int:
        for path, frames in chunk:
            _fill_file(path, frames, plan, voxels)
        return sum(len(frames) for _, frames in chunk)

    threads = min(READ_THREADS, len(chunks)) or 1
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(fill_chunk, chunk) for chunk in chunks]
        try:
            for future in futures:  # in order: progress only from this thread
                done += future.result()
                if progress is not None:
                    progress(done / total, f"read {done} of {total} slices")
        except BaseException:
            for future in futures:
                future.cancel()
            raise
