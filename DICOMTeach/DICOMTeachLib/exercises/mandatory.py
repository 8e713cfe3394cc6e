"""The course's first exercise: every type 1 and type 2 attribute an IOD requires.

An attribute is mandatory when its module is mandatory (usage M) and its type
is 1 (present with a value) or 2 (present, may be empty). Inside a mandatory
sequence the items' type 1 and 2 attributes are mandatory too; attributes
inside a type 3 or conditional sequence are not, since the sequence may be
absent. Conditional modules (usage C) are listed apart with their condition
and how many type 1/2 attributes they would add.

For enhanced multi-frame IODs the Shared and Per-frame Functional Groups
Sequences hold one item attribute per functional group macro: only the
mandatory macros' sequences count, the conditional macros are listed apart
like conditional modules.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..standard import AttributeRule, IODDefinition, ModuleReference, StandardTables, standard
from ..tag_format import tag_text

MANDATORY_TYPES = ("1", "2")
FUNCTIONAL_GROUP_SEQUENCES = (0x52009229, 0x52009230)  # Shared / Per-frame Functional Groups Sequence


@dataclass(frozen=True)
class MandatoryAttribute:
    """A type 1 or 2 attribute, with the mandatory attributes of its sequence items."""

    tag: int
    keyword: str
    name: str
    type: str
    vr: str
    vm: str
    items: tuple[MandatoryAttribute, ...] = ()

    @property
    def tag_text(self) -> str:
        return tag_text(self.tag)

    def walk(self, depth: int = 0):
        yield depth, self
        for item in self.items:
            yield from item.walk(depth + 1)


@dataclass(frozen=True)
class MandatoryModule:
    module_id: str
    name: str
    attributes: tuple[MandatoryAttribute, ...]

    def walk(self):
        for attribute in self.attributes:
            yield from attribute.walk()


@dataclass(frozen=True)
class MandatoryEntity:
    """An information entity and its mandatory modules, in the IOD's order."""

    name: str
    modules: tuple[MandatoryModule, ...]


@dataclass(frozen=True)
class ConditionalModule:
    """A module (or functional group macro) that adds mandatory attributes when its condition holds."""

    module_id: str
    name: str
    ie: str
    condition: str
    type1_count: int
    type2_count: int
    conditional_count: int = 0  # its top-level 1C/2C attributes (needed only under their own conditions)
    functional_group: bool = False


@dataclass(frozen=True)
class MandatoryAttributes:
    """The answer to "which attributes must an instance of this IOD carry?"."""

    iod_id: str
    iod_name: str
    sop_classes: tuple[tuple[str, str], ...]  # (uid, name)
    entities: tuple[MandatoryEntity, ...]
    conditional_modules: tuple[ConditionalModule, ...]

    def attributes(self):
        """(entity, module, depth, attribute) for every mandatory attribute, nested ones included."""
        for entity in self.entities:
            for module in entity.modules:
                for depth, attribute in module.walk():
                    yield entity, module, depth, attribute

    def count(self, type_: str | None = None, nested: bool = True) -> int:
        return sum(1 for _, _, depth, attribute in self.attributes()
                   if (nested or depth == 0) and (type_ is None or attribute.type == type_))

    def distinct_count(self) -> int:
        """Different tags among the mandatory attributes (modules may repeat one, e.g. Samples per Pixel)."""
        return len({attribute.tag for _, _, _, attribute in self.attributes()})

    def find(self, keyword: str) -> tuple[MandatoryEntity, MandatoryModule, MandatoryAttribute] | None:
        """Where a keyword is mandatory (top level first), or None."""
        found = sorted(((depth, entity, module, attribute) for entity, module, depth, attribute in self.attributes()
                        if attribute.keyword == keyword), key=lambda row: row[0])
        return (found[0][1], found[0][2], found[0][3]) if found else None

    def to_dict(self) -> dict:
        data = asdict(self)
        data["counts"] = {"type1": self.count("1"), "type2": self.count("2"),
                          "top_level": self.count(nested=False), "total": self.count(),
                          "distinct_tags": self.distinct_count()}
        return data

    def render_text(self, nested: bool = True, limit: int | None = None) -> str:
        """Plain text grouped by IE and module; ``limit`` keeps the first lines (the tour's short form)."""
        lines = [f"{self.iod_name} IOD ({self.iod_id})"]
        lines += [f"  SOP Class {uid}  {name}{_service_text(uid)}" for uid, name in self.sop_classes]
        lines.append(f"Mandatory modules: {self.count()} type 1/2 attributes "
                     f"({self.count('1')} type 1, {self.count('2')} type 2; "
                     f"{self.count(nested=False)} at the top level; {self.distinct_count()} distinct tags)")
        for entity in self.entities:
            lines.append(f"{entity.name} IE")
            for module in entity.modules:
                lines.append(f"  {module.name} module (M)" + ("" if module.attributes else
                                                                   ": no type 1 or 2 attributes"))
                for depth, attribute in module.walk():
                    if depth and not nested:
                        continue
                    indent = "    " + ">" * depth
                    lines.append(f"{indent}{attribute.tag_text} {attribute.name} [{attribute.keyword}] "
                                 f"type {attribute.type}, {attribute.vr}")
        if self.conditional_modules:
            lines.append("Conditional modules and macros (add type 1/2 attributes when their condition holds):")
            for module in self.conditional_modules:
                kind = "functional group" if module.functional_group else "module"
                condition = module.condition or "(condition text not in the tables)"
                lines.append(f"  {module.name} {kind} [{module.ie}]: +{module.type1_count} type 1, "
                             f"+{module.type2_count} type 2, +{module.conditional_count} type 1C/2C - {condition}")
        if limit is not None and len(lines) > limit:
            hidden = len(lines) - limit
            lines = [*lines[:limit], f"  ... {hidden} more lines (dicomteach mandatory \"{self.iod_name}\")"]
        return "\n".join(lines)


