"""The operator's dashboard in headless Chromium, on a real `folio serve` and `folio worker` (PostgreSQL, Valkey).

It signs in, shows the live worker and a failed mail, and its retry button gets the mail sent.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from domain.identity import Role
from entrypoints.bootstrap import Services
from tests.support.builders import add_user
from tests.support.chromium import browser_fixture, console_errors  # noqa: F401  # the `browser` fixture
from tests.support.http import PASSWORD
from tests.support.mail import queue_committed, with_id
from tests.support.processes import FolioProcess, start_server
from tests.support.smtp import SmtpServer, await_until
from tests.support.workers import api_fixture, env_fixture, run_worker  # noqa: F401  # fixtures `api`, `env`

pytestmark = [pytest.mark.postgres, pytest.mark.valkey, pytest.mark.slow]


@pytest.fixture
def processes(env: dict[str, str]) -> Iterator[list[FolioProcess]]:
    started: list[FolioProcess] = []
    yield started
    for process in started:
        process.stop()


def _rows(driver: webdriver.Chrome, table: str) -> list[list[str]]:
    rows = driver.find_elements(By.CSS_SELECTOR, f"#{table} tbody tr")
    return [[td.text for td in row.find_elements(By.TAG_NAME, "td")] for row in rows]


def _wait(driver: webdriver.Chrome, probe: Any, *, within: float = 60) -> Any:
    return WebDriverWait(driver, within, poll_frequency=0.2).until(lambda d: probe(d))


async def test_the_dashboard_signs_in_shows_a_live_worker_and_a_failed_mail_and_sends_it_again(
    api: Services,
    env: dict[str, str],
    smtp_server: SmtpServer,
    processes: list[FolioProcess],
    browser: webdriver.Chrome,
) -> None:
    server = start_server(os.environ | env)
    processes.append(server)
    run_worker(env, processes)
    admin = await add_user(api, "operator", role=Role.ADMIN)
    await await_until(lambda: smtp_server.mailbox.received(), within=90)  # the admin's own verification mail
    smtp_server.mailbox.refuse_with = "550 mailbox unavailable"  # a permanent refusal: failed at once
    message_id = await queue_committed(api, to="ada@example.com")

    async with httpx.AsyncClient() as http:
        page = await http.get(f"{server.url}/admin/")
    assert page.status_code == 200
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp
    assert "connect-src 'self'" in csp
    assert "unsafe" not in csp
    assert "set-cookie" not in page.headers

    browser.get(f"{server.url}/admin/")
    browser.find_element(By.ID, "email").send_keys(admin.email)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "sign-in-button").click()
    _wait(browser, lambda d: d.find_element(By.ID, "dashboard").is_displayed())

    [worker] = _wait(browser, lambda d: [r for r in _rows(d, "workers") if len(r) == 9 and r[3] == "alive"], within=90)
    assert worker[8] == "0"  # nothing running
    [failed] = _wait(browser, lambda d: [r for r in _rows(d, "failed-mail") if "ada@example.com" in r])
    assert "550" in failed[4]
    assert browser.find_element(By.ID, "outbox-failed").text == "1"
    assert browser.get_cookies() == []
    assert browser.execute_script("return sessionStorage.getItem('folio.dashboard.token')")

    smtp_server.mailbox.refuse_with = None
    browser.find_element(By.CSS_SELECTOR, f"#failed-mail button.retry[data-id='{message_id}']").click()
    [mail] = await await_until(lambda: with_id(smtp_server.mailbox.received(), message_id), within=60)
    assert mail["To"] == "ada@example.com"
    _wait(browser, lambda d: _rows(d, "failed-mail") == [["No failed mail."]])
    _wait(browser, lambda d: d.find_element(By.ID, "outbox-failed").text == "0")
    assert console_errors(browser) == []
