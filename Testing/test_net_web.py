"""DICOMweb against a real PACS (Orthanc's DICOMweb plugin): STOW-RS, QIDO-RS, WADO-RS, each request shown
with its DIMSE equivalent, and an instance explained from its WADO-RS metadata as a local file is."""

from __future__ import annotations

import json

import pydicom
import pytest

from DICOMTeachLib.cli import main
from DICOMTeachLib.explain import explain
from DICOMTeachLib.net import web
from DICOMTeachLib.net.dimse import NetworkError
from DICOMTeachLib.net.remote import explain_remote
from DICOMTeachLib.net.text import render_exchange

pytestmark = pytest.mark.slow
pytest.importorskip("dicomweb_client")


@pytest.fixture(scope="module")
def liver_files(shared_data):
    return sorted((shared_data / "liver-ct-seg-sr" / "ct").glob("*"))


@pytest.fixture(scope="module")
def stowed(lesson_pacs, liver_files):
    return web.stow(lesson_pacs.dicomweb_url, [str(path) for path in liver_files])


@pytest.fixture(scope="module")
def liver_header(liver_files):
    return pydicom.dcmread(liver_files[0], stop_before_pixels=True)


def test_stow_stores_the_files_and_shows_the_request(stowed, liver_files):
    assert stowed.exchange.ok and stowed.stored == len(liver_files) == 3
    [request] = stowed.exchange.requests
    assert request.method == "POST" and request.url.endswith("/studies")
    assert request.headers["Content-Type"].startswith("multipart/related") and request.status_code == 200
    assert "C-STORE" in request.dimse_equivalent
    assert "00081199" in request.body  # ReferencedSOPSequence: what was stored


@pytest.mark.parametrize("level, keys, kind", [
    ("study", {"PatientName": "*", "StudyDate": "19000101-"}, ["wildcard", "range"]),
    ("series", {"Modality": "CT"}, ["single value"]),
    ("image", {"SOPInstanceUID": "{SOPInstanceUID}"}, ["single value"]),
])
def test_qido_at_each_level_is_a_c_find_over_http(stowed, lesson_pacs, liver_header, level, keys, kind):
    keys = {key: value.format(SOPInstanceUID=liver_header.SOPInstanceUID) for key, value in keys.items()}
    result = web.qido(lesson_pacs.dicomweb_url, level, keys)
    assert result.exchange.ok and result.objects
    unique = {"study": "0020000D", "series": "0020000E", "image": "00080018"}[level]
    expected = {"study": liver_header.StudyInstanceUID, "series": liver_header.SeriesInstanceUID,
                "image": liver_header.SOPInstanceUID}[level]
    assert str(expected) in {obj[unique]["Value"][0] for obj in result.objects}
    [request] = result.exchange.requests
    assert request.headers["Accept"] == "application/dicom+json"
    assert "*" in request.url if "*" in str(keys) else True  # the wildcard stays a wildcard
    assert request.dimse_equivalent.startswith("C-FIND-RQ at")
    assert all(f"{k}matching" in request.dimse_equivalent.replace(" matching", "matching") for k in kind)


def test_wado_retrieves_the_series_with_identical_pixels(stowed, lesson_pacs, liver_header, liver_files,
                                                         tmp_path):
    result = web.wado_series(lesson_pacs.dicomweb_url, str(liver_header.StudyInstanceUID),
                             str(liver_header.SeriesInstanceUID), tmp_path)
    retrieved = {str(ds.SOPInstanceUID): ds.PixelData for ds in map(pydicom.dcmread, result.files)}
    local = {str(ds.SOPInstanceUID): ds.PixelData for ds in map(pydicom.dcmread, liver_files)}
    assert retrieved == local
    assert "C-GET" in result.exchange.requests[0].dimse_equivalent


def _shown(explanation):
    return {(module.id, attribute.tag): attribute for module in explanation.modules
            for attribute in module.attributes}


def _same_value(remote, local) -> bool:
    """Equal, or equal as numbers for DS/IS (DICOM JSON carries them as JSON numbers, PS3.18 F.2.3)."""
    if remote.value == local.value:
        return True
    if remote.vr in ("DS", "IS") and remote.value and local.value:
        return [float(v) for v in remote.value.split("\\")] == [float(v) for v in local.value.split("\\")]
    return False


