"""SOP class = IOD + service: every SOP class is placed in its service class (issue 8 item 5).

The facts are generated from pynetdicom's SOP class registry and pydicom's UID dictionary
(tools/generate_service_tables.py) and read back without either package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pydicom
import pytest

from DICOMTeachLib.errors import UnknownIODError
from DICOMTeachLib.explain import explain
from DICOMTeachLib.standard import standard
from DICOMTeachLib.standard.services import DATA_FILE, service_tables, sop_class_service

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def test_verification_is_the_c_echo_service_class():
    service = sop_class_service("1.2.840.10008.1.1")
    assert service.name == "Verification SOP Class"
    assert (service.service_class.name, service.service_class.annex, service.dimse) == ("Verification", "A",
                                                                                        ("C-ECHO",))


def test_label_map_segmentation_has_its_name_and_storage_service():
    service = sop_class_service("1.2.840.10008.5.1.4.1.1.66.7")
    assert service.name == "Label Map Segmentation Storage"
    assert service.service_class.key == "storage" and service.dimse == ("C-STORE",)


@pytest.mark.parametrize("uid, dimse", [
    ("1.2.840.10008.5.1.4.1.2.2.1", "C-FIND"), ("1.2.840.10008.5.1.4.1.2.2.2", "C-MOVE"),
    ("1.2.840.10008.5.1.4.1.2.2.3", "C-GET"), ("1.2.840.10008.5.1.4.1.2.1.1", "C-FIND"),
    ("1.2.840.10008.5.1.4.31", "C-FIND"),  # Modality Worklist
])
def test_query_retrieve_models_use_one_dimse_service_each(uid, dimse):
    assert sop_class_service(uid).dimse == (dimse,)


def test_every_sop_class_of_the_iod_tables_is_a_storage_service():
    """The object half (highdicom's SOP classes with an IOD) and the service half agree: all store with C-STORE."""
    entries = standard().sop_classes()
    placed = {entry.uid: sop_class_service(entry.uid) for entry in entries}
    assert len(entries) > 150
    not_stored = [uid for uid, service in placed.items() if service is None or "C-STORE" not in service.dimse]
    # The DICOMDIR lives on media (PS3.10), never sent with C-STORE.
    assert not_stored == ["1.2.840.10008.1.3.10"]
    assert placed["1.2.840.10008.1.3.10"].service_class.name == "Media Storage"


def test_every_sop_class_pynetdicom_registers_is_in_the_facts():
    registry = pytest.importorskip("pynetdicom.sop_class")
    for cls, group in registry._SERVICE_TO_UID_GROUP.items():
        for uid in group.values():
            assert sop_class_service(uid) is not None, (cls.__name__, uid)
            assert pynetdicom_service(uid) == cls.__name__


def pynetdicom_service(uid):
    from pynetdicom.sop_class import uid_to_service_class

    return uid_to_service_class(uid).__name__


def test_no_pydicom_sop_class_is_left_without_a_service():
    from pydicom._uid_dict import UID_dictionary

    named = [uid for uid, entry in UID_dictionary.items() if entry[1] == "SOP Class" and entry[0]]
    unplaced = [uid for uid in named if sop_class_service(uid) is None]
    assert unplaced == []
    other = [entry.uid for entry in service_tables().sop_classes("other")]
    assert len(other) <= 2, other  # only classes PS3.4 no longer describes (e.g. Basic Study Content Notification)


def test_explain_shows_the_service_in_its_summary(lidc_ct_files):
    from DICOMTeachLib.explain import render_text

    explanation = explain(lidc_ct_files[0])
    assert explanation.to_json_dict()["service"] == {"class": "Storage", "annex": "B", "dimse": ["C-STORE"]}
    assert "Service          Storage service class (PS3.4 Annex B), DIMSE C-STORE" in render_text(explanation)
    from DICOMTeachLib.explain.html import render_html

    assert "<tr><th>Service</th><td>Storage service class (PS3.4 Annex B), DIMSE C-STORE</td></tr>" in \
        render_html([explanation])


def test_explain_names_a_label_map_segmentation(tmp_path):
    from pydicom.data import get_testdata_file

    source = get_testdata_file("CT_small.dcm")
    ds = pydicom.dcmread(source)
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.66.7"
    ds.save_as(tmp_path / "labelmap.dcm")
    explanation = explain(tmp_path / "labelmap.dcm")
    assert explanation.sop_class_name == "Label Map Segmentation Storage"
    assert explanation.service.service_class.key == "storage"


def test_a_verification_sop_class_is_explained_not_unknown(tmp_path):
    from pydicom.data import get_testdata_file

    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ds.SOPClassUID = "1.2.840.10008.1.1"
    ds.save_as(tmp_path / "verification.dcm")
    explanation = explain(tmp_path / "verification.dcm")
    assert explanation.sop_class_name == "Verification SOP Class"
    assert "unknown-sop-class" not in explanation.problem_codes()
    [problem] = [p for p in explanation.problems if p.code == "service-sop-class"]
    assert "Verification service class" in problem.message and "C-ECHO" in problem.message


def test_mandatory_of_a_service_sop_class_says_what_it_is():
    with pytest.raises(UnknownIODError, match="Verification SOP Class, of the Verification service class"):
        standard().iod("1.2.840.10008.1.1")


def test_loading_needs_neither_pynetdicom_nor_the_uid_dictionary():
    code = (
        "import sys\n"
        "sys.modules['pynetdicom'] = None\n"
        "from DICOMTeachLib.standard.services import sop_class_service\n"
        "print(sop_class_service('1.2.840.10008.5.1.4.1.2.2.3').summary)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Query/Retrieve service class (PS3.4 Annex C), DIMSE C-GET"


def test_shipped_file_equals_fresh_generation():
    pytest.importorskip("pynetdicom")
    sys.path.insert(0, str(PROJECT_ROOT / "tools"))
    try:
        import generate_service_tables as generator
    finally:
        sys.path.pop(0)
    data = generator.build()
    if data["sources"] != service_tables().sources:
        pytest.skip(f"shipped file was generated from {service_tables().sources}, installed are "
                    f"{data['sources']}: run python tools/generate_service_tables.py")
    assert DATA_FILE.read_bytes() == generator.encode(data), "run: python tools/generate_service_tables.py"


def test_mandatory_names_the_service_beside_each_sop_class():
    from DICOMTeachLib.exercises import mandatory_attributes

    text = mandatory_attributes("CT Image").render_text()
    assert "1.2.840.10008.5.1.4.1.1.2  CT Image Storage = this IOD + the Storage service (C-STORE)" in text
