"""Explain one instance: its SOP class, IOD, entities, modules, attributes and problems.

The standard's tables (``DICOMTeachLib.standard``) say what the IOD requires;
the file says what is there. Every attribute report carries where its bytes
are (offset of the tag, value length) so the views can connect the breakdown
to the file's anatomy.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field

from pydicom import Dataset
from pydicom.datadict import dictionary_is_retired, dictionary_VR, get_entry, get_private_entry
from pydicom.dataelem import RawDataElement
from pydicom.sequence import Sequence as PydicomSequence
from pydicom.uid import UID

from ..errors import DICOMTeachError, InvalidDicomError, UnknownIODError
from ..standard.conditions import Verdict
from ..standard.services import sop_class_service
from ..tag_format import tag_text
from .conditions import (
    FACTS_CANNOT_EXPRESS,
    HAND_WRITTEN_DECIDED,
    HAND_WRITTEN_SOURCE,
    TYPE_OVERRIDES,
    applies_to_value_type,
    attribute_condition,
    expected_modalities,
    item_attribute_condition,
    macro_waived,
    module_condition,
)
from .directory import DIRECTORY_SOP_CLASS
from .model import AttributeReport, Explanation, ModuleReport, Problem
from .reader import (
    LONG_VRS,
    ReadInstance,
    element_header_length,
    instance_from_dataset,
    length_in_file,
    read_instance,
)
from .validation import invalid_value_reason
from .values import SIMPLE_CHARSETS, raw_value_text, value_text

#: Sequence items explained per sequence (the per-frame functional groups: only the first).
MAX_ITEMS = 16
PER_FRAME_FUNCTIONAL_GROUPS = 0x52009230
SHARED_FUNCTIONAL_GROUPS = 0x52009229
UNDEFINED_LENGTH = 0xFFFFFFFF
_LATIN1_ENCODINGS = frozenset({"iso8859", "latin_1", "", *SIMPLE_CHARSETS})
_PHI: dict[int, str | None] = {}
FILE_META_GROUP = 0x0002


def explain(source: str | os.PathLike[str] | Dataset, *, anatomy: bool = True) -> Explanation:
    """The breakdown of a file (path) or a pydicom data set against its IOD.

    Raises DICOMTeachError (naming the file and the reason) when the bytes cannot be read at all;
    everything readable is explained, irregularities become problems.
    """
    path = str(getattr(source, "filename", None) or "<dataset>") if isinstance(source, Dataset) else str(source)
    try:
        with warnings.catch_warnings(), _quiet_pydicom():
            warnings.simplefilter("ignore")  # pydicom's value warnings: our problems say it better
            instance = instance_from_dataset(source) if isinstance(source, Dataset) else read_instance(source)
            explainer = _Explainer(instance)
            try:
                explanation = explainer.explain()
            finally:
                explainer.close()
            if anatomy and instance.file_size is not None:
                _add_anatomy(explanation, instance)
            _add_file_checks(explanation, instance)
    except DICOMTeachError:
        raise
    except Exception as error:  # damaged bytes surface late in pydicom (value conversion): still one clear line
        raise InvalidDicomError(f"cannot explain the data set: {type(error).__name__}: {error}", path) from error
    return explanation


def per_frame_item(path: str | os.PathLike[str], frame: int, module_id: str | None = None) -> list[AttributeReport]:
    """The item of frame ``frame`` (1-based) of the Per-Frame Functional Groups Sequence, reported as the
    breakdown reports frame 1's item: each element with its type (from ``module_id``'s rules when given),
    value and place in the file; macros the item does not hold are left out, as in the breakdown.

    The breakdown keeps only frame 1's item (an enhanced MR holds hundreds); the panel asks for the frame
    under the slice with this. DICOMTeachError when the file has no such frame.
    """
    path = str(path)
    try:
        with warnings.catch_warnings(), _quiet_pydicom():
            warnings.simplefilter("ignore")
            explainer = _Explainer(read_instance(path))
            try:
                explainer.sop_uid = explainer._string(explainer.ds, 0x00080016) or ""
                if PER_FRAME_FUNCTIONAL_GROUPS not in explainer.ds:
                    raise DICOMTeachError("no Per-Frame Functional Groups Sequence (5200,9230): no frame items", path)
                element = explainer._element(explainer.ds, PER_FRAME_FUNCTIONAL_GROUPS, 0)
                items = list(element.value) if element.is_sequence else []
                if not 1 <= frame <= len(items) or not isinstance(items[frame - 1], Dataset):
                    raise DICOMTeachError(f"no frame {frame}: the Per-Frame Functional Groups Sequence has "
                                          f"{len(items)} item(s)", path)
                rules: tuple = ()
                if module_id:
                    with contextlib.suppress(Exception):  # a module the tables lack: elements without types
                        rule = next((r for r in explainer.tables.module(module_id).attributes
                                     if r.tag == PER_FRAME_FUNCTIONAL_GROUPS), None)
                        rules = tuple(rule.items) if rule is not None else ()
                item = items[frame - 1]
                explainer._parents[id(item)] = explainer.ds
                reports = explainer._item(item, rules, element.child_base,
                                          f"PerFrameFunctionalGroupsSequence[{frame}] > ", module_id, [],
                                          (PER_FRAME_FUNCTIONAL_GROUPS,))
            finally:
                explainer.close()
    except DICOMTeachError:
        raise
    except Exception as error:  # damaged bytes: one clear line
        raise InvalidDicomError(f"cannot read frame {frame}'s functional groups: {type(error).__name__}: {error}",
                                path) from error
    return [report for report in reports if report.status != "missing"]


@contextlib.contextmanager
def _quiet_pydicom():
    """pydicom logs every odd value of a damaged file; our problems list says it once, in context."""
    logger = logging.getLogger("pydicom")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _add_anatomy(explanation: Explanation, instance: ReadInstance) -> None:
    """The file's layout; damaged bytes there cost the anatomy view, not the breakdown."""
    from .anatomy import file_anatomy

    try:
        explanation.anatomy = file_anatomy(instance, explanation)
    except Exception as error:  # noqa: BLE001 - reported as a problem instead
        explanation.problems.append(Problem("warning", "anatomy-unavailable", None, None, None,
                                            f"the file's layout cannot be shown: {type(error).__name__}: {error}"))


