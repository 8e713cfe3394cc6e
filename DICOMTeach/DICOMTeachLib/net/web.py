"""DICOMweb (QIDO-RS, WADO-RS, STOW-RS) with each HTTP request recorded and mapped to its DIMSE equivalent.

WADO-RS and STOW-RS go through dicomweb-client; its requests pass through our
``requests`` session, whose response hook records the URL, the headers and the
answer. QIDO-RS is sent on the same session with the query string built here:
wildcards stay ``*`` (dicomweb-client writes ``%2A``, which Orthanc 1.10 does not
decode). Retries are off, so a server that is down fails at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from pydicom import Dataset

from ..errors import DICOMTeachError
from .deps import require_dicomweb_client
from .dimse import LEVELS, NetworkError, _output_folder, _safe_name, _tag
from .meanings import matching_type
from .model import Exchange, HttpRequest

DICOM_JSON = "application/dicom+json"
SHOWN_OBJECTS = 3  # DICOM JSON objects kept per answer for the view (the rest are counted)
QIDO_PATHS = {"STUDY": "studies", "SERIES": "series", "IMAGE": "instances"}


@dataclass
class WebResult:
    exchange: Exchange
    objects: list[dict] = field(default_factory=list)  # DICOM JSON objects of the answer (QIDO, metadata)
    files: list[Path] = field(default_factory=list)  # WADO-RS instances written
    stored: int = 0  # STOW-RS: instances the origin server accepted


class _Session:
    """A requests session whose every answer is recorded in the exchange."""

    def __init__(self, url: str, exchange: Exchange, timeout: float) -> None:
        import requests

        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise DICOMTeachError(f"not a DICOMweb base URL: {url!r} (e.g. http://127.0.0.1:8042/dicom-web)")
        self.url = url.rstrip("/")
        self.exchange = exchange
        self.timeout = timeout
        self.session = requests.Session()
        self.session.hooks["response"].append(self._record)
        self.service = ""
        self.dimse = ""

    def _record(self, response, *args, **kwargs):
        request = response.request
        content_type = response.headers.get("Content-Type", "")
        body = None
        if content_type.startswith(DICOM_JSON) and response.content:
            try:
                objects = response.json()
                body = objects[:SHOWN_OBJECTS] if isinstance(objects, list) else objects
                if isinstance(objects, list) and len(objects) > SHOWN_OBJECTS:
                    body = [*body, f"... {len(objects) - SHOWN_OBJECTS} more object(s)"]
            except ValueError:
                body = f"<{len(response.content)} bytes that are not JSON>"
        elif response.content:
            body = f"<{content_type or 'body'}: {len(response.content)} bytes>"
        headers = {k: v for k, v in request.headers.items() if k in ("Accept", "Content-Type")}
        self.exchange.requests.append(HttpRequest(
            self.service, request.method, request.url, headers, response.status_code, response.reason,
            {k: v for k, v in response.headers.items() if k in ("Content-Type", "Content-Length")}, body,
            self.dimse))
        return response

    def client(self):
        dicomweb_client = require_dicomweb_client()
        client = dicomweb_client.DICOMwebClient(self.url, session=self.session)
        client.set_http_retry_params(retry=False)
        return client

    def call(self, service: str, dimse: str, action):
        """Run one request; a server that does not answer becomes a NetworkError within the timeout."""
        import requests

        self.service, self.dimse = service, dimse
        try:
            return action()
        except requests.ConnectionError as error:
            raise NetworkError(f"cannot reach {self.url}: {_reason(error)}") from error
        except requests.Timeout as error:
            raise NetworkError(f"{self.url} did not answer within {self.timeout:g} s") from error
        except requests.HTTPError as error:
            response = error.response
            code = response.status_code if response is not None else "?"
            raise NetworkError(f"{service} {self.url}: HTTP {code} {getattr(response, 'reason', '')}: "
                               f"{_explain_http(code)}") from error


def _reason(error: Exception) -> str:
    text = str(error)
    return "connection refused (nothing listens there)" if "refused" in text.lower() else text


def _explain_http(code) -> str:
    return {400: "the origin server did not understand the request (a query key or value it does not support?)",
            404: "no such study, series or instance (or no DICOMweb at this URL)",
            406: "it cannot answer in the media type we accept", 409: "it refused some instances (conflict)",
            415: "it does not accept the media type we sent"}.get(code, "see the answer above")


def qido(url: str, level: str, keys: dict[str, str | None] | None = None, *, timeout: float = 10.0) -> WebResult:
    """QIDO-RS search at a level: the query parameters are C-FIND matching keys, includefield the return keys."""
    level_value = LEVELS.get(level.lower())
    if level_value not in QIDO_PATHS:
        raise DICOMTeachError(f"QIDO-RS searches studies, series or instances: not {level!r}")
    exchange = Exchange("QIDO-RS", url)
    session = _Session(url, exchange, timeout)
    params: list[tuple[str, str]] = []
    kinds = []
    for key, value in (keys or {}).items():
        tag = _tag(key)
        keyword = key if not key[:1].isdigit() and not key.startswith("(") else f"{tag:08X}"
        if value is None or value == "":
            params.append(("includefield", keyword))
            kinds.append(f"{keyword}: return key (universal)")
        else:
            from pydicom.datadict import dictionary_VR

            params.append((keyword, value))
            kinds.append(f"{keyword}={value}: {matching_type(dictionary_VR(tag), value)} matching")
    query = urlencode(params, safe="*,")
    target = f"{session.url}/{QIDO_PATHS[level_value]}" + (f"?{query}" if query else "")
    dimse = (f"C-FIND-RQ at {level_value} level (Study Root); the identifier: "
             + ("; ".join(kinds) if kinds else "no key, every match") + "; each JSON object = one C-FIND-RSP Pending")

    def search():
        response = session.session.get(target, headers={"Accept": DICOM_JSON}, timeout=timeout)
        response.raise_for_status()
        return response.json() if response.content else []

    objects = session.call("QIDO-RS", dimse, search)
    exchange.outcome = f"{len(objects)} match(es)"
    exchange.notes.append("QIDO-RS is C-FIND over HTTP: the query string holds the matching keys (wildcards and "
                          "ranges as in DIMSE), includefield asks for return keys, and the answer is a DICOM JSON "
                          "array (PS3.18 F.2) instead of one C-FIND-RSP per match.")
    return WebResult(exchange, objects=objects)


def wado_metadata(url: str, study_uid: str, series_uid: str, *, timeout: float = 10.0) -> WebResult:
    """WADO-RS metadata of a series: every instance's attributes as DICOM JSON, bulk data (pixels) as URIs."""
    exchange = Exchange("WADO-RS", url)
    session = _Session(url, exchange, timeout)
    client = session.client()
    objects = session.call(
        "WADO-RS", "no DIMSE twin: the closest is C-GET with the Composite Instance Retrieve Without Bulk Data "
        "SOP class (1.2.840.10008.5.1.4.1.2.5.3); pixel data stay on the server, named by BulkDataURI",
        lambda: client.retrieve_series_metadata(study_uid, series_uid))
    exchange.outcome = f"metadata of {len(objects)} instance(s)"
    return WebResult(exchange, objects=objects)


