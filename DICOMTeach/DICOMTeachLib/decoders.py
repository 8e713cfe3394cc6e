"""Which PyPI packages decode which compressed transfer syntax, and which are missing here.

pydicom decodes compressed pixel data through optional plugins. Slicer does
not bundle all of them, so the plugin offers to install the missing ones on
first use (``slicer.util.pip_install``) instead of failing the load; headless,
the same list goes into the warning.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydicom.uid import UID

# One pip-installable set per compression family, enough for pydicom 3 to decode it.
_JPEG = ("pylibjpeg", "pylibjpeg-libjpeg")
_JPEG_LS = ("pyjpegls",)
_JPEG_2000 = ("pylibjpeg", "pylibjpeg-openjpeg")

DECODER_PACKAGES: dict[str, tuple[str, ...]] = {
    "1.2.840.10008.1.2.4.50": _JPEG,  # JPEG Baseline
    "1.2.840.10008.1.2.4.51": _JPEG,  # JPEG Extended
    "1.2.840.10008.1.2.4.57": _JPEG,  # JPEG Lossless
    "1.2.840.10008.1.2.4.70": _JPEG,  # JPEG Lossless, first-order prediction
    "1.2.840.10008.1.2.4.80": _JPEG_LS,
    "1.2.840.10008.1.2.4.81": _JPEG_LS,
    "1.2.840.10008.1.2.4.90": _JPEG_2000,
    "1.2.840.10008.1.2.4.91": _JPEG_2000,
    "1.2.840.10008.1.2.4.201": _JPEG_2000,  # High-Throughput JPEG 2000 (HTJ2K)
    "1.2.840.10008.1.2.4.202": _JPEG_2000,
    "1.2.840.10008.1.2.4.203": _JPEG_2000,
}


def can_decode(transfer_syntax: str) -> bool:
    """True when pydicom can decode this transfer syntax with what is installed (always for native data)."""
    from pydicom.pixels import get_decoder

    uid = UID(transfer_syntax)
    if not uid.is_compressed:
        return True
    try:
        return get_decoder(uid).is_available
    except NotImplementedError:
        return False


def missing_decoder_packages(transfer_syntaxes: Iterable[str]) -> list[str]:
    """The packages to install so that every given transfer syntax can be decoded (in a stable order)."""
    missing: dict[str, None] = {}
    for syntax in transfer_syntaxes:
        if not can_decode(syntax):
            missing.update(dict.fromkeys(DECODER_PACKAGES.get(str(syntax), ())))
    return list(missing)


def transfer_syntaxes_of(paths: Iterable[str]) -> set[str]:
    """The transfer syntaxes named in the files' meta information (unreadable files are left out)."""
    from pydicom.filereader import read_file_meta_info

    found = set()
    for path in paths:
        try:
            syntax = read_file_meta_info(path).get("TransferSyntaxUID")
        except Exception:  # a file we cannot read is examine's business, not ours
            continue
        if syntax:
            found.add(str(syntax))
    return found


def refresh_decoder_plugins() -> list[str]:
    """Make pydicom see decoder packages installed since it started; the transfer syntaxes that became decodable.

    pydicom decides once, when its decoders are first imported, which plugins are
    available: each plugin module tries to import its package and answers
    ``is_available``. A package installed later (``slicer.util.pip_install``) stays
    unseen until the app restarts. Here every unavailable plugin's module is
    imported again and the plugin added again, so the running process decodes.
    """
    import importlib
    import sys

    from pydicom.pixels.decoders import base

    importlib.invalidate_caches()
    reloaded: set[str] = set()
    gained: list[str] = []
    for syntax, (decoder, _version) in base._PIXEL_DATA_DECODERS.items():
        was_available = decoder.is_available
        for label in list(decoder._unavailable):
            module_name = f"pydicom.pixels.decoders.{label}"
            if module_name not in reloaded:
                module = sys.modules.get(module_name)
                try:
                    importlib.reload(module) if module is not None else importlib.import_module(module_name)
                except ImportError:
                    continue
                reloaded.add(module_name)
            decoder.remove_plugin(label)
            decoder.add_plugin(label, (module_name, "_decode_frame"))
        if decoder.is_available and not was_available:
            gained.append(str(syntax))
    return gained