def _add_file_checks(explanation: Explanation, instance: ReadInstance) -> None:
    """Checks of the bytes and of the file set (odd lengths, file meta UIDs, a DICOMDIR's records)."""
    from .anatomy import layout_problems
    from .directory import explain_directory, is_directory

    explanation.problems.extend(layout_problems(explanation, instance))
    if is_directory(instance.dataset):
        try:
            explanation.directory = explain_directory(instance.dataset,
                                                      instance.path if instance.file_size else None)
        except Exception as error:  # noqa: BLE001 - damaged records cost the record tree, not the breakdown
            explanation.problems.append(Problem("error", "directory-unreadable", None, None, None,
                                                f"the directory records cannot be followed: "
                                                f"{type(error).__name__}: {error}"))
            return
        explanation.problems.extend(explanation.directory.problems)


@dataclass
class _Element:
    """One element as read: the raw form (for positions) and its converted value."""

    tag: int
    vr: str
    file_vr: str | None  # VR written in the file (explicit VR), None for implicit
    length: int | None
    offset: int | None
    value: object  # converted value, or the values read from the bytes
    text: str | None  # display text when read straight from the bytes
    deferred: bool
    empty: bool
    is_sequence: bool
    child_base: int  # base to add to positions inside this sequence's items


@dataclass
class _Explainer:
    instance: ReadInstance
    problems: list[Problem] = field(default_factory=list)
    _checked_elements: set[tuple[int, int]] = field(default_factory=set)
    _charsets: dict[int, bool] = field(default_factory=dict)
    _present: dict[int, set[int]] = field(default_factory=dict)
    _creators: dict[tuple[int, int], str] = field(default_factory=dict)  # (data set id, creator tag) -> name
    _overrides: dict[int, str] = field(default_factory=dict)  # tag -> type imposed by another module
    _encodings: dict[int, tuple[bool | None, bool | None]] = field(default_factory=dict)
    _name_cache: dict[tuple[int, int], tuple[str, str, str]] = field(default_factory=dict)
    _parents: dict[int, Dataset] = field(default_factory=dict)  # id(item) -> the data set holding its sequence
    _definers: dict[int, int] = field(default_factory=dict)  # top-level tag -> how many modules of the IOD define it
    _values: dict = field(default_factory=dict)  # values the condition interpreter read, by (id(data set), tag)
    _deciding: bool = True  # decide 1C/2C conditions (False while walking a module that is absent and not required)
    _enum_reported: set = field(default_factory=set)
    _verdicts: dict = field(default_factory=dict)  # (condition, id(data set), id(parent)) -> Verdict
    _file = None

    def __post_init__(self) -> None:
        from ..standard import standard
        from ..standard.conditions import condition_facts

        self.tables = standard()
        self.facts = condition_facts()
        self.ds = self.instance.dataset
        self.sop_uid = ""

    # -- the whole instance -------------------------------------------------------------------------------

    def explain(self) -> Explanation:
        ds = self.ds
        for severity, code, message in self.instance.notes:
            self.problems.append(Problem(severity, code, None, None, None, message))
        # A DICOMDIR has no SOP Common module: its SOP class is only in the file meta (PS3.10 7.1, 8.6).
        sop_uid = self.sop_uid = self._string(ds, 0x00080016) or self._directory_sop_class()
        entry = self.tables.sop_class(sop_uid) if sop_uid else None
        iod = None
        if entry is not None:
            try:
                iod = self.tables.iod(entry.iod_id)
            except UnknownIODError:
                iod = None
        service = sop_class_service(sop_uid) if sop_uid else None
        sop_name = entry.name if entry else (UID(sop_uid).name if sop_uid and UID(sop_uid).name != sop_uid else None)
        if service is not None and (sop_name is None or sop_uid in sop_name):  # a name the IOD tables lack
            sop_name = service.name
        self._sop_class_problems(sop_uid, entry, iod, service)
        explanation = Explanation(
            path=self.instance.path, sop_class_uid=sop_uid or None, sop_class_name=sop_name,
            iod=(iod.id, iod.name) if iod else None, transfer_syntax=self._transfer_syntax(), service=service,
        )
        covered: set[int] = {FILE_META_GROUP}
        if iod is not None:
            self._overrides = self._type_overrides(iod)
            self._definers = _definers(self.tables, iod)
            for reference in iod.modules:
                module = self._module(reference.module_id, reference.name, reference.ie, reference.usage,
                                      reference.condition)
                explanation.modules.append(module)
                covered.update(attribute.tag_value for attribute in module.attributes)
            explanation.modules.extend(self._functional_groups(iod.id))
        for tag in ds.keys():
            if tag in covered or tag >> 16 == FILE_META_GROUP:
                continue
            element = self._element(ds, tag, 0)
            label = self._names(tag, ds)[0] or tag_text(tag)
            report = self._report(ds, element, None, 0, label, None, [])
            explanation.other_elements.append(report)
        self._other_element_problems(explanation.other_elements, known_iod=iod is not None)
        self._modality_problem(sop_uid)
        explanation.problems = _once(self.problems)
        return explanation

    def _directory_sop_class(self) -> str:
        meta = getattr(self.ds, "file_meta", None)
        uid = self._string(meta, 0x00020002) if meta is not None and len(meta) else ""
        return uid if uid == DIRECTORY_SOP_CLASS else ""

    def _type_overrides(self, iod) -> dict[int, str]:
        """Types one module of this IOD imposes on attributes that other modules define too."""
        overrides: dict[int, str] = {}
        for reference in iod.modules:
            tags = TYPE_OVERRIDES.get(reference.module_id)
            if tags:
                for rule in self.tables.module(reference.module_id).attributes:
                    if rule.tag in tags:
                        overrides[rule.tag] = rule.type
        return overrides

    def _transfer_syntax(self) -> tuple[str, str] | None:
        meta = getattr(self.ds, "file_meta", None)
        uid = self._string(meta, 0x00020010) if meta is not None and len(meta) else ""
        if not uid:
            implicit, little = self.ds.original_encoding
            if implicit is None:
                return None
            guessed = "1.2.840.10008.1.2" if implicit else ("1.2.840.10008.1.2.1" if little else "1.2.840.10008.1.2.2")
            return guessed, f"{UID(guessed).name} (guessed: no file meta)"
        name = UID(uid).name
        return uid, name if name != uid else "unknown transfer syntax"

    def _sop_class_problems(self, sop_uid: str, entry, iod, service=None) -> None:
        if not sop_uid:
            self.problems.append(Problem("error", "unknown-sop-class", "(0008,0016)", "SOPClassUID", None,
                                         "SOP Class UID is missing: no IOD to check against; the file's elements "
                                         "are listed as they are"))
        elif entry is None and service is not None and service.service_class.key != "storage":
            self.problems.append(Problem("warning", "service-sop-class", "(0008,0016)", "SOPClassUID", None,
                                         f"SOP Class {service.name} belongs to the {service.summary}: a service, "
                                         "not a stored object, so no IOD describes a file of it; the file's "
                                         "elements are listed as they are"))
        elif entry is None:
            known = UID(sop_uid).name
            what = f"{known}, which the standard's tables do not list" if known != sop_uid else "not in the standard"
            self.problems.append(Problem("warning", "unknown-sop-class", "(0008,0016)", "SOPClassUID", None,
                                         f"SOP Class {sop_uid} is {what} (private or retired): the file's "
                                         "elements are listed as they are"))
        elif iod is None:
            self.problems.append(Problem("warning", "unknown-sop-class", "(0008,0016)", "SOPClassUID", None,
                                         f"SOP Class {entry.name} names IOD {entry.iod_id!r}, which the tables "
                                         "do not define: the file's elements are listed as they are"))
        if entry is not None and entry.retired:
            self.problems.append(Problem("warning", "retired-sop-class", "(0008,0016)", "SOPClassUID", None,
                                         f"SOP Class {entry.name} is retired from the standard"))

    def _modality_problem(self, sop_uid: str) -> None:
        if not sop_uid:
            return
        allowed = expected_modalities(sop_uid)
        modality = self._string(self.ds, 0x00080060)
        if allowed and modality and modality not in allowed:
            self.problems.append(Problem(
                "error", "sop-modality-mismatch", "(0008,0060)", "Modality", None,
                f"Modality {modality} does not fit SOP Class {UID(sop_uid).name} "
                f"(expects {', '.join(sorted(allowed))})"))

    # -- modules ------------------------------------------------------------------------------------------

    def _module(self, module_id: str, name: str, ie: str, usage: str, condition: str,
                ds: Dataset | None = None, base: int = 0, path: str = "", waived: bool = False,
                verdict: Verdict | None = None) -> ModuleReport:
        ds = self.ds if ds is None else ds
        definition = self.tables.module(module_id)
        pending: list[Problem] = []
        # Conditions speak about the whole instance, also for a functional group macro checked in an item.
        if verdict is None:
            verdict = self._module_verdict(module_id, usage, condition) if usage == "C" else None
        # The 1C/2C verdicts of a module that is neither in the file nor required would decide nothing a reader
        # needs: they stay open (and cost nothing).
        tags = self._tags(ds)
        self._deciding = (usage == "M" or bool(verdict and verdict.required)
                          or any(rule.tag in tags for rule in definition.attributes))
        attributes = [self._rule_report(ds, rule, base, path, module_id, pending)
                      for rule in definition.attributes]
        self._deciding = True
        present = [a for a in attributes if a.status != "missing"]
        if usage in ("C", "U") and not path and present:
            present = self._own_attributes(module_id, usage, attributes, present)
        if not present:
            status = "absent"
        elif all(a.status != "missing" for a in attributes  # (not required: of another SR Value Type)
                 if (self._overrides.get(a.tag_value, a.type) if not path else a.type) in ("1", "2")
                 and a.required is not False):
            status = "present"
        else:
            status = "partial"
        report = ModuleReport(module_id, name, ie, usage, condition, verdict.required if verdict else None, status,
                              attributes, decided_by=verdict.decided_by if verdict else "",
                              condition_words=verdict.condition if verdict else "")
        if (report.required and not waived) or status != "absent":
            self.problems.extend(pending)
        return report

    def _own_attributes(self, module_id: str, usage: str, attributes: list[AttributeReport],
                        present: list[AttributeReport]) -> list[AttributeReport]:
        """The present attributes that show an optional module is there: only those no other module of the IOD
        defines (Pixel Spacing alone does not make an Image Plane module on a Secondary Capture image). When
        every attribute of the module is shared, dicom3tools' presence condition for the module decides."""
        if any(self._definers.get(a.tag_value, 1) <= 1 for a in present):
            return present
        if any(self._definers.get(a.tag_value, 1) <= 1 for a in attributes):
            return []
        fact = self.facts.module_condition(self.sop_uid, module_id)
        if fact and fact[0] == "U":
            return present if self.facts.decide(fact[1], self.ds, self.ds, cache=self._values).required else []
        return present

    def _module_verdict(self, module_id: str, usage: str, condition: str) -> Verdict:
        """Is a conditional module required? dicom3tools' facts first; a hand-written rule where they cannot tell."""
        clause = FACTS_CANNOT_EXPRESS.get(module_id)
        result = module_condition(module_id, self.ds, condition) if clause else None
        if result is not None:
            return Verdict(result, condition, HAND_WRITTEN_DECIDED, clause)
        fact = self.facts.module_condition(self.sop_uid, module_id)
        verdict = None
        if fact and fact[0] == "C":
            verdict = self.facts.decide(self.facts.required_condition(fact[1]), self.ds, self.ds, cache=self._values)
        if verdict is not None and verdict.required is False and fact[2]:
            # dicom3tools only looks for the module's attributes: their absence does not settle the standard's
            # condition (e.g. "contrast media was used").
            verdict = Verdict(None, condition or verdict.condition, "", verdict.source)
        if verdict is not None and verdict.required is not None:
            return verdict
        result = module_condition(module_id, self.ds, condition)
        if result is not None:
            return Verdict(result, condition, HAND_WRITTEN_DECIDED,
                           HAND_WRITTEN_SOURCE)
        return verdict or Verdict(None, condition)

    def _functional_groups(self, iod_id: str) -> list[ModuleReport]:
        """Enhanced multi-frame: each functional group macro, where the file puts it.

        A macro sits either in the shared item or in every per-frame item (PS3.3 C.7.6.16.1): the report shows
        it from the shared item or from frame 1, and every per-frame item is checked, problems naming the
        frames concerned. Where the IOD allows the macro (shared, per-frame or both) comes from the facts.
        """
        macros = self.tables.functional_groups(iod_id)
        shared = self._all_items(SHARED_FUNCTIONAL_GROUPS)
        frames = self._all_items(PER_FRAME_FUNCTIONAL_GROUPS)
        if not macros or (shared is None and frames is None):
            return []
        shared_item = shared[0][0] if shared and shared[0] else None
        reports = []
        for macro in macros:
            definition = self.tables.module(macro.module_id)
            tags = [rule.tag for rule in definition.attributes]
            in_shared = shared_item is not None and any(tag in self._tags(shared_item) for tag in tags)
            with_macro = [number for number, item in enumerate(frames[0] if frames else [], start=1)
                          if any(tag in self._tags(item) for tag in tags)]
            verdict, places = self._macro_verdict(macro, tags)
            self._placement_problems(macro, in_shared, with_macro, places)
            if in_shared:
                item, base, path, place = shared_item, shared[1], "SharedFunctionalGroupsSequence[1] > ", "shared"
            elif with_macro:
                item, base = frames[0][0], frames[1]
                path, place = "PerFrameFunctionalGroupsSequence[1] > ", "per-frame"
            else:
                item, base, place = Dataset(), 0, "not in the file"
                path = "SharedFunctionalGroupsSequence or PerFrameFunctionalGroupsSequence[1] > "
            waived = macro_waived(macro.module_id, self.ds, in_shared_item=place == "shared")
            if waived and place == "not in the file":
                place = "not needed here"
            if place == "per-frame":
                report = self._per_frame_macro(macro, frames, verdict, waived)
            else:
                report = self._module(macro.module_id, f"{macro.name} ({place})", "Functional Groups", macro.usage,
                                      macro.condition, item, base, path, waived, verdict)
            reports.append(report)
        return reports

    def _macro_verdict(self, macro, tags: list[int]) -> tuple[Verdict | None, tuple[str, str] | None]:
        """(is the macro required, where the IOD allows it) from the facts; (None, None) when they lack it."""
        places = self.facts.group_places(self.sop_uid, tags[0]) if tags else None
        if places is None:
            return None, None
        verdicts = [self.facts.decide(name, self.ds, self.ds, cache=self._values) for name in places if name]
        results = [verdict.required for verdict in verdicts]
        required = True if True in results else (False if results and all(r is False for r in results) else None)
        decided = next((verdict for verdict in verdicts if verdict.required == required), None)
        words = " / ".join(dict.fromkeys(verdict.condition for verdict in verdicts))
        verdict = Verdict(required, words, decided.decided_by if decided else "", decided.source if decided else "")
        return (verdict if macro.usage != "M" or required is not None else None), places

    def _placement_problems(self, macro, in_shared: bool, with_macro: list[int], places) -> None:
        name = f"{macro.name} functional group"
        if in_shared and with_macro:
            self.problems.append(Problem(
                "error", "functional-group-placement", None, None, macro.module_id,
                f"{name} is in the shared item and in per-frame items ({_frames_text(with_macro)}): it belongs in "
                "one of the two places (PS3.3 C.7.6.16.1)"))
        if places is None:
            return
        if in_shared and not places[0]:
            self.problems.append(Problem("error", "functional-group-placement", None, None, macro.module_id,
                                         f"{name} is in the shared item but this IOD has it per frame only"))
        if with_macro and not places[1]:
            self.problems.append(Problem("error", "functional-group-placement", None, None, macro.module_id,
                                         f"{name} is in per-frame items but this IOD has it in the shared item only"))

    def _per_frame_macro(self, macro, frames, verdict, waived: bool) -> ModuleReport:
        """A macro kept per frame: the report from frame 1, problems from every frame (frames named)."""
        items, base = frames
        saved = self.problems
        self.problems = []
        report = self._module(macro.module_id, f"{macro.name} (per-frame)", "Functional Groups", macro.usage,
                              macro.condition, items[0], base, "PerFrameFunctionalGroupsSequence[1] > ", waived,
                              verdict)
        found = [(1, problem) for problem in self.problems]
        rules = self.tables.module(macro.module_id).attributes
        required = (report.required and not waived)
        for number, item in enumerate(items[1:], start=2):
            # The other frames: requirements only (their values are not shown), cheap enough for thousands.
            self._parents[id(item)] = self.ds
            pending: list[Problem] = []
            present = self._check_item(item, rules, f"PerFrameFunctionalGroupsSequence[{number}] > ",
                                       macro.module_id, (), pending)
            if present or required:
                found.extend((number, problem) for problem in pending)
        self.problems = saved
        self.problems.extend(_by_frames(found))
        return report

    def _enumerated_value_problems(self, element: _Element, rule, label: str, module_id: str,
                                   path: tuple[int, ...]) -> None:
        """A value outside the Enumerated Values the tables list for this attribute (a warning: PS3.5 6.3.5)."""
        checks = self.facts.enumerated_values(module_id, path)
        if not checks:
            return
        value = element.value
        if isinstance(value, str):
            values = value.split("\\")
        elif isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
            values = list(value)
        else:
            values = [value]
        texts = [str(one).strip(" \x00") for one in values]
        key = (id(element), rule.tag, module_id)
        for allowed, selector in checks:
            chosen = list(enumerate(texts)) if selector < 0 else list(enumerate(texts))[selector:selector + 1]
            for index, text in chosen:
                if text and text not in allowed and (key, index) not in self._enum_reported:
                    self._enum_reported.add((key, index))
                    which = f"value {index + 1} " if len(texts) > 1 or selector >= 0 else ""
                    self.problems.append(Problem(
                        "warning", "enumerated-value", tag_text(rule.tag), rule.keyword, module_id,
                        f"{tag_text(rule.tag)} {label} {which}is '{text}', not one of its Enumerated Values "
                        f"({', '.join(allowed[:12])}{' ...' if len(allowed) > 12 else ''})"))

    def _check_item(self, item: Dataset, rules, path: str, module_id: str, prefix: tuple[int, ...],
                    pending: list[Problem]) -> bool:
        """The requirement problems of ``rules`` in ``item`` without building reports; True when any is present."""
        tags = self._tags(item)
        any_present = False
        for rule in rules:
            status = "missing"
            items: list = []
            if rule.tag in tags:
                any_present = True
                raw = item.get_item(rule.tag, keep_deferred=True)
                if isinstance(raw, RawDataElement) and not rule.is_sequence and raw.value is not None:
                    status = "empty" if raw.length == 0 else "present"
                elif isinstance(raw, RawDataElement) and raw.value is None:
                    status = "empty" if raw.length == 0 else "present"
                else:
                    try:
                        value = item[rule.tag].value
                    except Exception:  # noqa: BLE001 - a damaged value: shown with frame 1's kind of check
                        value = None
                    status = "empty" if value in (None, "", b"") or value == [] else "present"
                    if rule.items and isinstance(value, (list, PydicomSequence)):
                        items = [child for child in value if isinstance(child, Dataset)]
            label = f"{path}{rule.keyword or tag_text(rule.tag)}"
            report = AttributeReport(tag_text(rule.tag), rule.keyword, rule.name, rule.type, rule.vr, rule.vm, status,
                                     tag_value=rule.tag)
            self._requirement(item, rule, report, label, module_id, pending, nested=bool(path), prefix=prefix)
            for number, child in enumerate(items[:MAX_ITEMS], start=1):
                self._parents[id(child)] = item
                self._check_item(child, rule.items, f"{label}[{number}] > ", module_id, (*prefix, rule.tag), pending)
        return any_present

    def _all_items(self, tag: int) -> tuple[list[Dataset], int] | None:
        if tag not in self.ds:
            return None
        element = self._element(self.ds, tag, 0)
        if not element.is_sequence or not element.value:
            return None
        items = [item for item in element.value if isinstance(item, Dataset)]
        for item in items:
            self._parents[id(item)] = self.ds
        return items, element.child_base

    # -- attributes ---------------------------------------------------------------------------------------

    def _rule_report(self, ds: Dataset, rule, base: int, path: str, module_id: str,
                     pending: list[Problem], prefix: tuple[int, ...] = ()) -> AttributeReport:
        label = f"{path}{rule.keyword or tag_text(rule.tag)}"
        if rule.tag not in self._tags(ds):
            report = AttributeReport(tag_text(rule.tag), rule.keyword, rule.name, rule.type, rule.vr, rule.vm,
                                     "missing", phi_action=self._phi(rule.tag), tag_value=rule.tag)
        else:
            element = self._element(ds, rule.tag, base)
            report = self._report(ds, element, rule, base, label, module_id, pending, prefix)
        self._requirement(ds, rule, report, label, module_id, pending, nested=bool(path), prefix=prefix)
        return report

    def _attribute_verdict(self, ds: Dataset, rule, kind: str, module_id: str, prefix: tuple[int, ...],
                           nested: bool) -> tuple[Verdict, bool]:
        """(verdict, may be present otherwise) of a 1C/2C attribute, saying where the 2026 edition's type differs
        from the one in dicom3tools' tables."""
        fact = self.facts.attribute(module_id, (*prefix, rule.tag)) if module_id else None
        verdict, may_be_present = self._attribute_verdict_of(ds, rule, kind, module_id, prefix, nested, fact)
        if fact is not None and fact.type and fact.type != kind:
            note = f" [Type {kind} in the 2026 edition; Type {fact.type} in dicom3tools' 2024 tables]"
            verdict = dataclasses.replace(verdict, condition=verdict.condition + note)
        return verdict, may_be_present

    def _attribute_verdict_of(self, ds: Dataset, rule, kind: str, module_id: str, prefix: tuple[int, ...],
                              nested: bool, fact) -> tuple[Verdict, bool]:
        verdict = None
        if fact is not None and fact.condition and not self._deciding:
            return Verdict(None, self.facts.words(fact.condition), "", "the module is neither present nor required"), True
        if fact is not None and fact.condition:
            parent = self._parents.get(id(ds), self.ds)
            key = (fact.condition, id(ds), id(parent))  # many attributes of a data set share one condition
            verdict = self._verdicts.get(key)
            if verdict is None:
                verdict = self._verdicts[key] = self.facts.decide(fact.condition, ds, self.ds, parent, self._values)
            if verdict.required is not None:
                return verdict, fact.may_be_present_otherwise
        # The top-level table speaks about a module's own attributes; inside items the same tag can carry
        # another condition, so items have their own table (conditions the item itself decides).
        result = item_attribute_condition(rule.tag, ds) if nested else attribute_condition(rule.tag, ds)
        if result is not None:
            return Verdict(result, verdict.condition if verdict else "",
                           HAND_WRITTEN_DECIDED, HAND_WRITTEN_SOURCE), True
        if verdict is not None:
            return verdict, True
        if fact is not None:
            return Verdict(None, "the standard's condition needs knowledge outside the file (dicom3tools: "
                                 "NoCondition)", "", f"dicom3tools ({self.facts.source})"), True
        return Verdict(None, "no condition in dicom3tools' (2024-12) tables: newer in the 2026 edition, or nested "
                             "deeper than they reach", ""), True

    def _requirement(self, ds: Dataset, rule, report: AttributeReport, label: str, module_id: str,
                     pending: list[Problem], nested: bool, prefix: tuple[int, ...] = ()) -> None:
        kind = rule.type if nested else self._overrides.get(rule.tag, rule.type)
        report.required = kind in ("1", "2")
        if not applies_to_value_type(rule.tag, ds):
            report.required = False
            return  # an SR content item of another Value Type: this attribute is not part of it
        where = f"{tag_text(rule.tag)} {label}"
        if kind in ("1C", "2C"):
            verdict, may_be_present = self._attribute_verdict(ds, rule, kind, module_id, prefix, nested)
            report.condition, report.required, report.decided_by = verdict.condition, verdict.required, \
                verdict.decided_by
        if kind == "1C" and report.status == "empty":
            # Present only when its condition holds, and then with a value (PS3.5 7.4.3): empty is wrong either way.
            pending.append(Problem("error", "type1c-empty", report.tag, rule.keyword, module_id,
                                   f"type 1C attribute {where} is present but empty: when present it needs a value"))
            return
        if kind in ("1C", "2C"):
            code_base = "type1c" if kind == "1C" else "type2c"
            because = f" ({verdict.decided_by})" if verdict.decided_by else ""
            if verdict.required is True and report.status == "missing" and verdict.assumed:
                # The standard's condition needs a fact the file does not state (is the body part paired?):
                # dciodvfy reads the silence as "required"; a student is told it is that reading, not a finding.
                empty_allowed = " (empty is allowed: type 2C)" if kind == "2C" else ""
                pending.append(Problem(
                    "warning", f"{code_base}-missing", report.tag, rule.keyword, module_id,
                    f"type {kind} attribute {where} is missing, and nothing in the file rules its condition out "
                    f"({verdict.assumed}): a cautious reader, dciodvfy among them, calls it an error; give it"
                    f"{empty_allowed}, or the attribute that settles the condition"))
            elif verdict.required is True and report.status == "missing":
                pending.append(Problem("error", f"{code_base}-missing", report.tag, rule.keyword, module_id,
                                       f"type {kind} attribute {where} is missing and its condition holds{because}"))
            elif verdict.required is False and report.status != "missing" and not may_be_present:
                # PS3.5 7.4.2/7.4.4: a conditional attribute whose condition is unmet shall not be present.
                pending.append(Problem("error", "condition-unmet-present", report.tag, rule.keyword, module_id,
                                       f"type {kind} attribute {where} is present although its condition is not "
                                       f"met{because}: it shall not be present"))
        elif kind == "1" and report.status != "present":
            pending.append(Problem("error", f"type1-{report.status}", report.tag, rule.keyword, module_id,
                                   f"type 1 attribute {where} is {report.status}: it needs a value"))
        elif kind == "2" and report.status == "missing":
            pending.append(Problem("error", "type2-missing", report.tag, rule.keyword, module_id,
                                   f"type 2 attribute {where} is missing: it must be present, even if empty"))

    def _report(self, ds: Dataset, element: _Element, rule, base: int, label: str, module_id: str | None,
                pending: list[Problem], prefix: tuple[int, ...] = ()) -> AttributeReport:
        tag = element.tag
        if rule is not None:
            keyword, name, kind, vm = rule.keyword, rule.name, rule.type, rule.vm
        else:
            keyword, name, vm = self._names(tag, ds)
            kind = ""
        report = AttributeReport(
            tag_text(tag), keyword, name, kind, element.file_vr or element.vr, vm,
            "empty" if element.empty else "present",
            value=self._value_text(element), length=element.length, offset=element.offset,
            phi_action=self._phi(tag), tag_value=tag,
        )
        self._element_problems(element, keyword, label, ds, module_id)
        if rule is not None and module_id and not element.empty and not element.deferred and not element.is_sequence:
            self._enumerated_value_problems(element, rule, label, module_id, (*prefix, tag))
        if element.is_sequence and element.value:
            limit = 1 if tag == PER_FRAME_FUNCTIONAL_GROUPS else MAX_ITEMS
            item_rules = rule.items if rule is not None else ()
            functional_groups = tag in (SHARED_FUNCTIONAL_GROUPS, PER_FRAME_FUNCTIONAL_GROUPS)
            for number, item in enumerate(element.value[:limit], start=1):
                # Functional group items hold each macro in one of two places: the macro reports check them.
                item_pending = [] if functional_groups else pending
                if isinstance(item, Dataset):
                    self._parents[id(item)] = ds
                reports = self._item(item, item_rules, element.child_base, f"{label}[{number}] > ", module_id,
                                     item_pending, (*prefix, tag))
                if functional_groups:
                    reports = [r for r in reports if r.status != "missing"]
                report.items.append(reports)
        return report

    def _item(self, item: Dataset, rules: Iterable, base: int, path: str, module_id: str | None,
              pending: list[Problem], prefix: tuple[int, ...] = ()) -> list[AttributeReport]:
        reports = []
        defined = set()
        for rule in rules:
            defined.add(rule.tag)
            reports.append(self._rule_report(item, rule, base, path, module_id or "", pending, prefix))
        for tag in item.keys():
            if tag not in defined:
                element = self._element(item, tag, base)
                label = f"{path}{self._names(tag, item)[0] or tag_text(tag)}"
                reports.append(self._report(item, element, None, base, label, module_id, pending))
        return reports

    # -- one element: bytes, value, problems ----------------------------------------------------------------

    def _element(self, ds: Dataset, tag: int, base: int) -> _Element:
        raw = ds.get_item(tag, keep_deferred=True)
        implicit, little = self._encoding(ds)
        if isinstance(raw, RawDataElement):
            file_vr = None if raw.is_implicit_VR else raw.VR
            implicit, little = raw.is_implicit_VR, raw.is_little_endian
            tell, length = raw.value_tell, raw.length
            deferred = raw.value is None and length != 0  # skipped by defer_size (defined or undefined length)
        else:
            file_vr = None if implicit else raw.VR
            tell, length = raw.file_tell, None
            deferred = False
            if not implicit and tell is not None and self.instance.offsets_known:
                # pydicom converted it already and kept its own VR (UN becomes the dictionary's): ask the file.
                file_vr = self._vr_in_file(base + tell) or file_vr
        offset = None
        if tell is not None and self.instance.offsets_known:
            offset = base + tell - element_header_length(file_vr, bool(implicit))
            if length is None and not (raw.VR == "SQ" and getattr(raw, "is_undefined_length", False)):
                length = self._length_in_file(offset, file_vr, bool(implicit), little is not False)
        if length == UNDEFINED_LENGTH:
            length = None
        vr = file_vr or _dictionary_vr(tag)
        if vr == "UN" and tag >> 16 & 1 == 0 and " " not in _dictionary_vr(tag):
            vr = _dictionary_vr(tag)  # UN holds the value as implicit VR little endian would (PS3.5 6.2.2)
            little = True
        text: str | None = None
        value: object = None
        if deferred and vr == "SQ" and self._within_file(offset, length):
            deferred = False  # a sequence is worth reading: its items are the breakdown
        if deferred:  # encapsulated pixel data has no length: its items end at a delimiter
            text = f"<{length} bytes, not read>" if length is not None else "<undefined length, not read>"
        elif isinstance(raw, RawDataElement) and vr != "SQ" and " " not in vr and raw.value is not None:
            fast = raw_value_text(raw.value, vr, little is not False, self._simple_charset(ds))
            if fast is not None:
                text, value = fast
        if text is None and not deferred:
            try:
                converted = ds[tag]
                value, vr = converted.value, converted.VR
            except Exception as error:  # noqa: BLE001 - a value its VR cannot hold: shown and reported
                value = f"<unreadable value: {error}>"
        is_sequence = vr == "SQ" and not deferred and isinstance(value, (list, PydicomSequence))
        # Items of a sequence parsed from its value bytes count positions from the value's start: every
        # defined-length sequence (raw now, or converted earlier, e.g. by a condition that read it); pydicom
        # reads undefined-length ones in place, with the positions of the bytes it was reading.
        from_value_bytes = isinstance(raw, RawDataElement) or not getattr(raw, "is_undefined_length", False)
        child_base = base + tell if (is_sequence and from_value_bytes and tell is not None) else base
        if is_sequence:
            empty = len(value) == 0
        elif deferred:
            empty = False  # skipped because it is long (or of undefined length): certainly not empty
        elif length is not None:
            empty = length == 0
        else:
            empty = value in (None, "", b"") or value == []
        return _Element(tag, vr, file_vr, length, offset, value, text, deferred, empty, is_sequence, child_base)

    def _within_file(self, offset: int | None, length: int | None) -> bool:
        """The value lies inside the file (a damaged length must not make us read gigabytes)."""
        size = self.instance.file_size
        return offset is not None and length is not None and size is not None and offset + length <= size

    def _simple_charset(self, ds: Dataset) -> bool:
        """Text decodes as Latin-1 (no or a single-byte default character set)."""
        key = id(ds)
        known = self._charsets.get(key)
        if known is None:
            charset = getattr(ds, "original_character_set", None)
            if isinstance(charset, str):
                charset = [charset]
            known = bool(charset) and all(str(c) in _LATIN1_ENCODINGS for c in charset)
            self._charsets[key] = known
        return known

    def _vr_in_file(self, value_start: int) -> str | None:
        """The explicit VR written before the value at ``value_start`` (long 12-byte or short 8-byte header)."""
        handle = self._open()
        if handle is None or value_start < 8:
            return None
        try:
            handle.seek(value_start - 8)
            header = handle.read(8)
        except (OSError, ValueError):
            return None
        long_vr = header[0:2].decode("latin-1")
        if long_vr in LONG_VRS and header[2:4] == b"\0\0":
            return long_vr
        short_vr = header[4:6].decode("latin-1")
        return short_vr if short_vr.isalpha() and short_vr.isupper() and short_vr not in LONG_VRS else None

    def _open(self):
        try:
            if self._file is None:
                self._file = open(self.instance.path, "rb")  # noqa: SIM115 - closed by close()
        except OSError:
            return None
        return self._file

    def _length_in_file(self, offset: int, file_vr: str | None, implicit: bool, little: bool) -> int | None:
        """The value length field read from the file (elements pydicom already converted lose it)."""
        handle = self._open()
        return length_in_file(handle, offset, file_vr, implicit, little) if handle is not None else None

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _value_text(self, element: _Element) -> str | None:
        if element.is_sequence:
            count = len(element.value)
            return f"{count} item{'s' if count != 1 else ''}"
        if element.text is not None:
            return element.text
        try:
            return value_text(element.value, element.vr, element.length)
        except Exception as error:  # noqa: BLE001 - a damaged value must not stop the breakdown
            return f"<unreadable value: {error}>"

    def _element_problems(self, element: _Element, keyword: str, label: str, ds: Dataset,
                          module_id: str | None) -> None:
        key = (id(ds), element.tag)  # an element shared by several modules is checked once
        if key in self._checked_elements:
            return
        self._checked_elements.add(key)
        tag = element.tag
        if tag >> 16 & 1 or tag >> 16 == FILE_META_GROUP:
            return
        try:
            dictionary_vr = dictionary_VR(tag)
        except KeyError:
            return
        name = f"{tag_text(tag)} {label}" if label != tag_text(tag) else label
        if element.file_vr and element.file_vr not in dictionary_vr.split(" or ") and dictionary_vr != "NONE":
            severity = "info" if element.file_vr == "UN" else "warning"
            self.problems.append(Problem(severity, "vr-mismatch", tag_text(tag), keyword, module_id,
                                         f"{name} is written with VR {element.file_vr}, the dictionary says "
                                         f"{dictionary_vr}"))
        if dictionary_is_retired(tag):
            self.problems.append(Problem("warning", "retired-attribute", tag_text(tag), keyword, module_id,
                                         f"{name} is retired from the standard"))
        if not element.deferred and not element.empty and not element.is_sequence:
            reason = invalid_value_reason(element.vr, element.value, text=self._simple_charset(ds))
            if reason:
                self.problems.append(Problem("warning", "invalid-value", tag_text(tag), keyword, module_id,
                                             f"{name}: {reason}"))

    def _other_element_problems(self, others: list[AttributeReport], known_iod: bool) -> None:
        private_blocks: dict[tuple[int, int], list[AttributeReport]] = {}
        for report in others:
            tag = report.tag_value
            group = tag >> 16
            if group & 1:
                element = tag & 0xFFFF
                if element <= 0x00FF:
                    continue  # a private creator itself, or the group's length (gggg,0000): no block's data
                private_blocks.setdefault((group, element >> 8), []).append(report)
            elif known_iod and (tag & 0xFFFF) != 0 and tag != 0xFFFCFFFC:  # group lengths, trailing padding
                self.problems.append(Problem("warning", "not-in-iod", report.tag, report.keyword, None,
                                             f"{report.tag} {report.keyword or report.name} is a standard "
                                             "attribute that this IOD does not define"))
        for (group, block), reports in private_blocks.items():
            creator = self._string(self.ds, (group << 16) | block) or "no private creator"
            self.problems.append(Problem(
                "info", "private-element", tag_text((group << 16) | (block << 8)), None, None,
                f"{len(reports)} private element{'s' if len(reports) != 1 else ''} in block "
                f"({group:04X},{block:02X}xx) of private creator {creator!r}"))

    # -- helpers ------------------------------------------------------------------------------------------

    def _phi(self, tag: int) -> str | None:
        tag = int(tag)  # a plain int key: pydicom's BaseTag compares in Python
        if tag in _PHI:
            return _PHI[tag]
        action = self.tables.phi_action(tag)
        code = _PHI[tag] = action.basic if action is not None else None
        return code

    def _encoding(self, ds: Dataset) -> tuple[bool | None, bool | None]:
        encoding = self._encodings.get(id(ds))
        if encoding is None:
            # The encoding the elements were read with: a file may write an implicit VR data set under an
            # explicit VR transfer syntax (pydicom then reads it as implicit), and lengths are read that way.
            raw = next((element for element in ds._dict.values() if isinstance(element, RawDataElement)), None)
            encoding = (raw.is_implicit_VR, raw.is_little_endian) if raw is not None else ds.original_encoding
            self._encodings[id(ds)] = encoding
        return encoding

    def _names(self, tag: int, ds: Dataset) -> tuple[str, str, str]:
        """(keyword, name, VM) of an element no rule describes, looked up once per data set and tag."""
        key = (id(ds), tag)
        names = self._name_cache.get(key)
        if names is None:
            names = self._name_cache[key] = _dictionary_names(tag, ds, self._creators)
        return names

    def _tags(self, ds: Dataset) -> set[int]:
        """The tags of a data set as plain ints (membership tests on pydicom's tags are slow)."""
        tags = self._present.get(id(ds))
        if tags is None:
            tags = self._present[id(ds)] = {int(tag) for tag in ds.keys()}
        return tags

    @staticmethod
    def _string(ds: Dataset | None, tag: int) -> str:
        """A short text value, "" when absent or unreadable (never reads deferred values)."""
        if ds is None or tag not in ds:
            return ""
        raw = ds.get_item(tag, keep_deferred=True)
        if isinstance(raw, RawDataElement) and raw.value is None:
            return ""
        try:
            value = ds[tag].value
        except Exception:  # noqa: BLE001 - damaged value: treated as absent, the value check reports it
            return ""
        if isinstance(value, (list, tuple)):
            value = value[0] if value else ""
        return str(value).strip("\x00 ") if value is not None else ""


