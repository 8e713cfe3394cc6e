"""What an explanation of one instance is made of: plain, typed data.

The panel, the command line (text, ``--json``, ``--html``) and the PHI masking
all read these classes; ``Explanation.to_json_dict`` is the ``--json`` contract
of issue 3 section 5, key for key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # the anatomy is rendered as text/HTML, not part of the JSON contract
    from ..standard.services import SOPClassService
    from .anatomy import FileAnatomy
    from .directory import DirectoryReport

Severity = Literal["error", "warning", "info"]
AttributeStatus = Literal["present", "empty", "missing"]
ModuleStatus = Literal["present", "partial", "absent"]


@dataclass
class AttributeReport:
    """One attribute as the standard defines it and as the file holds it."""

    tag: str  # "(gggg,eeee)"
    keyword: str
    name: str
    type: str  # "1", "1C", "2", "2C", "3"; "" for elements no module defines
    vr: str
    vm: str
    status: AttributeStatus
    value: str | None = None  # shortened, for people; None when missing
    length: int | None = None  # value length in bytes; None when missing or undefined length
    offset: int | None = None  # byte offset of the element's tag in the file; None when unknown
    phi_action: str | None = None  # PS3.15 Basic Profile action code
    items: list[list[AttributeReport]] = field(default_factory=list)  # sequence items, nested
    tag_value: int = 0  # the tag as an int, for lookups (not in the JSON contract)
    condition: str = ""  # the condition of a 1C/2C attribute in words; "" for other types
    required: bool | None = None  # required here: True, False, or None when the data cannot tell
    decided_by: str = ""  # what in the file decided ``required`` (1C/2C); "" when undecided

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "tag": self.tag, "keyword": self.keyword, "name": self.name, "type": self.type,
            "vr": self.vr, "vm": self.vm, "status": self.status, "value": self.value,
            "length": self.length, "offset": self.offset, "phi_action": self.phi_action,
            "condition": self.condition, "required": self.required, "decided_by": self.decided_by,
            "items": [[attribute.to_json_dict() for attribute in item] for item in self.items],
        }


@dataclass
class ModuleReport:
    """One module of the IOD: usage, condition, and how much of it the file holds."""

    id: str
    name: str
    ie: str
    usage: str  # "M", "C", "U"
    condition: str  # the standard's condition text, "" when none
    condition_result: bool | None  # decided from the data; None when not machine-checkable
    status: ModuleStatus
    attributes: list[AttributeReport] = field(default_factory=list)
    decided_by: str = ""  # what in the file decided ``condition_result``; "" when undecided
    condition_words: str = ""  # the machine-checkable condition in words (dicom3tools' facts), "" when none

    @property
    def required(self) -> bool:
        """Mandatory, or conditional with a condition the data shows to be true."""
        return self.usage == "M" or (self.usage == "C" and self.condition_result is True)

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "ie": self.ie, "usage": self.usage,
            "condition": self.condition, "condition_result": self.condition_result,
            "required": self.required if self.usage != "U" else False, "decided_by": self.decided_by,
            "condition_words": self.condition_words, "status": self.status, "attributes": [attribute.to_json_dict() for attribute in self.attributes],
        }


@dataclass
class Problem:
    """Something the file does differently from the standard (or worth knowing)."""

    severity: Severity
    code: str  # stable short code, e.g. "type1-missing"
    tag: str | None  # "(gggg,eeee)" or None for file-level problems
    keyword: str | None
    module: str | None  # module id, None when not tied to a module
    message: str

    def to_json_dict(self) -> dict[str, Any]:
        return {"severity": self.severity, "code": self.code, "tag": self.tag, "keyword": self.keyword,
                "module": self.module, "message": self.message}


@dataclass
class Explanation:
    """The breakdown of one instance against its IOD."""

    path: str
    sop_class_uid: str | None
    sop_class_name: str | None
    iod: tuple[str, str] | None  # (id, name)
    transfer_syntax: tuple[str, str] | None  # (uid, name)
    service: SOPClassService | None = None  # the service half of the SOP class (Storage: C-STORE, ...)
    modules: list[ModuleReport] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    other_elements: list[AttributeReport] = field(default_factory=list)
    anatomy: FileAnatomy | None = None  # how the bytes are laid out (text/HTML views only)
    directory: DirectoryReport | None = None  # a DICOMDIR's record tree (JSON "directory", only for DICOMDIRs)

    @property
    def information_entities(self) -> list[str]:
        """The IEs in the standard's order (the order of the modules)."""
        seen: dict[str, None] = {}
        for module in self.modules:
            seen.setdefault(module.ie, None)
        return list(seen)

    def module(self, module_id: str) -> ModuleReport | None:
        return next((module for module in self.modules if module.id == module_id), None)

    def top_level_attributes(self) -> dict[int, AttributeReport]:
        """The data set's own elements by tag, as first reported (modules first, then the others); functional
        group macros are left out: their attributes sit inside the functional group sequences."""
        found: dict[int, AttributeReport] = {}
        for module in self.modules:
            if module.ie == "Functional Groups":
                continue
            for attribute in module.attributes:
                if attribute.status != "missing":
                    found.setdefault(attribute.tag_value, attribute)
        for attribute in self.other_elements:
            found.setdefault(attribute.tag_value, attribute)
        return found

    def problem_codes(self) -> set[str]:
        return {problem.code for problem in self.problems}

    def to_json_dict(self) -> dict[str, Any]:
        """Exactly the ``dicomteach explain --json`` object of one file."""
        return {
            "path": self.path,
            "sop_class_uid": self.sop_class_uid,
            "sop_class_name": self.sop_class_name,
            "iod": {"id": self.iod[0], "name": self.iod[1]} if self.iod else None,
            "transfer_syntax": ({"uid": self.transfer_syntax[0], "name": self.transfer_syntax[1]}
                                if self.transfer_syntax else None),
            "service": ({"class": self.service.service_class.name, "annex": self.service.service_class.annex,
                         "dimse": list(self.service.dimse)} if self.service else None),
            "modules": [module.to_json_dict() for module in self.modules],
            "problems": [problem.to_json_dict() for problem in self.problems],
            "other_elements": [attribute.to_json_dict() for attribute in self.other_elements],
            **({"directory": self.directory.to_json_dict()} if self.directory is not None else {}),
        }
