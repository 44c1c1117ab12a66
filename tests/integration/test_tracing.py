"""A checkout's trace, exported by real `folio serve` and `folio worker` processes to a test OTLP collector:
the HTTP span, its SQL spans and the worker's mail job in one trace."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from entrypoints.bootstrap import Services
from tests.support.builders import add_book
from tests.support.commerce import bearer_for, many_buyers
from tests.support.http import API
from tests.support.otlp import OtlpCollector, ReceivedSpan
from tests.support.processes import FolioProcess, start_server
from tests.support.smtp import SmtpServer, await_until
from tests.support.workers import api_fixture, env_fixture, run_worker  # noqa: F401  # fixtures `api`, `env`

pytestmark = [pytest.mark.postgres, pytest.mark.valkey, pytest.mark.slow]
SERVER, CONSUMER = 2, 5  # OTLP span kinds


@pytest.fixture
def collector() -> Iterator[OtlpCollector]:
    started = OtlpCollector()
    started.start()
    yield started
    started.stop()


@pytest.fixture
def processes() -> Iterator[list[FolioProcess]]:
    started: list[FolioProcess] = []
    yield started
    for process in started:
        process.stop()


def _sql(span: ReceivedSpan) -> bool:
    return any(key.startswith("db.") for key in span.attributes)


def _descends(span: ReceivedSpan, ancestor: ReceivedSpan, by_id: dict[str, ReceivedSpan]) -> bool:
    while span.parent_id:
        if span.parent_id == ancestor.span_id:
            return True
        parent = by_id.get(span.parent_id)
        if parent is None:
            return False
        span = parent
    return False


async def test_a_checkout_trace_runs_from_the_http_request_through_sql_into_the_mail_job(
    api: Services,
    env: dict[str, str],
    smtp_server: SmtpServer,
    collector: OtlpCollector,
    processes: list[FolioProcess],
) -> None:
    traced = env | {"OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100"}
    server = start_server(os.environ | traced)
    processes.append(server)
    run_worker(traced, processes)
    [user] = await many_buyers(api, 1)
    book = await add_book(api, price="12.50", stock=2)
    me = bearer_for(api, user)

    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        added = await http.post(f"{API}/cart/items", json={"book_id": str(book.id), "quantity": 1}, headers=me)
        assert added.status_code in (200, 201), added.text
        checkout = await http.post(f"{API}/orders/checkout", headers=me)
        assert checkout.status_code == 201, checkout.text
    await await_until(
        lambda: [m for m in smtp_server.mailbox.received() if m["Subject"] == "Order confirmation"], within=90
    )

    def whole_trace() -> tuple[ReceivedSpan, ReceivedSpan, list[ReceivedSpan]] | None:
        spans = collector.received()
        http_spans = [s for s in spans if s.kind == SERVER and "/orders/checkout" in s.name]
        jobs = [s for s in spans if s.kind == CONSUMER and s.name == "deliver_mail process"]
        for request in http_spans:
            mine = [s for s in spans if s.trace_id == request.trace_id]
            worker_sql = [s for s in mine if _sql(s) and s.resource.get("folio.process") == "worker"]
            by_id = {s.span_id: s for s in mine}
            # Spans arrive in export batches, in any order, and a delivery retried on a busy machine is a
            # second job in the same trace: wait for a job whose own statements have come.
            for job in (j for j in jobs if j.trace_id == request.trace_id):
                if any(_descends(s, job, by_id) for s in worker_sql):
                    return request, job, mine
        return None

    request, job, spans = await await_until(whole_trace, within=30, every=0.2)
    by_id = {s.span_id: s for s in spans}
    assert request.resource["folio.process"] == "api"
    assert job.resource["folio.process"] == "worker"
    assert job.attributes["messaging.destination.name"] == "mail"
    assert _descends(job, request, by_id)  # the job hangs under the checkout request, across processes
    api_sql = [s for s in spans if _sql(s) and s.resource["folio.process"] == "api"]
    assert api_sql, "no SQL span under the checkout"
    assert all(_descends(s, request, by_id) for s in api_sql)
    worker_sql = [s for s in spans if _sql(s) and s.resource["folio.process"] == "worker"]
    assert any(_descends(s, job, by_id) for s in worker_sql)  # the delivery's own statements
