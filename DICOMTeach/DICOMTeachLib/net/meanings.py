"""What the fields of a DIMSE exchange mean: command fields, priorities, statuses, query matching.

Status codes come from pynetdicom's tables of PS3.4/PS3.7; matching types follow
PS3.4 C.2.2.2; the association rejection reasons are PS3.8 9.3.4.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydicom import Dataset
from pydicom.datadict import dictionary_VR, keyword_for_tag
from pydicom.uid import UID

from ..standard.services import sop_class_service
from ..tag_format import tag_text
from .model import CommandField, QueryKey, Status

# PS3.7 E.1-1: Command Field values.
COMMAND_FIELDS = {
    0x0001: "C-STORE-RQ", 0x8001: "C-STORE-RSP", 0x0010: "C-GET-RQ", 0x8010: "C-GET-RSP",
    0x0020: "C-FIND-RQ", 0x8020: "C-FIND-RSP", 0x0021: "C-MOVE-RQ", 0x8021: "C-MOVE-RSP",
    0x0030: "C-ECHO-RQ", 0x8030: "C-ECHO-RSP", 0x0FFF: "C-CANCEL-RQ",
    0x0100: "N-EVENT-REPORT-RQ", 0x8100: "N-EVENT-REPORT-RSP", 0x0110: "N-GET-RQ", 0x8110: "N-GET-RSP",
    0x0120: "N-SET-RQ", 0x8120: "N-SET-RSP", 0x0130: "N-ACTION-RQ", 0x8130: "N-ACTION-RSP",
    0x0140: "N-CREATE-RQ", 0x8140: "N-CREATE-RSP", 0x0150: "N-DELETE-RQ", 0x8150: "N-DELETE-RSP",
}
COMMAND_PURPOSE = {
    "C-ECHO": "verify that the two application entities can talk",
    "C-STORE": "store one instance",
    "C-FIND": "query: the identifier holds the matching keys and the keys to return",
    "C-GET": "retrieve: the matches come back as C-STORE sub-operations on this same association",
    "C-MOVE": "retrieve: the SCP opens a new association to the move destination and sends C-STOREs there",
    "C-CANCEL": "stop a pending C-FIND, C-GET or C-MOVE",
}
PRIORITIES = {0x0000: "MEDIUM", 0x0001: "HIGH", 0x0002: "LOW"}
NO_DATA_SET = 0x0101
CATEGORY_MEANINGS = {
    "Success": "the operation completed",
    "Pending": "more responses follow (one per match or sub-operation)",
    "Cancel": "stopped by a C-CANCEL",
    "Warning": "done, with something the SCP wants you to know",
    "Failure": "the operation failed",
}
# Which pynetdicom status table holds a service's specific codes.
_STATUS_TABLES = {
    "C-ECHO": "VERIFICATION_SERVICE_CLASS_STATUS", "C-STORE": "STORAGE_SERVICE_CLASS_STATUS",
    "C-FIND": "QR_FIND_SERVICE_CLASS_STATUS", "C-MOVE": "QR_MOVE_SERVICE_CLASS_STATUS",
    "C-GET": "QR_GET_SERVICE_CLASS_STATUS",
}
# PS3.8 9.3.4 A-ASSOCIATE-RJ: (source, reason) -> words, with what to try.
REJECTION_REASONS = {
    (1, 1): "the called AE rejected it without giving a reason",
    (1, 2): "the application context name is not supported",
    (1, 3): "the calling AE title is not recognised: the peer accepts only AEs it knows "
            "(register ours on the peer, or call with a title it knows: --calling-ae, the panel's Calling AE)",
    (1, 7): "the called AE title is not recognised: the peer answers to another AE title "
            "(ask its administrator, then call it by that title: --called-ae, the panel's Called AE)",
    (2, 1): "the peer's ACSE gave no reason",
    (2, 2): "the protocol version is not supported",
    (3, 1): "temporary congestion: try again later",
    (3, 2): "a local limit was exceeded (too many associations): try again later",
}
REJECTION_SOURCES = {1: "DICOM UL service-user", 2: "DICOM UL service-provider (ACSE)",
                     3: "DICOM UL service-provider (presentation)"}
CONTEXT_RESULTS = {
    0: "accepted",
    1: "rejected by the user (the peer chose not to support it)",
    2: "rejected by the provider, no reason given",
    3: "abstract syntax not supported: the peer does not offer this SOP class",
    4: "transfer syntaxes not supported: the peer decodes none of those proposed",
}
_DATE_TIME_VRS = {"DA", "TM", "DT"}
_NO_WILDCARD_VRS = {"DA", "TM", "DT", "UI", "SQ", "DS", "IS", "FD", "FL", "SL", "SS", "UL", "US", "SV", "UV",
                    "AT", "OB", "OW", "OF", "OD", "OL", "OV", "UN"}


def sop_class_name(uid: str) -> str:
    service = sop_class_service(uid)
    if service is not None:
        return service.name
    name = UID(uid).name
    return name if name != uid else "unknown SOP class"


def status(code: int, command: str) -> Status:
    """A status code with its category and the meaning the service's tables give it."""
    from pynetdicom import status as tables

    table = getattr(tables, _STATUS_TABLES.get(command.replace("-RSP", "").replace("-RQ", ""), ""),
                    tables.GENERAL_STATUS)
    category, meaning = table.get(code, (tables.code_to_category(code), ""))
    if not meaning:
        meaning = CATEGORY_MEANINGS.get(category, "a code this service does not define")
    return Status(code, category, meaning)


