"""The explain page in a real browser: Debian's headless Chromium, driven by selenium.

The page is what ``dicomteach explain --html`` and the panel's "Open as page"
write. Expected bytes are read from the file independently (the tag's bytes
found in the raw file), never from the page.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pydicom
import pytest
from conftest import PROJECT_ROOT

from DICOMTeachLib.cli import main
from DICOMTeachLib.phi.actions import phi_action
from DICOMTeachLib.testdata import pydicom_test_file

webdriver = pytest.importorskip("selenium.webdriver")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                reason="Debian's chromium and chromium-driver are not installed (.ci/run installs them)")


@pytest.fixture(scope="module")
def browser():
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="dicomteach-chromium-")
    options = Options()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                     f"--user-data-dir={profile}", "--window-size=1360,900"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _page(tmp_path, path, *extra) -> str:
    out = tmp_path / "page.html"
    assert main(["explain", "--html", str(out), *extra, str(path)]) == 0
    return out.as_uri()


def _li(driver, key):
    return driver.find_element("css selector", f'li[data-key="{key}"]')


def _row(li):
    return li.find_element("css selector", ":scope>.row")


def test_the_tree_expands_and_collapses(browser, tmp_path):
    browser.get(_page(tmp_path, pydicom_test_file("CT_small.dcm")))
    module = _li(browser, "module:ct-image")
    kvp = _li(browser, "module:ct-image/(0018,0060)")
    assert "collapsed" in module.get_attribute("class") and not kvp.is_displayed()
    module.find_element("css selector", ":scope>.row .tog").click()
    assert kvp.is_displayed()
    module.find_element("css selector", ":scope>.row .tog").click()
    assert not kvp.is_displayed()
    browser.find_element("css selector", "button.expand").click()
    assert kvp.is_displayed()
    browser.find_element("css selector", "button.collapse").click()
    assert not kvp.is_displayed()
    assert not [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]  # no script error


def test_a_problems_only_page_runs_without_script_errors(browser, tmp_path):
    browser.get(_page(tmp_path, pydicom_test_file("JPEG2000.dcm"), "--problems-only"))
    assert browser.find_elements("css selector", ".problems tr") and not browser.find_elements("css selector",
                                                                                              "ul.tree")
    assert not [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def test_the_filter_and_the_search_hide_rows(browser, lidc_ct_files, tmp_path):
    browser.get(_page(tmp_path, lidc_ct_files[0]))
    problem = _li(browser, "module:ct-image/(0020,0012)")  # Acquisition Number: type 2, missing in this file
    rows = _li(browser, "module:image-pixel/(0028,0010)")
    browser.find_element("css selector", "button.expand").click()
    assert problem.is_displayed() and rows.is_displayed()
    browser.find_element("css selector", "input.only").click()
    assert problem.is_displayed() and not rows.is_displayed()
    shown = [li for li in browser.find_elements("css selector", "li.k-attribute") if li.is_displayed()]
    assert [li.get_attribute("data-key") for li in shown] == ["module:ct-image/(0020,0012)"]
    browser.find_element("css selector", "input.only").click()
    search = browser.find_element("css selector", "input[type=search]")
    search.send_keys("0028,0010")
    shown = [li.get_attribute("data-key") for li in browser.find_elements("css selector", "li.k-attribute")
             if li.is_displayed()]
    assert shown == ["module:image-pixel/(0028,0010)"]
    search.clear()
    search.send_keys("rows")
    assert rows.is_displayed() and not problem.is_displayed()


def test_clicking_an_element_highlights_its_bytes(browser, tmp_path):
    path = pydicom_test_file("CT_small.dcm")
    browser.get(_page(tmp_path, path))
    browser.find_element("css selector", "button.expand").click()
    _row(_li(browser, "module:image-pixel/(0028,0010)")).click()
    highlighted = [span.text for span in browser.find_elements("css selector", ".hex .b.hl")]
    raw = Path(path).read_bytes()
    offset = raw.find(b"\x28\x00\x10\x00US")  # Rows, explicit VR little endian: 28 00 10 00 'U' 'S'
    assert offset > 0
    assert highlighted == [f"{byte:02x}" for byte in raw[offset:offset + 10]]  # header 8 + US value 2
    rows = int.from_bytes(raw[offset + 8:offset + 10], "little")
    assert rows == pydicom.dcmread(path, stop_before_pixels=True).Rows
    assert "bytes" in browser.find_element("css selector", ".byteinfo").text


def test_clicking_a_problem_selects_its_element(browser, lidc_ct_files, tmp_path):
    browser.get(_page(tmp_path, lidc_ct_files[0]))
    browser.find_element("css selector", '.problems tr[data-key="module:ct-image/(0020,0012)"]').click()
    selected = browser.find_elements("css selector", ".row.selected")
    assert len(selected) == 1 and selected[0].is_displayed()
    assert "(0020,0012)" in selected[0].text


def test_a_masked_page_hides_phi_in_the_bytes_too(browser, tmp_path):
    path = pydicom_test_file("CT_small.dcm")
    name = str(pydicom.dcmread(path, stop_before_pixels=True).PatientName)
    browser.get(_page(tmp_path, path, "--mask-phi"))
    assert name.split("^")[0] not in browser.find_element("css selector", ".hex").text
    browser.find_element("css selector", "button.expand").click()
    _row(_li(browser, "module:patient/(0010,0010)")).click()
    highlighted = [span.text for span in browser.find_elements("css selector", ".hex .b.hl")]
    assert highlighted[:4] == ["10", "00", "10", "00"] and set(highlighted[8:]) == {"••"}
    browser.find_element("css selector", "details.phi summary").click()
    phi_rows = [row.text for row in browser.find_elements("css selector", "details.phi tr")]
    assert any(row.startswith(f"(0010,0010) PatientName {phi_action(0x00100010).code} ") for row in phi_rows)
    assert not any(name.split("^")[0] in row for row in phi_rows)
    _screenshot(browser)


def _screenshot(browser) -> None:
    """The README's picture of the page: a problem selected, its module open, the bytes beside."""
    from PIL import Image

    target = PROJECT_ROOT / "Resources" / "Screenshots" / "page.png"
    browser.find_element("css selector", "button.collapse").click()
    _li(browser, "module:image-pixel").find_element("css selector", ":scope>.row .tog").click()
    _row(_li(browser, "module:image-pixel/(0028,0100)")).click()
    browser.execute_script("window.scrollTo(0, document.querySelector('.layout').offsetTop - 10)")
    png = Path(tempfile.mkdtemp(prefix="dicomteach-shot-")) / "page.png"
    browser.save_screenshot(str(png))
    Image.open(png).convert("RGB").quantize(colors=128).save(target, optimize=True)