def _dictionary_vr(tag: int) -> str:
    try:
        return dictionary_VR(tag)
    except KeyError:
        return "UN"


def _dictionary_names(tag: int, ds: Dataset, creators: dict[tuple[int, int], str] | None = None
                      ) -> tuple[str, str, str]:
    """(keyword, name, VM) from pydicom's dictionaries; private tags named through their creator."""
    if tag >> 16 & 1:
        element = tag & 0xFFFF
        if 0x0010 <= element <= 0x00FF:
            return "", "Private Creator", "1"
        creator_tag = (tag & 0xFFFF0000) | (element >> 8)
        key = (id(ds), creator_tag)
        creator = creators.get(key) if creators is not None else None
        if creator is None:
            creator = _Explainer._string(ds, creator_tag)
            if creators is not None:
                creators[key] = creator
        if creator:
            try:
                _vr, vm, name, _retired = get_private_entry(tag, creator)
                return "", name, vm
            except KeyError:
                return "", f"Private tag data ({creator})", ""
        return "", "Private tag data (no private creator)", ""
    try:
        _vr, vm, name, _retired, keyword = get_entry(tag)
        return keyword, name, vm
    except KeyError:
        return "", "Unknown element", ""


_DEFINERS: dict[str, dict[int, int]] = {}