def command_fields(command_set: Dataset, name: str) -> tuple[list[CommandField], Status | None]:
    """Every element of a command set with what it means; the status of a response."""
    fields: list[CommandField] = []
    found_status = None
    for element in command_set:
        tag = int(element.tag)
        if tag == 0x00000000:  # Command Group Length
            fields.append(CommandField(tag_text(tag), "CommandGroupLength", str(element.value),
                                       "bytes of the command set that follow"))
            continue
        value = element.value
        keyword = element.keyword or keyword_for_tag(tag) or ""
        meaning = ""
        if tag == 0x00000100:
            command = COMMAND_FIELDS.get(value, "unknown command")
            service, _, kind = command.rpartition("-")
            purpose = COMMAND_PURPOSE.get(service, "") if kind == "RQ" else f"the answer to a {service}-RQ"
            meaning = f"{command}: {purpose}".rstrip(": ")
            text = f"0x{value:04X}"
        elif tag in (0x00000002, 0x00000003):  # Affected / Requested SOP Class UID
            text = str(value)
            service = sop_class_service(text)
            meaning = f"{sop_class_name(text)}" + (f": {service.summary}" if service else "")
        elif tag == 0x00000700:
            text, meaning = str(value), PRIORITIES.get(value, "unknown priority")
        elif tag == 0x00000800:
            text = f"0x{value:04X}"
            meaning = "no data set follows" if value == NO_DATA_SET else "a data set follows the command"
        elif tag == 0x00000900:
            found_status = status(int(value), name)
            text = f"0x{value:04X}"
            meaning = f"{found_status.category}: {found_status.meaning}" if found_status.meaning else \
                found_status.category
        elif tag == 0x00000600:
            text, meaning = str(value), "the AE the SCP must send the matches to (it must know its address)"
        elif tag in (0x00001020, 0x00001021, 0x00001022, 0x00001023):
            text = str(value)
            meaning = {0x00001020: "sub-operations still to do", 0x00001021: "sub-operations completed",
                       0x00001022: "sub-operations failed", 0x00001023: "sub-operations with a warning"}[tag]
        elif tag == 0x00000110:
            text, meaning = str(value), "numbers this request; its responses repeat it"
        elif tag == 0x00000120:
            text, meaning = str(value), "the request this response answers"
        elif tag == 0x00001030:
            text, meaning = str(value), "the AE that asked for the C-MOVE this C-STORE belongs to"
        elif tag == 0x00001031:
            text, meaning = str(value), "the Message ID of that C-MOVE-RQ"
        else:
            text = str(value) if not isinstance(value, bytes) else f"<{len(value)} bytes>"
        fields.append(CommandField(tag_text(tag), keyword, text, meaning))
    return fields, found_status


def matching_type(vr: str, value) -> str:
    """How an SCP matches one key (PS3.4 C.2.2.2): universal, single value, wildcard, range, list of UIDs."""
    if vr == "SQ":
        return "sequence"
    many = isinstance(value, Sequence) and not isinstance(value, (str, bytes))  # pydicom's MultiValue too
    if value is None or value == "" or (many and not value):
        return "universal"
    text = "\\".join(str(v) for v in value) if many else str(value)
    if vr == "UI" and "\\" in text:
        return "list of UIDs"
    if vr in _DATE_TIME_VRS and "-" in text:
        return "range"
    if vr not in _NO_WILDCARD_VRS and ("*" in text or "?" in text):
        return "wildcard"
    return "single value"


def query_keys(identifier: Dataset, returned: bool = False) -> list[QueryKey]:
    """The keys of an identifier with their matching type (``returned``: a response's values)."""
    keys = []
    for element in identifier:
        tag = int(element.tag)
        vr = element.VR or _dictionary_vr(tag)
        value = element.value
        if vr == "SQ":
            text = f"{len(value)} item(s)"
        elif isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
            text = "\\".join(str(v) for v in value)
        else:
            text = "" if value is None else str(value)
        kind = "returned" if returned else matching_type(vr, value)
        if tag == 0x00080052:
            kind = "level" if not returned else kind
        keys.append(QueryKey(tag_text(tag), element.keyword or "", vr, text, kind))
    return keys


def _dictionary_vr(tag: int) -> str:
    try:
        return dictionary_VR(tag)
    except KeyError:
        return "UN"
