"""The HTML failed-record report, opened in real headless Chromium: what a person sees and can do."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser import chromium, require_browser, screenshot
from tests.conftest import ROOT, copy_project

pytestmark = pytest.mark.slow


@pytest.fixture
def report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[dict[str, object]]]:
    require_browser()
    copy_project(tmp_path / "project", f"sqlite:///{tmp_path / 'hub.db'}", monkeypatch)

    def hub(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "hub.cli", *args], capture_output=True, text=True, cwd=ROOT, timeout=300
        )

    hub("sync", "all")
    out = tmp_path / "failures.html"
    made = hub("failures", "--format", "html", "--output", str(out))
    assert made.returncode == 0, made.stderr
    rows = json.loads(hub("failures", "--format", "json").stdout)
    return out, rows


def test_report_shows_counts_filters_sorts_and_payloads(report: tuple[Path, list[dict[str, object]]]) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    path, rows = report
    html = path.read_text()
    assert (
        "http://" not in html.replace("http://www.w3.org/2000/svg", "")
        and "https://" not in html.split('<script type="application/json"')[0]
    ), "the report must not load anything from the network"
    with chromium() as driver:
        driver.get(path.as_uri())
        text = driver.find_element(By.TAG_NAME, "body").text
        assert driver.title == "Failed records"
        assert driver.find_element(By.ID, "total").text == str(len(rows))
        assert f"{len(rows)} of {len(rows)} failed records shown" in text
        assert "By entity" in text and "By rule" in text and "product.name.required" in text
        assert driver.find_elements(By.CSS_SELECTOR, "#chart svg rect"), "the chart has bars"
        assert len(driver.find_elements(By.CSS_SELECTOR, "#rows tr")) == len(rows)
        screenshot(driver, "failures-report.png")

        driver.find_element(By.ID, "search").send_keys("SKU-1003")
        visible = driver.find_elements(By.CSS_SELECTOR, "#rows tr")
        assert len(visible) == sum(1 for r in rows if r["key"] == "SKU-1003") == 2
        visible[0].find_element(By.CSS_SELECTOR, "button.raw").click()
        payload = driver.find_element(By.CSS_SELECTOR, "tr.payload pre").text
        assert '"SKU-1003"' in payload and payload.startswith('{\n  "')  # pretty-printed raw JSON
        driver.execute_script("document.querySelector('tr.payload').scrollIntoView()")
        screenshot(driver, "failures-report-payload.png")

        search = driver.find_element(By.ID, "search")
        search.send_keys(Keys.CONTROL, "a")
        search.send_keys(Keys.DELETE)  # as a person clears it (fires the input event)
        assert len(driver.find_elements(By.CSS_SELECTOR, "#rows tr")) == len(rows)
        Select(driver.find_element(By.ID, "f-entity")).select_by_value("customer")
        entities = {
            tr.find_elements(By.TAG_NAME, "td")[1].text
            for tr in driver.find_elements(By.CSS_SELECTOR, "#rows tr")
        }
        assert entities == {"customer"}

        driver.find_element(By.CSS_SELECTOR, "th[data-col='key']").click()
        keys = [
            tr.find_elements(By.TAG_NAME, "td")[2].text
            for tr in driver.find_elements(By.CSS_SELECTOR, "#rows tr")
        ]
        assert keys == sorted(keys, key=lambda k: (k == "", k)), keys