def _definers(tables, iod) -> dict[int, int]:
    """Top-level tag -> how many modules of the IOD define it (cached per IOD)."""
    counts = _DEFINERS.get(iod.id)
    if counts is None:
        counts = {}
        for reference in iod.modules:
            for rule in tables.module(reference.module_id).attributes:
                counts[rule.tag] = counts.get(rule.tag, 0) + 1
        _DEFINERS[iod.id] = counts
    return counts


def _frames_text(numbers: list[int]) -> str:
    """[1, 2, 3, 7] -> 'frames 1-3, 7'."""
    ranges: list[list[int]] = []
    for number in sorted(set(numbers)):
        if ranges and number == ranges[-1][1] + 1:
            ranges[-1][1] = number
        else:
            ranges.append([number, number])
    text = ", ".join(f"{a}-{b}" if b > a else f"{a}" for a, b in ranges)
    return f"frame{'s' if len(numbers) > 1 else ''} {text}"


def _by_frames(found: list[tuple[int, Problem]]) -> list[Problem]:
    """The same problem in several per-frame items, once, naming the frames."""
    groups: dict[tuple, list[int]] = {}
    first: dict[tuple, Problem] = {}
    for number, problem in found:
        marker = f"PerFrameFunctionalGroupsSequence[{number}]"
        message = problem.message.replace(marker, "PerFrameFunctionalGroupsSequence[#]")
        key = (problem.severity, problem.code, problem.tag, problem.keyword, problem.module, message)
        groups.setdefault(key, []).append(number)
        first.setdefault(key, problem)
    merged = []
    for key, numbers in groups.items():
        message = key[5]
        frames = _frames_text(numbers)
        if "[#]" in message:
            message = message.replace("PerFrameFunctionalGroupsSequence[#]",
                                      f"PerFrameFunctionalGroupsSequence[{numbers[0]}]" if len(numbers) == 1 else
                                      "PerFrameFunctionalGroupsSequence[...]")
        problem = first[key]
        merged.append(Problem(problem.severity, problem.code, problem.tag, problem.keyword, problem.module,
                              f"{message} ({frames})" if len(numbers) > 1 or "[" not in message else message))
    return merged


def _once(problems: list[Problem]) -> list[Problem]:
    """Each problem once: an attribute two modules of the IOD define (Frame Increment Pointer in US Image and
    Multi-frame) is one finding, reported by the first module."""
    seen: set[tuple] = set()
    unique = []
    for problem in problems:
        # Requirement messages differ only in the reason each module's condition gives: key on what is named.
        what = problem.message.split(" is ")[0] if problem.code.startswith(("type", "condition-")) else \
            problem.message
        key = (problem.severity, problem.code, problem.tag, what)
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    return _strictest(unique)


def _strictest(problems: list[Problem]) -> list[Problem]:
    """An absent attribute that one module makes type 1 and another type 2 (Manufacturer in Enhanced General
    Equipment and General Equipment) is one finding: 'needs a value' says more than 'must be present'."""
    def named(problem: Problem) -> tuple:
        return problem.tag, problem.message.split(" is ")[0].split(" attribute ", 1)[-1]

    needs_value = {named(p) for p in problems if p.code in ("type1-missing", "type1c-missing")}
    return [p for p in problems if p.code not in ("type2-missing", "type2c-missing") or named(p) not in needs_value]
