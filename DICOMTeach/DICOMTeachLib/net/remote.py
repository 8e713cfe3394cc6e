"""Explain an instance on a PACS from its WADO-RS metadata, without downloading its pixel data.

The metadata is the instance's DICOM JSON (PS3.18 F.2) with bulk data (Pixel Data
and other large values) replaced by BulkDataURIs. It is turned into a pydicom data
set and explained as a local file is (the file's anatomy aside: there are no
bytes); a bulk data attribute is shown as present with its URI.
"""

from __future__ import annotations

from pydicom import Dataset

from ..errors import DICOMTeachError
from ..explain import explain
from ..explain.model import AttributeReport, Explanation
from ..tag_format import tag_text
from .web import WebResult, wado_metadata


def explain_metadata(instance: dict, source: str) -> Explanation:
    """The breakdown of one DICOM JSON object (bulk data left on the server)."""
    bulk: dict[str, str] = {}

    def keep_uri(tag: str, vr: str, uri: str) -> bytes:
        bulk[tag_text(int(tag, 16))] = uri
        return b""

    try:
        ds = Dataset.from_json(instance, bulk_data_uri_handler=keep_uri)
    except Exception as error:  # noqa: BLE001 - malformed JSON from a server: one clear line
        raise DICOMTeachError(f"the DICOM JSON metadata cannot be read: {error}", source) from error
    ds.filename = source
    explanation = explain(ds, anatomy=False)
    explanation.path = source
    for attribute in _all_attributes(explanation):
        uri = bulk.get(attribute.tag)
        if uri is not None:
            attribute.status, attribute.value = "present", f"<bulk data, not downloaded: {uri}>"
    # An emptied bulk data value is not an empty attribute: it stays on the server.
    explanation.problems = [p for p in explanation.problems if not (p.tag in bulk and p.code.endswith("-empty"))]
    return explanation


def explain_remote(url: str, study_uid: str, series_uid: str, sop_instance_uid: str | None = None, *,
                   timeout: float = 10.0) -> tuple[Explanation, WebResult]:
    """Fetch a series' metadata (WADO-RS) and explain one instance (the first when none is named)."""
    result = wado_metadata(url, study_uid, series_uid, timeout=timeout)
    objects = result.objects
    if sop_instance_uid:
        objects = [o for o in objects if o.get("00080018", {}).get("Value", [None])[0] == sop_instance_uid]
    if not objects:
        raise DICOMTeachError(f"no instance {sop_instance_uid or ''} in series {series_uid} at {url}".replace("  ", " "))
    instance = objects[0]
    uid = instance.get("00080018", {}).get("Value", ["?"])[0]
    source = f"{url.rstrip('/')}/studies/{study_uid}/series/{series_uid}/instances/{uid}"
    return explain_metadata(instance, source), result


def _all_attributes(explanation: Explanation):
    def walk(attributes: list[AttributeReport]):
        for attribute in attributes:
            yield attribute
            for item in attribute.items:
                yield from walk(item)

    for module in explanation.modules:
        yield from walk(module.attributes)
    yield from walk(explanation.other_elements)
