"""DIMSE against a real PACS (Debian's Orthanc): echo, store, find, get, move, each exchange explained.

Values asserted come from the LIDC files themselves (read with pydicom) and from what Orthanc answered."""

from __future__ import annotations

import json
from pathlib import Path

import pydicom
import pytest

from DICOMTeachLib.cli import main
from DICOMTeachLib.errors import DICOMTeachError
from DICOMTeachLib.net import dimse
from DICOMTeachLib.net.text import render_exchange

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def peer(lesson_pacs):
    return dimse.Peer.parse(lesson_pacs.dicom_address, called_ae=lesson_pacs.ae_title)


@pytest.fixture(scope="module")
def lidc_seg_file(shared_data):
    return sorted((shared_data / "lidc-idri-0001-ct-seg" / "seg").glob("*.dcm"))[0]


@pytest.fixture(scope="module")
def stored(peer, lidc_ct_files, lidc_seg_file):
    """The LIDC CT series and its SEG stored once for this module (one association)."""
    return dimse.store(peer, [*lidc_ct_files, lidc_seg_file])


@pytest.fixture(scope="module")
def lidc_header(lidc_ct_files):
    return pydicom.dcmread(lidc_ct_files[0], stop_before_pixels=True)


def test_echo_explains_association_command_set_and_status(peer):
    exchange = dimse.echo(peer)
    assert exchange.ok
    association = exchange.associations[0]
    assert (association.requestor_ae, association.acceptor_ae, association.outcome) == ("DICOMTEACH", "ORTHANC",
                                                                                         "released")
    [context] = association.contexts
    assert context.abstract_syntax == "1.2.840.10008.1.1" and context.result == "accepted"
    assert "Verification service class" in context.service and context.transfer_syntax is not None
    request, response = association.messages
    assert (request.name, request.direction, response.name, response.direction) == (
        "C-ECHO-RQ", "sent", "C-ECHO-RSP", "received")
    command = {field.keyword: field for field in request.fields}
    assert command["CommandField"].value == "0x0030" and command["CommandField"].meaning.startswith("C-ECHO-RQ")
    assert command["AffectedSOPClassUID"].meaning.startswith("Verification SOP Class")
    assert command["CommandDataSetType"].meaning == "no data set follows"
    assert response.status.code == 0 and response.status.category == "Success"
    text = render_exchange(exchange)
    assert "C-ECHO-RSP" in text and "0x0000 Success" in text


def test_store_sends_the_lidc_series_and_its_seg(stored, lidc_ct_files, lidc_seg_file):
    assert stored.exchange.ok
    assert len(stored.instances) == len(lidc_ct_files) + 1 == 134
    assert all(instance.status.startswith("0x0000 Success") for instance in stored.instances)
    contexts = {cx.abstract_syntax: cx for cx in stored.exchange.associations[0].contexts}
    assert set(contexts) == {"1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.66.4"}
    assert all(cx.result == "accepted" for cx in contexts.values())
    requests = stored.exchange.messages("C-STORE-RQ")
    assert len(requests) == 134
    first = {field.keyword: field for field in requests[0].fields}
    expected = pydicom.dcmread(lidc_ct_files[0], stop_before_pixels=True)
    assert first["AffectedSOPInstanceUID"].value == expected.SOPInstanceUID
    assert first["AffectedSOPClassUID"].meaning.startswith("CT Image Storage: Storage service class")
    assert [int({f.keyword: f.value for f in m.fields}["MessageID"]) for m in requests] == list(range(1, 135))
    assert (first["Priority"].value, first["Priority"].meaning) == ("2", "LOW")  # pynetdicom's default


@pytest.mark.parametrize("level, keys, key_matching", [
    ("patient", {"PatientID": "{PatientID}"}, {"PatientID": "single value"}),
    ("patient", {"PatientID": "LIDC-IDRI-000?"}, {"PatientID": "wildcard"}),
    ("series", {"SeriesDate": "-{StudyDate}", "Modality": "C*"}, {"SeriesDate": "range", "Modality": "wildcard"}),
    ("study", {"StudyDate": "19000101-{StudyDate}", "PatientName": "*"}, {"StudyDate": "range",
                                                                          "PatientName": "wildcard"}),
    ("series", {"Modality": "CT", "SeriesInstanceUID": None}, {"Modality": "single value",
                                                               "SeriesInstanceUID": "universal"}),
    ("image", {"SeriesInstanceUID": "{SeriesInstanceUID}", "SOPInstanceUID": "{SOPInstanceUID}\\1.2.3"},
     {"SOPInstanceUID": "list of UIDs"}),
])
def test_find_at_every_level_with_its_matching(stored, peer, lidc_header, level, keys, key_matching):
    values = {key: (value.format(**{k: str(lidc_header.get(k, "")) for k in
                                    ("PatientID", "StudyDate", "SeriesInstanceUID", "SOPInstanceUID")})
                    if value else value) for key, value in keys.items()}
    result = dimse.find(peer, level, values)
    assert result.exchange.ok and result.matches
    request = result.exchange.messages("C-FIND-RQ")[0]
    matching = {key.keyword: key.matching for key in request.identifier}
    assert {key: matching[key] for key in key_matching} == key_matching
    assert matching["QueryRetrieveLevel"] == "level"
    unique = {"patient": "PatientID", "study": "StudyInstanceUID", "series": "SeriesInstanceUID",
              "image": "SOPInstanceUID"}[level]
    assert str(lidc_header[unique].value) in {str(match.get(unique, "")) for match in result.matches}
    pending = [m for m in result.exchange.messages("C-FIND-RSP") if m.status.category == "Pending"]
    assert len(pending) == len(result.matches) and all(m.identifier for m in pending)
    assert result.exchange.messages("C-FIND-RSP")[-1].status.code == 0


