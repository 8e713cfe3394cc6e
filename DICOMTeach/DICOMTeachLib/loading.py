"""Load: turn a chosen loadable into MRML nodes in a scene.

Dispatches on the loadable's kind to the builder registered for it. Every
builder takes (loadable, scene, progress) and returns a LoadResult, and raises
only LoadError (or another DICOMTeachError) for input it cannot load.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from .errors import DICOMTeachError, LoadError
from .loadable import Loadable, LoadableKind, LoadResult

#: kind -> "module:function" of its builder.
BUILDERS: dict[LoadableKind, str] = {
    LoadableKind.SCALAR_VOLUME: ".volumes.builder:build_scalar_volume",
    LoadableKind.VOLUME_SEQUENCE: ".volumes.sequence_builder:build_volume_sequence",
    LoadableKind.SEGMENTATION: ".seg.builder:load_segmentation",
    LoadableKind.STRUCTURED_REPORT: ".sr.builder:load_structured_report",
}

#: progress(fraction 0..1, message)
Progress = Callable[[float, str], None]


def load_loadable(loadable: Loadable, scene: Any, progress: Progress | None = None) -> LoadResult:
    spec = BUILDERS.get(loadable.kind)
    if spec is None:
        raise LoadError(f"no builder for {loadable.kind.value} loadables", loadable.name)
    module_name, function_name = spec.split(":")
    builder = getattr(importlib.import_module(module_name, __package__), function_name)
    try:
        return builder(loadable, scene, progress)
    except DICOMTeachError:
        raise
    except MemoryError as error:
        raise LoadError("not enough memory to load", loadable.name) from error
