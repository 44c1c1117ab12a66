"""The worker status on the embedded default: the app's own in-process worker, its queues and the outbox."""

from __future__ import annotations

import os
from typing import Any

from litestar.testing import AsyncTestClient

from application.mail import VERIFY_EMAIL
from entrypoints.bootstrap import Services
from tests.support.http import API
from tests.support.identity import admin_session
from tests.support.mail import eml_files, queue_committed, with_id
from tests.support.smtp import await_until


async def test_the_in_process_worker_is_listed_alive_and_counts_what_it_sends(
    client: AsyncTestClient[Any], services: Services
) -> None:
    _, auth = await admin_session(client, services)
    status = (await client.get(f"{API}/admin/worker-status", headers=auth)).json()
    [worker] = status["workers"]
    assert worker["alive"] is True
    assert worker["pid"] == os.getpid()
    assert worker["last_heartbeat"] is not None
    before = worker["processed"]
    assert [q["name"] for q in status["queues"]] == ["mail", "imports"]

    message_id = await queue_committed(services, VERIFY_EMAIL, "ada@example.com")
    await await_until(lambda: with_id(eml_files(services.settings.mail_dir), message_id))

    async def sent() -> dict[str, Any] | None:
        body: dict[str, Any] = (await client.get(f"{API}/admin/worker-status", headers=auth)).json()
        done = body["workers"][0]["processed"] > before and body["outbox"]["pending"] == 0
        return body if done else None

    for _ in range(100):
        if (status := await sent()) is not None:
            break
    else:
        raise AssertionError("the worker never counted the mail")
    assert status["workers"][0]["failed"] == 0
    assert status["outbox"] == {"pending": 0, "failed": 0}
    assert status["requests"]["per_second"] > 0


async def test_the_dashboard_page_and_its_assets_come_from_folio_under_a_strict_policy(
    client: AsyncTestClient[Any],
) -> None:
    page = await client.get("/admin/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy
    assert "https:" not in policy
    for src in ("/admin/assets/dashboard.js", "/admin/assets/dashboard.css", "/admin/assets/favicon.svg"):
        assert f'"{src}"' in page.text
        assert (await client.get(src)).status_code == 200
    assert "http" not in page.text.replace("http-equiv", "")  # nothing from another origin
    assert (await client.get("/admin/assets/index.html")).status_code == 404
    assert (await client.get("/admin/assets/..%2Fcontrollers%2Fdashboard.py")).status_code == 404