def test_wildcard_that_matches_nothing_returns_no_match(stored, peer):
    result = dimse.find(peer, "patient", {"PatientName": "NOBODY*"})
    assert result.exchange.ok and result.matches == []


def _pixels_by_uid(paths):
    datasets = [pydicom.dcmread(path) for path in paths]
    return {str(ds.SOPInstanceUID): ds.PixelData for ds in datasets}


def test_get_brings_the_series_back_identical(stored, peer, lidc_header, lidc_ct_files, tmp_path):
    out = tmp_path / "get"
    result = dimse.get(peer, str(lidc_header.SeriesInstanceUID), out)
    assert result.exchange.ok, result.exchange.outcome
    assert len(result.files) == 133
    assert _pixels_by_uid(result.files) == _pixels_by_uid(lidc_ct_files)
    assert {path.parent for path in result.files} == {out}
    get_association = result.exchange.associations[-1]
    assert get_association.initiated_by == "us"
    storage = [cx for cx in get_association.contexts if cx.abstract_syntax == "1.2.840.10008.5.1.4.1.1.2"]
    assert storage[0].roles.startswith("we act as SCP")
    received = [m for m in get_association.messages if m.name == "C-STORE-RQ"]
    assert len(received) == 133 and all(m.direction == "received" for m in received)
    final = [m for m in get_association.messages if m.name == "C-GET-RSP"][-1]
    completed = {f.keyword: f.value for f in final.fields}["NumberOfCompletedSuboperations"]
    assert final.status.code == 0 and completed == "133"


def test_move_makes_the_pacs_open_an_association_to_our_scp(stored, peer, lesson_pacs, lidc_header,
                                                            lidc_ct_files, tmp_path):
    result = dimse.move(peer, str(lidc_header.SeriesInstanceUID), tmp_path / "move",
                        move_ae=lesson_pacs.move_ae_title, move_port=lesson_pacs.move_port)
    assert result.exchange.ok, result.exchange.outcome
    assert _pixels_by_uid(result.files) == _pixels_by_uid(lidc_ct_files)
    ours = [a for a in result.exchange.associations if a.initiated_by == "us"]
    theirs = [a for a in result.exchange.associations if a.initiated_by == "the peer"]
    assert theirs and theirs[0].requestor_ae == "ORTHANC" and theirs[0].acceptor_ae == "DICOMTEACH"
    assert sum(1 for a in theirs for m in a.messages if m.name == "C-STORE-RQ") == 133
    assert not any(m.name == "C-STORE-RQ" for m in ours[-1].messages)  # only C-MOVE-RSPs on ours
    assert any("OPENS A NEW ASSOCIATION" in note for note in result.exchange.notes)


