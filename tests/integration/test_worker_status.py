"""The worker status against a real `folio worker` on Valkey: `GET /api/v1/admin/worker-status` and `folio status`."""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import dramatiq.middleware.prometheus
import httpx
import pytest
from litestar.testing import AsyncTestClient

from entrypoints.bootstrap import Services, bootstrap
from entrypoints.http.app import create_app
from entrypoints.settings import load_settings
from tests.support.http import API, signed_in
from tests.support.identity import admin_session
from tests.support.mail import queue_committed, with_id
from tests.support.processes import FOLIO, FolioProcess, free_port
from tests.support.smtp import SmtpServer, await_until
from tests.support.workers import api_fixture, env_fixture, run_worker  # noqa: F401  # fixtures `api`, `env`

GRAFANA = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "folio.json"
pytestmark = [pytest.mark.postgres, pytest.mark.valkey, pytest.mark.slow]


@pytest.fixture
async def client(env: dict[str, str]) -> AsyncIterator[AsyncTestClient[Any]]:
    """The app as `folio serve` wires it (its own services: the client runs it on a loop of its own)."""
    async with AsyncTestClient(app=create_app(bootstrap(load_settings(env, env_file=None)))) as http:
        yield http


@pytest.fixture
def workers() -> Iterator[list[FolioProcess]]:
    started: list[FolioProcess] = []
    yield started
    for process in started:
        process.stop()


async def _status(client: AsyncTestClient[Any], auth: dict[str, str]) -> dict[str, Any]:
    response = await client.get(f"{API}/admin/worker-status", headers=auth)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_worker_status_lists_a_live_worker_its_counts_and_the_queues(
    api: Services,
    client: AsyncTestClient[Any],
    env: dict[str, str],
    smtp_server: SmtpServer,
    workers: list[FolioProcess],
) -> None:
    _, auth = await admin_session(client, api)
    assert (await _status(client, auth))["workers"] == []
    metrics_port = free_port()
    worker = run_worker(env | {"FOLIO_WORKER_METRICS_PORT": str(metrics_port)}, workers)

    async def live() -> list[dict[str, Any]]:
        return [w for w in (await _status(client, auth))["workers"] if w["alive"]]

    [seen] = await _await(live, within=90)
    assert seen["pid"] != worker.process.pid  # Dramatiq's worker process, forked by `folio worker`
    assert seen["queues"] == ["mail", "imports"]
    assert seen["processed"] <= 1  # the admin's verification mail, if the worker took it already

    message_id = await queue_committed(api)
    await await_until(lambda: with_id(smtp_server.mailbox.received(), message_id), within=60)

    async def counted() -> dict[str, Any] | None:
        status = await _status(client, auth)
        [w] = status["workers"]
        done = w["processed"] >= 2 and w["in_progress"] == 0 and status["outbox"]["pending"] == 0
        return status if done else None

    status = await _await(counted, within=30)
    [w] = status["workers"]
    assert w["failed"] <= w["retried"]  # a slow SMTP answer on a busy machine may fail one attempt: retried
    assert {q["name"]: (q["ready"], q["dead"]) for q in status["queues"]} == {"mail": (0, 0), "imports": (0, 0)}
    assert status["outbox"] == {"pending": 0, "failed": 0}
    assert status["requests"]["total"] >= 3  # this client's own requests, from the request counter
    assert status["requests"]["errors"] == 0

    # The worker's own Prometheus figures, by actor (Dramatiq's middleware, merged across its processes).
    async with httpx.AsyncClient() as http:
        scraped = (await http.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10)).text
    labels = 'actor_name="deliver_mail",queue_name="mail"'
    sent = float(w["processed"])  # the admin's verification mail and ours
    assert sent >= 2
    assert _sample(scraped, f"dramatiq_messages_total{{{labels}}}") == sent
    assert _sample(scraped, f"dramatiq_message_duration_milliseconds_count{{{labels}}}") == sent
    assert _sample(scraped, f"dramatiq_messages_inprogress{{{labels}}}") == 0.0
    errors = _sample(scraped, f"dramatiq_message_errors_total{{{labels}}}") if w["failed"] else 0.0
    assert errors == w["failed"]
    # Every series the Grafana dashboard reads is one the API or the worker exports (a counter that has
    # counted nothing yet, like retries here, is not exported: it must be one Dramatiq's middleware declares).
    api_scrape = (await client.get("/metrics")).text
    declared = inspect.getsource(dramatiq.middleware.prometheus)
    for name in dashboard_metrics():
        assert _exports(api_scrape, name) or _exports(scraped, name) or f'"{name}"' in declared, name

    # The terminal sees the same worker.
    printed = await asyncio.create_subprocess_exec(
        FOLIO,
        "status",
        env=os.environ | env | {"COLUMNS": "120"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(printed.communicate(), 60)
    assert printed.returncode == 0, stderr.decode()
    assert seen["id"][:8] in stdout.decode()
    assert "Outbox: 0 pending, 0 failed" in stdout.decode()

    # A worker that stops says so: it leaves the list.
    assert worker.stop() == 0
    assert (await _status(client, auth))["workers"] == []


async def test_worker_status_is_for_admins_only(api: Services, client: AsyncTestClient[Any]) -> None:
    assert (await client.get(f"{API}/admin/worker-status")).status_code == 401
    _, auth = await signed_in(client)
    assert (await client.get(f"{API}/admin/worker-status", headers=auth)).status_code == 403


def dashboard_metrics() -> set[str]:
    panels = json.loads(GRAFANA.read_text())["panels"]
    exprs = [target["expr"] for panel in panels for target in panel["targets"]]
    return {name for expr in exprs for name in re.findall(r"\b(?:folio|dramatiq)_[a-z_]+", expr)}


def _exports(text: str, name: str) -> bool:
    return any(line.startswith((f"{name}{{", f"{name} ")) for line in text.splitlines())


def _sample(text: str, series: str) -> float:
    """The value of one series in Prometheus text."""
    [value] = [line.rsplit(" ", 1)[1] for line in text.splitlines() if line.startswith(series + " ")]
    return float(value)


async def _await[T](probe: Callable[[], Awaitable[T | None]], *, within: float) -> T:
    """`await_until` for a probe that must itself be awaited (an HTTP request)."""
    deadline = time.monotonic() + within
    while True:
        with_value = await probe()
        if with_value:
            return with_value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting after {within}s")
        await asyncio.sleep(0.2)