def _mandatory(rules: tuple[AttributeRule, ...]) -> tuple[MandatoryAttribute, ...]:
    """The type 1/2 rules, recursing only into sequences that are themselves type 1/2."""
    return tuple(
        MandatoryAttribute(tag=rule.tag, keyword=rule.keyword, name=rule.name, type=rule.type, vr=rule.vr,
                           vm=rule.vm, items=_mandatory(rule.items))
        for rule in rules if rule.type in MANDATORY_TYPES)


def _counts(attributes: tuple[MandatoryAttribute, ...]) -> tuple[int, int]:
    types = [attribute.type for top in attributes for _, attribute in top.walk()]
    return types.count("1"), types.count("2")


def _functional_group_filter(tables: StandardTables, iod: IODDefinition):
    """Keep, inside the functional group sequences, only the mandatory macros' sequences."""
    groups = tables.functional_groups(iod.id)
    mandatory_tags = {tables.module(group.module_id).attributes[0].tag for group in groups if group.usage == "M"}

    def convert(rules: tuple[AttributeRule, ...]) -> tuple[MandatoryAttribute, ...]:
        chosen = []
        for rule in rules:
            if rule.type not in MANDATORY_TYPES:
                continue
            if rule.tag in FUNCTIONAL_GROUP_SEQUENCES:
                items = _mandatory(tuple(item for item in rule.items if item.tag in mandatory_tags))
            else:
                items = _mandatory(rule.items)
            chosen.append(MandatoryAttribute(tag=rule.tag, keyword=rule.keyword, name=rule.name, type=rule.type,
                                             vr=rule.vr, vm=rule.vm, items=items))
        return tuple(chosen)

    return groups, convert


def mandatory_attributes(iod_key: str, tables: StandardTables | None = None) -> MandatoryAttributes:
    """Type 1 and 2 attributes of an IOD's mandatory modules, grouped by IE and module.

    ``iod_key`` is an IOD name ("MR Image"), id ("mr-image") or SOP Class UID;
    an unknown key raises :class:`DICOMTeachLib.errors.UnknownIODError`.
    """
    tables = tables or standard()
    iod = tables.iod(iod_key)
    groups, convert = _functional_group_filter(tables, iod)
    entities: dict[str, list[MandatoryModule]] = {ie: [] for ie in iod.information_entities}
    conditional: list[ConditionalModule] = []
    for reference in iod.modules:
        definition = tables.module(reference.module_id)
        if reference.usage == "M":
            entities[reference.ie].append(MandatoryModule(reference.module_id, reference.name,
                                                          convert(definition.attributes)))
        elif reference.usage == "C":
            conditional.append(_conditional(reference, convert(definition.attributes), definition.attributes))
    for group in groups:
        if group.usage == "C":
            # A macro is one sequence attribute: it adds that sequence and its item's attributes.
            macro = tables.module(group.module_id).attributes
            conditional.append(_conditional(group, _mandatory(macro), macro[0].items, functional_group=True))
    return MandatoryAttributes(
        iod_id=iod.id, iod_name=iod.name,
        sop_classes=tuple((entry.uid, entry.name) for entry in tables.sop_classes_of(iod.id)),
        entities=tuple(MandatoryEntity(ie, tuple(modules)) for ie, modules in entities.items() if modules),
        conditional_modules=tuple(conditional),
    )


def _conditional(reference: ModuleReference, attributes: tuple[MandatoryAttribute, ...],
                 rules: tuple[AttributeRule, ...], functional_group: bool = False) -> ConditionalModule:
    type1, type2 = _counts(attributes)
    conditional = sum(1 for rule in rules if rule.type in ("1C", "2C"))
    return ConditionalModule(module_id=reference.module_id, name=reference.name, ie=reference.ie,
                             condition=reference.condition, type1_count=type1, type2_count=type2,
                             conditional_count=conditional, functional_group=functional_group)


def _service_text(uid: str) -> str:
    """' = this IOD + the Storage service (C-STORE)': a SOP class pairs the object with a service."""
    from ..standard.services import sop_class_service

    service = sop_class_service(uid)
    if service is None:
        return ""
    return f" = this IOD + the {service.service_class.name} service ({'/'.join(service.dimse)})"
