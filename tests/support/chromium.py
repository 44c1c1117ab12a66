"""Headless Chromium for browser tests: Debian's `chromium` driven by its `chromedriver` (no downloads)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def installed() -> bool:
    return (CHROMIUM.exists() or shutil.which("chromium") is not None) and CHROMEDRIVER.exists()


#: The reason a browser test is skipped on a machine where `make test-packages` has not run.
NOT_INSTALLED = "chromium and chromium-driver are not installed (make test-packages; make test does)"


def start_chromium(*arguments: str, logs: dict[str, str], page_load_timeout: float = 60) -> webdriver.Chrome:
    """Headless Chromium through the system chromedriver, with these extra arguments and log levels."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium"))
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", *arguments):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", logs)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(page_load_timeout)
    return driver


@pytest.fixture(name="browser")
def browser_fixture(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    """A fresh headless Chromium per test (its own profile); skipped where `make test-packages` has not run."""
    if not installed():
        pytest.skip(NOT_INSTALLED)
    driver = start_chromium(f"--user-data-dir={tmp_path / 'chromium-profile'}", logs={"browser": "ALL"})
    try:
        yield driver
    finally:
        driver.quit()


def console_errors(driver: webdriver.Chrome) -> list[str]:
    """What the page logged as errors (a CSP refusal, a failed script) since the last call."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