def wado_series(url: str, study_uid: str, series_uid: str, out_dir: str | Path, *,
                timeout: float = 60.0) -> WebResult:
    """WADO-RS retrieve of a series into a folder (files named SOPInstanceUID.dcm)."""
    folder = _output_folder(out_dir)
    exchange = Exchange("WADO-RS", url)
    session = _Session(url, exchange, timeout)
    client = session.client()
    datasets = session.call(
        "WADO-RS", "C-GET (or C-MOVE) at SERIES level: the instances come back in one multipart/related HTTP "
        "body instead of one C-STORE sub-operation each", lambda: client.retrieve_series(study_uid, series_uid))
    files = []
    for ds in datasets:
        path = folder / _safe_name(str(ds.get("SOPInstanceUID", "")))
        ds.save_as(path, enforce_file_format=True)
        files.append(path)
    exchange.outcome = f"{len(files)} instance(s) written to {folder}"
    return WebResult(exchange, files=sorted(files))


def stow(url: str, paths: list[str], *, timeout: float = 60.0) -> WebResult:
    """STOW-RS: POST the files as one multipart/related body; the answer lists what was stored and what failed."""
    import pydicom

    datasets = []
    for path in paths:
        try:
            datasets.append(pydicom.dcmread(path))
        except Exception as error:  # noqa: BLE001 - one clear line per unreadable file
            raise DICOMTeachError(f"cannot send it: not a readable DICOM file ({error})", path) from error
    exchange = Exchange("STOW-RS", url)
    session = _Session(url, exchange, timeout)
    client = session.client()
    answer: Dataset = session.call(
        "STOW-RS", "C-STORE, one per part of the multipart body; ReferencedSOPSequence in the answer lists the "
        "stored instances (C-STORE-RSP Success), FailedSOPSequence the refused ones with their Failure Reason",
        lambda: client.store_instances(datasets))
    stored = len(answer.get("ReferencedSOPSequence", []))
    failed = len(answer.get("FailedSOPSequence", []))
    exchange.outcome = f"{stored} of {len(datasets)} instance(s) stored" + (f", {failed} failed" if failed else "")
    if exchange.requests:
        exchange.requests[-1].body = json.loads(answer.to_json()) if len(answer) else exchange.requests[-1].body
        stored_items = exchange.requests[-1].body.get("00081199", {}).get("Value", []) \
            if isinstance(exchange.requests[-1].body, dict) else []
        if len(stored_items) > SHOWN_OBJECTS:
            exchange.requests[-1].body["00081199"]["Value"] = [*stored_items[:SHOWN_OBJECTS],
                                                               f"... {len(stored_items) - SHOWN_OBJECTS} more"]
    return WebResult(exchange, stored=stored)
