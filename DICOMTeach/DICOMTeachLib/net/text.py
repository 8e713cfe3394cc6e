"""Plain-text view of an explained exchange: what the terminal and the Slicer panel show."""

from __future__ import annotations

import json

from .model import Association, DimseMessage, Exchange, HttpRequest

INDENT = "  "
#: Consecutive messages of one kind shown in full before the rest are counted (a 133-file store).
SHOWN_PER_RUN = 4


def render_exchange(exchange: Exchange) -> str:
    lines = [f"{exchange.operation} with {exchange.peer}: {exchange.outcome}"]
    for number, association in enumerate(exchange.associations, start=1):
        lines += ["", *_association(number, association)]
    for request in exchange.requests:
        lines += ["", *_request(request)]
    if exchange.notes:
        lines += ["", "What to take away"]
        lines += [f"{INDENT}- {note}" for note in exchange.notes]
    return "\n".join(lines) + "\n"


def _association(number: int, association: Association) -> list[str]:
    who = (f"{association.requestor_ae} (us) -> {association.acceptor_ae} at {association.host}:{association.port}"
           if association.initiated_by == "us" else
           f"{association.requestor_ae} (the peer, from {association.host}) -> {association.acceptor_ae} (us)")
    lines = [f"Association {number}: {who}: {association.outcome}"]
    if association.reason:
        lines.append(f"{INDENT}reason: {association.reason}")
    if association.peer_implementation:
        lines.append(f"{INDENT}peer implementation: {association.peer_implementation}")
    if association.max_pdu_length is not None:
        lines.append(f"{INDENT}acceptor's maximum PDU length: {association.max_pdu_length or 'unlimited'} bytes")
    for cx in association.contexts:
        lines.append(f"{INDENT}presentation context {cx.id}: {cx.abstract_syntax_name} ({cx.abstract_syntax})")
        if cx.service:
            lines.append(f"{INDENT * 3}service: {cx.service}")
        proposed = ", ".join(name for _, name in cx.proposed_transfer_syntaxes[:4])
        more = len(cx.proposed_transfer_syntaxes) - 4
        lines.append(f"{INDENT * 3}proposed transfer syntaxes: {proposed}" + (f" (+{more} more)" if more > 0 else ""))
        result = cx.result if cx.result != "accepted" else f"accepted with {cx.transfer_syntax[1]}"
        lines.append(f"{INDENT * 3}result: {result}" + (f": {cx.reason}" if cx.reason else "")
                     + (f"; {cx.roles}" if cx.roles else ""))
    lines += _messages(association.messages)
    return lines


def _messages(messages: list[DimseMessage]) -> list[str]:
    lines: list[str] = []
    index = 0
    while index < len(messages):
        name = messages[index].name
        run_end = index
        kinds = {name.rsplit("-", 1)[0]}
        while run_end < len(messages) and messages[run_end].name.rsplit("-", 1)[0] in kinds:
            run_end += 1
        run = messages[index:run_end]
        for message in run[:SHOWN_PER_RUN]:
            lines += _message(message)
        if len(run) > SHOWN_PER_RUN:
            rest = run[SHOWN_PER_RUN:]
            statuses: dict[str, int] = {}
            for message in rest:
                if message.status:
                    statuses[message.status.text] = statuses.get(message.status.text, 0) + 1
            summary = ", ".join(f"{count} x {text}" for text, count in statuses.items())
            # "4 more C-STORE messages" read as four more instances: say requests and responses.
            sent = sum(1 for message in rest if message.direction == "sent")
            lines.append(f"{INDENT}... {len(rest)} more {name.rsplit('-', 1)[0]} messages ({sent} request(s), "
                         f"{len(rest) - sent} response(s))" + (f"; statuses: {summary}" if summary else ""))
        index = run_end
    return lines


def _message(message: DimseMessage) -> list[str]:
    arrow = "->" if message.direction == "sent" else "<-"
    lines = [f"{INDENT}{arrow} {message.name} on context {message.context_id}"]
    for field in message.fields:
        meaning = f"  ({field.meaning})" if field.meaning else ""
        lines.append(f"{INDENT * 3}{field.tag} {field.keyword:<34} {field.value}{meaning}")
    if message.identifier:
        lines.append(f"{INDENT * 3}identifier:")
        for key in message.identifier:
            lines.append(f"{INDENT * 4}{key.tag} {key.keyword:<28} {key.vr} {key.value!r:<24} {key.matching}")
    if message.data_set:
        lines.append(f"{INDENT * 3}{message.data_set}")
    return lines


def _request(request: HttpRequest) -> list[str]:
    lines = [f"{request.service}: {request.method} {request.url}"]
    for name, value in request.headers.items():
        lines.append(f"{INDENT * 2}{name}: {value}")
    lines.append(f"{INDENT}answer: HTTP {request.status_code} {request.reason}")
    for name, value in request.response_headers.items():
        lines.append(f"{INDENT * 2}{name}: {value}")
    if request.body is not None:
        body_lines = _json_lines(request.body)
        lines += [f"{INDENT * 2}{line}" for line in body_lines[:40]]
        if len(body_lines) > 40:
            lines.append(f"{INDENT * 2}... ({len(body_lines) - 40} more lines)")
    if request.dimse_equivalent:
        lines.append(f"{INDENT}DIMSE equivalent: {request.dimse_equivalent}")
    return lines


def _json_lines(body) -> list[str]:
    """DICOM JSON one attribute per line ("tag": {"vr": .., "Value": [..]}), objects between braces; the lines
    joined are valid JSON (a student may copy them)."""
    if isinstance(body, str):
        return body.splitlines()
    objects = body if isinstance(body, list) else [body]
    lines = ["[" if isinstance(body, list) else ""]
    for number, obj in enumerate(objects, start=1):
        after = "," if number < len(objects) else ""
        if not isinstance(obj, dict):
            lines.append(f" {json.dumps(obj)}{after}")
            continue
        lines.append(" {")
        items = list(obj.items())
        lines += [f"  {json.dumps(tag)}: {json.dumps(value)}{',' if i < len(items) else ''}"
                  for i, (tag, value) in enumerate(items, start=1)]
        lines.append(f" }}{after}")
    if isinstance(body, list):
        lines.append("]")
    return [line for line in lines if line]
