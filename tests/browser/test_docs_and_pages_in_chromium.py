"""A real browser against a real `folio serve`: headless Chromium from Debian (`make test-packages` installs it),
driven by Selenium through the system chromedriver (no driver or browser download).

The browser cannot resolve any host name (`--host-resolver-rules`), and every request it makes is read from
its network log: the docs pages must render their operations from what Folio serves, and nothing may leave
the loopback address. The landing pages complete the emailed flows with plain HTML forms.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from entrypoints.bootstrap import bootstrap
from tests.support.chromium import NOT_INSTALLED, installed, start_chromium
from tests.support.databases import sqlite_copy
from tests.support.http import PASSWORD
from tests.support.identity import mails
from tests.support.processes import FolioProcess, folio_env, start_server
from tests.support.settings import make_settings

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not installed(), reason=NOT_INSTALLED)]


@pytest.fixture(scope="module")
def server(sqlite_template_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FolioProcess, str]]:
    directory = tmp_path_factory.mktemp("browser")
    url = sqlite_copy(sqlite_template_path, directory / "db")
    process = start_server(folio_env(directory / "var", database_url=url))
    try:
        yield process, url
    finally:
        process.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    driver = start_chromium(
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",  # no name resolves: no network
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,900",
        logs={"performance": "ALL"},
        page_load_timeout=120,
    )
    try:
        yield driver
    finally:
        driver.quit()


#: ReDoc's sidebar always shows its maker's logo from a CDN; the docs CSP stops it inside the browser.
STOPPED_BY_CSP = {"https://cdn.redoc.ly/redoc/logo-mini.svg"}


def _requested(driver: webdriver.Chrome) -> list[str]:
    """Every URL the page sent a request for since the last call (the driver's performance log is drained);
    a request the CSP blocked never leaves the browser and must be one of STOPPED_BY_CSP."""
    sent: dict[str, str] = {}
    blocked: set[str] = set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message["method"] == "Network.requestWillBeSent":
            sent[params["requestId"]] = params["request"]["url"]
        elif message["method"] == "Network.loadingFailed" and params.get("blockedReason") == "csp":
            blocked.add(params["requestId"])
    assert {sent[i] for i in blocked if i in sent} <= STOPPED_BY_CSP
    return [url for request_id, url in sent.items() if request_id not in blocked]


def _only_loopback(urls: list[str], base: str) -> None:
    outside = [u for u in urls if not u.startswith((base + "/", "data:", "blob:", "about:", "chrome"))]
    assert not outside, outside


def _text_appears(driver: webdriver.Chrome, text: str, within: float = 90) -> None:
    WebDriverWait(driver, within, poll_frequency=0.5).until(
        lambda d: text in d.execute_script("return document.body ? document.body.innerText : ''"),
        message=f"{text!r} never appeared on {driver.current_url}",
    )


@pytest.mark.parametrize(
    ("page", "summaries"),
    [
        ("/schema", ["Register", "Issue token", "Change password"]),  # Scalar opens the first tag
        ("/schema/swagger", ["List books", "Checkout", "Add to cart"]),
        ("/schema/redoc", ["List books", "Checkout", "Add to cart"]),
    ],
)
def test_the_docs_render_their_operations_offline(
    page: str, summaries: list[str], server: tuple[FolioProcess, str], browser: webdriver.Chrome
) -> None:
    process, _ = server
    _requested(browser)
    browser.get_log("browser")
    browser.get(process.url + page)
    for summary in summaries:
        _text_appears(browser, summary)
    urls = _requested(browser)
    assert any("/schema/assets/docs/" in u for u in urls), urls
    _only_loopback(urls, process.url)
    refused = [e["message"] for e in browser.get_log("browser") if "Content Security Policy" in e["message"]]
    assert all(any(url in m for url in STOPPED_BY_CSP) for m in refused), refused


def test_authorize_in_swagger_signs_in_and_try_it_out_sends_the_token(
    server: tuple[FolioProcess, str], browser: webdriver.Chrome
) -> None:
    process, _ = server
    account = {"email": "swagger@example.com", "username": "swagger", "password": PASSWORD}
    assert httpx.post(f"{process.url}/api/v1/auth/register", json=account).status_code == 201
    browser.get(process.url + "/schema/swagger")
    _text_appears(browser, "Authorize")
    browser.find_element(By.CSS_SELECTOR, "button.authorize").click()
    _text_appears(browser, "/api/v1/auth/token")
    browser.find_element(By.ID, "oauth_username").send_keys(account["email"])
    browser.find_element(By.ID, "oauth_password").send_keys(PASSWORD)
    [button] = [b for b in browser.find_elements(By.CSS_SELECTOR, ".modal-ux button") if b.text == "Authorize"][:1]
    button.click()
    _text_appears(browser, "Authorized")
    [close] = [b for b in browser.find_elements(By.CSS_SELECTOR, ".modal-ux button") if b.text == "Close"][:1]
    close.click()

    operation = browser.find_element(By.ID, "operations-users-getMe")
    operation.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    WebDriverWait(browser, 30).until(lambda d: operation.find_elements(By.CSS_SELECTOR, ".try-out__btn"))
    operation.find_element(By.CSS_SELECTOR, ".try-out__btn").click()
    operation.find_element(By.CSS_SELECTOR, ".execute").click()
    live = "#operations-users-getMe .live-responses-table tbody"
    settle = WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException, NoSuchElementException))
    settle.until(lambda d: account["email"] in d.find_element(By.CSS_SELECTOR, live).text)
    assert browser.find_element(By.CSS_SELECTOR, f"{live} .response-col_status").text.strip() == "200"
    _only_loopback(_requested(browser), process.url)


async def _mail_data(database_url: str, var: Path, kind: str, email: str) -> dict[str, Any]:
    services = bootstrap(make_settings(var, database_url=database_url))
    try:
        for _ in range(50):
            found = await mails(services, kind, email)
            if found:
                return dict(found[-1].data)
            await asyncio.sleep(0.1)
    finally:
        await services.aclose()
    raise AssertionError(f"no {kind} mail to {email}")


def test_the_verification_page_verifies_in_the_browser(
    server: tuple[FolioProcess, str], browser: webdriver.Chrome, tmp_path: Path
) -> None:
    process, database_url = server
    account = {"email": "browser@example.com", "username": "browser", "password": PASSWORD}
    assert httpx.post(f"{process.url}/api/v1/auth/register", json=account).status_code == 201
    link = str(asyncio.run(_mail_data(database_url, tmp_path, "verify-email", account["email"]))["link"])
    token = parse_qs(urlparse(link).query)["token"][0]
    browser.get(f"{process.url}/verify-email?token={token}")
    assert "is verified" in browser.find_element(By.ID, "result").text
    _only_loopback(_requested(browser), process.url)
    tokens = httpx.post(f"{process.url}/api/v1/auth/login", json={"email": account["email"], "password": PASSWORD})
    me = httpx.get(
        f"{process.url}/api/v1/users/me", headers={"Authorization": f"Bearer {tokens.json()['access_token']}"}
    )
    assert me.json()["is_verified"] is True


def test_the_reset_page_changes_the_password_in_the_browser(
    server: tuple[FolioProcess, str], browser: webdriver.Chrome, tmp_path: Path
) -> None:
    process, database_url = server
    account = {"email": "forgot@example.com", "username": "forgot", "password": PASSWORD}
    assert httpx.post(f"{process.url}/api/v1/auth/register", json=account).status_code == 201
    assert httpx.post(f"{process.url}/api/v1/auth/forgot-password", json={"email": account["email"]}).status_code == 202
    mail = asyncio.run(_mail_data(database_url, tmp_path, "password-reset", account["email"]))
    assert urlparse(str(mail["link"])).path == "/reset-password"
    browser.get(f"{process.url}/reset-password?{urlparse(str(mail['link'])).query}")
    assert browser.find_element(By.ID, "email").get_attribute("value") == account["email"]
    browser.find_element(By.ID, "code").send_keys(str(mail["code"]))
    browser.find_element(By.ID, "new_password").send_keys("a-fresh-browser-passphrase")
    browser.find_element(By.ID, "reset").click()
    WebDriverWait(browser, 30).until(lambda d: "password is changed" in d.find_element(By.TAG_NAME, "body").text)
    _only_loopback(_requested(browser), process.url)
    login = {"email": account["email"], "password": "a-fresh-browser-passphrase"}
    assert httpx.post(f"{process.url}/api/v1/auth/login", json=login).status_code == 200
