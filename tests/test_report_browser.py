"""The HTML report as a reader sees it: opened in headless Chromium, images loaded, sections there.

Skipped when Chromium, its driver or selenium is missing, except under CI=true, where a missing
browser is a failure: CI installs it (.ci/run), so a skip there would hide a broken report.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import report_stores

from neurosim.report.writer import write_report

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
)


def _unavailable() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    for program in ("chromium", "chromedriver"):
        if shutil.which(program) is None:
            return f"{program} is not installed (apt-get install chromium chromium-driver)"
    return None


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    reason = _unavailable()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must test the HTML report in a browser, but {reason}")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))
    try:
        yield driver
    finally:
        driver.quit()


def open_report(driver, html: Path, screenshot: Path) -> dict:
    """Load the page, screenshot all of it, and read what the checks need from the DOM."""
    driver.get(html.as_uri())
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(int(height) + 100, 16000))
    driver.save_screenshot(str(screenshot))
    return {
        "console": [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")],
        "images": driver.execute_script(
            "return Array.from(document.images).map("
            "i => ({alt: i.alt, complete: i.complete, width: i.naturalWidth,"
            " inline: i.src.startsWith('data:image/png;base64,')}))"
        ),
        "sections": driver.execute_script(
            "return Array.from(document.querySelectorAll('main > section > h2'))"
            ".map(h => h.textContent)"
        ),
        "broken_links": driver.execute_script(
            "return Array.from(document.querySelectorAll('nav.toc a'))"
            ".map(a => a.getAttribute('href').slice(1))"
            ".filter(id => !document.getElementById(id))"
        ),
        "fetched": driver.execute_script(
            "return performance.getEntriesByType('resource').map(r => r.name)"
            ".filter(n => !n.startsWith('data:'))"
        ),
        "scripts": driver.execute_script("return document.scripts.length"),
    }


def check_page(page: dict, sections: list[str]) -> None:
    assert page["console"] == []
    assert page["images"], "the report shows no figure"
    for image in page["images"]:
        assert image["complete"] and image["width"] > 0, f"image not loaded: {image['alt']}"
        assert image["inline"], f"image not inlined: {image['alt']}"
    assert page["sections"] == sections
    assert page["broken_links"] == []
    assert page["fetched"] == [] and page["scripts"] == 0


def test_classification_report_in_a_browser(browser, tmp_path: Path):
    runs = report_stores.classification_runs(tmp_path / "runs", sweep=True)
    paths = write_report(report_stores.FakeStore(runs), "quickstart", tmp_path / "report")
    page = open_report(browser, paths.html, tmp_path / "classification.png")
    check_page(page, report_stores.CLASSIFICATION_SECTIONS)
    assert (tmp_path / "classification.png").stat().st_size > 10_000


def test_control_report_in_a_browser(browser, tmp_path: Path):
    runs = report_stores.control_runs(tmp_path / "runs")
    paths = write_report(report_stores.FakeStore(runs), "control", tmp_path / "report")
    page = open_report(browser, paths.html, tmp_path / "control.png")
    check_page(page, report_stores.CONTROL_SECTIONS)
    assert (tmp_path / "control.png").stat().st_size > 10_000
