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