def test_remote_explain_equals_the_local_one(stowed, lesson_pacs, liver_header, liver_files):
    explanation, result = explain_remote(lesson_pacs.dicomweb_url, str(liver_header.StudyInstanceUID),
                                         str(liver_header.SeriesInstanceUID), str(liver_header.SOPInstanceUID))
    local = explain(liver_files[0])
    assert (explanation.sop_class_name, explanation.iod) == (local.sop_class_name, local.iod)
    remote_shown, local_shown = _shown(explanation), _shown(local)
    assert remote_shown.keys() == local_shown.keys() and len(remote_shown) > 100
    for key, attribute in local_shown.items():
        other = remote_shown[key]
        assert (other.status, other.type) == (attribute.status, attribute.type), key
        if attribute.tag == "(7FE0,0010)":
            assert other.value.startswith("<bulk data, not downloaded: http://127.0.0.1:")
        else:
            assert _same_value(other, attribute), (key, other.value, attribute.value)
    # Group lengths (gggg,0000) are left out of DICOM JSON (PS3.18 F.2), so are the problems about them.
    def problems(of):
        return sorted((p.code, p.tag, p.message) for p in of.problems if not (p.tag or "").endswith(",0000)"))

    assert problems(explanation) == problems(local)
    assert {a.tag for a in local.other_elements} - {a.tag for a in explanation.other_elements} == \
        {a.tag for a in local.other_elements if a.tag.endswith(",0000)")}
    assert explanation.anatomy is None and result.exchange.requests[0].url.endswith("/metadata")


def test_cli_web_explain_and_qido_json(stowed, lesson_pacs, liver_header, capsys):
    assert main(["web", lesson_pacs.dicomweb_url, "qido", "--level", "series", "Modality=CT", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert str(liver_header.SeriesInstanceUID) in [m["0020000E"]["Value"][0] for m in data["matches"]]
    assert main(["web", lesson_pacs.dicomweb_url, "explain", "--study", str(liver_header.StudyInstanceUID),
                 "--series", str(liver_header.SeriesInstanceUID)]) == 0
    out = capsys.readouterr().out
    assert "WADO-RS: GET" in out and "IOD              CT Image (ct-image)" in out


def test_a_dicomweb_server_that_is_down_fails_at_once():
    from DICOMTeachLib.net.pacs import free_port

    with pytest.raises(NetworkError, match="connection refused"):
        web.qido(f"http://127.0.0.1:{free_port()}/dicom-web", "study", timeout=2)


def test_an_unknown_series_is_a_clear_http_error(lesson_pacs):
    with pytest.raises(NetworkError, match="HTTP 404"):
        web.wado_metadata(lesson_pacs.dicomweb_url, "1.2.3", "4.5.6")


def test_render_shows_url_headers_and_dicom_json(stowed, lesson_pacs):
    result = web.qido(lesson_pacs.dicomweb_url, "study", {"PatientName": "*"})
    text = render_exchange(result.exchange)
    assert "QIDO-RS: GET http://127.0.0.1:" in text and "Accept: application/dicom+json" in text
    assert '"0020000D": {"Value": [' in text and "DIMSE equivalent: C-FIND-RQ" in text


def test_the_dicom_json_shown_is_valid_json_equal_to_the_answer(stowed, lesson_pacs, liver_header):
    """The answer was shown one attribute per line without commas: not JSON, in the lesson on the JSON model."""
    # One series asked for: other tests store more CT series, and a long answer is folded in the text.
    result = web.qido(lesson_pacs.dicomweb_url, "series",
                      {"Modality": "CT", "SeriesInstanceUID": str(liver_header.SeriesInstanceUID)})
    text = render_exchange(result.exchange)
    start = text.index("\n    [\n") + 1
    end = text.index("\n    ]\n", start) + len("\n    ]")
    shown = json.loads(text[start:end])
    assert shown == result.objects and len(shown) >= 1
    assert str(liver_header.SeriesInstanceUID) in {obj["0020000E"]["Value"][0] for obj in shown}