def test_cli_find_prints_json_with_matches(stored, lesson_pacs, lidc_header, capsys):
    code = main(["find", lesson_pacs.dicom_address, "--called-ae", "ORTHANC", "--level", "series",
                 f"SeriesInstanceUID={lidc_header.SeriesInstanceUID}", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["ok"]
    assert [m["0020000E"]["Value"][0] for m in data["matches"]] == [str(lidc_header.SeriesInstanceUID)]


def test_cli_echo_text(lesson_pacs, capsys):
    assert main(["echo", lesson_pacs.dicom_address, "--called-ae", "ORTHANC"]) == 0
    out = capsys.readouterr().out
    assert "presentation context 1: Verification SOP Class" in out and "-> C-ECHO-RQ" in out


# -- bad input ---------------------------------------------------------------------------------------------


def test_unknown_called_ae_title_is_rejected_with_the_reason(lesson_pacs, capsys):
    peer = dimse.Peer.parse(lesson_pacs.dicom_address, called_ae="NOT-ORTHANC")
    exchange = dimse.echo(peer)
    association = exchange.associations[0]
    assert not exchange.ok and association.outcome == "rejected"
    assert "called AE title is not recognised" in association.reason and "permanently" in association.reason
    assert main(["echo", lesson_pacs.dicom_address, "--called-ae", "NOT-ORTHANC"]) == 1
    assert "called AE title is not recognised" in capsys.readouterr().out


def test_server_down_is_a_clear_error_without_retries():
    from DICOMTeachLib.net.pacs import free_port

    peer = dimse.Peer.parse(f"127.0.0.1:{free_port()}", timeout=2, connect_timeout=1)
    with pytest.raises(dimse.NetworkError, match="connection refused"):
        dimse.echo(peer)
    assert main(["echo", peer.address, "--timeout", "2"]) == 2


def test_an_invalid_query_level_gets_the_pacs_status_explained(stored, peer):
    result = dimse.find(peer, "study", {"QueryRetrieveLevel": "NOT-A-LEVEL"})
    final = result.exchange.messages("C-FIND-RSP")[-1]
    assert not result.exchange.ok and result.matches == []
    assert final.status.category == "Failure" and 0xA900 <= final.status.code <= 0xCFFF
    assert final.status.meaning  # the service's meaning of the code, e.g. "Unable to Process"


def test_an_unknown_query_key_is_refused_before_sending(peer):
    with pytest.raises(DICOMTeachError, match="unknown query key 'PatientNme'"):
        dimse.find(peer, "patient", {"PatientNme": "X"})


def test_received_files_cannot_leave_the_output_folder():
    assert dimse._safe_name("1.2.3") == "1.2.3.dcm"
    for hostile in ("../../etc/passwd", "/tmp/x", "..", "1.2/../../3"):
        name = dimse._safe_name(hostile)
        assert "/" not in name and name not in (".", "..") and name.startswith("instance-")


def test_bad_addresses_and_ae_titles_are_named():
    with pytest.raises(DICOMTeachError, match="not a HOST:PORT"):
        dimse.Peer.parse("localhost")
    with pytest.raises(DICOMTeachError, match="1 to 16 ASCII"):
        dimse.Peer.parse("127.0.0.1:104", called_ae="A" * 17)


def test_store_of_a_file_that_is_not_dicom_names_it(peer, tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("not DICOM")
    with pytest.raises(DICOMTeachError) as error:
        dimse.store(peer, [bad])
    assert error.value.path == str(bad)


def test_only_loopback_is_used(lesson_pacs):
    assert lesson_pacs.dicom_address.startswith("127.0.0.1:") and lesson_pacs.http_url.startswith("http://127.0.0.1:")
    config = json.loads((Path(lesson_pacs.folder) / "orthanc.json").read_text())
    assert config["RemoteAccessAllowed"] is False
    assert config["DicomModalities"]["dicomteach"][1] == "127.0.0.1"


def test_lidc_instance_explained_from_wado_metadata_equals_local(stored, lesson_pacs, lidc_header, lidc_ct_files):
    """Stored with C-STORE, read back as DICOM JSON: the same verdicts and values as the local file."""
    pytest.importorskip("dicomweb_client")
    from DICOMTeachLib.explain import explain
    from DICOMTeachLib.net.remote import explain_remote

    remote, _ = explain_remote(lesson_pacs.dicomweb_url, str(lidc_header.StudyInstanceUID),
                               str(lidc_header.SeriesInstanceUID), str(lidc_header.SOPInstanceUID))
    local = explain(lidc_ct_files[0])
    remote_shown = {(m.id, a.tag): a for m in remote.modules for a in m.attributes}
    local_shown = {(m.id, a.tag): a for m in local.modules for a in m.attributes}
    assert remote_shown.keys() == local_shown.keys()
    numeric = 0
    for key, attribute in local_shown.items():
        other = remote_shown[key]
        assert (other.status, other.type) == (attribute.status, attribute.type), key
        if other.value != attribute.value and attribute.tag != "(7FE0,0010)":
            assert attribute.vr in ("DS", "IS"), key  # JSON numbers: "360.000000" comes back as 360.0
            assert [float(v) for v in other.value.split("\\")] == [float(v) for v in attribute.value.split("\\")]
            numeric += 1
    assert 0 < numeric < 30


def test_store_of_a_folder_skips_what_is_not_an_instance(stored, peer, tmp_path, pydicom_ct_files):
    import shutil

    shutil.copy(pydicom_ct_files[0], tmp_path / "slice.dcm")
    (tmp_path / "README").write_text("not DICOM")
    result = dimse.store(peer, [tmp_path / "slice.dcm", tmp_path / "README"])
    assert [i.status.split(":")[0] for i in result.instances] == ["0x0000 Success", "not sent"]
    assert result.exchange.ok and "1 file(s) skipped" in result.exchange.outcome


def test_the_folded_messages_of_a_store_are_counted_as_requests_and_responses(stored, lidc_ct_files):
    """'... 262 more C-STORE messages' read as 262 more instances: they are requests and responses."""
    text = render_exchange(stored.exchange)
    folded = next(line for line in text.splitlines() if "more C-STORE messages" in line)
    shown = text.count("-> C-STORE-RQ")
    rest = len(lidc_ct_files) + 1 - shown  # the CT series and its SEG, one request and one response each
    assert f"{2 * rest} more C-STORE messages ({rest} request(s), {rest} response(s))" in folded
