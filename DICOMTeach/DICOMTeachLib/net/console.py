"""The exchanges the Slicer module offers (console API and panel), as text: the Qt-free half.

The module's logic finds the files of a series in Slicer's DICOM database,
installs the networking packages on first use, and calls these; pytest calls
them too, against a real PACS.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .dimse import DEFAULT_CALLED_AE, DEFAULT_CALLING_AE, Peer, echo, find, store
from .text import render_exchange


def _peer(address: str, called_ae: str, calling_ae: str, timeout: float) -> Peer:
    return Peer.parse(address, called_ae=called_ae, calling_ae=calling_ae, timeout=timeout)


def echo_text(address: str, called_ae: str = DEFAULT_CALLED_AE, calling_ae: str = DEFAULT_CALLING_AE,
              timeout: float = 10.0) -> str:
    return render_exchange(echo(_peer(address, called_ae, calling_ae, timeout)))


def send_files_text(address: str, files: Sequence[str], called_ae: str = DEFAULT_CALLED_AE,
                    calling_ae: str = DEFAULT_CALLING_AE, timeout: float = 10.0) -> str:
    """C-STORE the files (e.g. the selected series) and explain the exchange."""
    return render_exchange(store(_peer(address, called_ae, calling_ae, timeout), list(files)).exchange)


def query_text(address: str, level: str = "study", keys: Mapping[str, str | None] | None = None,
               called_ae: str = DEFAULT_CALLED_AE, calling_ae: str = DEFAULT_CALLING_AE,
               timeout: float = 10.0) -> str:
    """C-FIND and explain the exchange; the matches are the identifiers of the C-FIND-RSPs shown."""
    result = find(_peer(address, called_ae, calling_ae, timeout), level, dict(keys or {}))
    return render_exchange(result.exchange)
