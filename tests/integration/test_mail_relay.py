"""The outbox relay and delivery on PostgreSQL, with Dramatiq on Valkey and mail into a real SMTP server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from uuid import UUID

import pytest
from dramatiq import Broker, Worker

from adapters.dramatiq.broker import make_broker
from adapters.dramatiq.publisher import DramatiqPublisher
from application.mail import VERIFY_EMAIL, queue_mail
from application.ports.outbox import PublishError
from entrypoints.bootstrap import Services, bootstrap
from entrypoints.worker.lifecycle import serve_actors
from tests.support.clock import FakeClock
from tests.support.mail import SAMPLES, queue_committed, with_id
from tests.support.proxy import TcpProxy
from tests.support.settings import make_settings
from tests.support.smtp import SmtpServer, await_until

pytestmark = [pytest.mark.postgres, pytest.mark.valkey]


@dataclass
class Stack:
    api: Services
    broker: Broker
    proxy: TcpProxy
    smtp: SmtpServer


@pytest.fixture
async def stack(
    pg_url: str, valkey_url: str, valkey_prefix: str, smtp_server: SmtpServer, tmp_path: Path
) -> AsyncIterator[Stack]:
    """An API side and an in-process Dramatiq worker (own loop, own services), the broker behind a proxy."""
    target = urlsplit(valkey_url)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 6379)
    proxy.up()
    broker_url = f"redis://127.0.0.1:{proxy.port}{target.path}"
    settings = make_settings(
        tmp_path / "var",
        database_url=pg_url,
        valkey_url=broker_url,
        valkey_prefix=valkey_prefix,
        relay_interval=1,
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        smtp_tls="none",
        smtp_timeout=5,
    )
    broker = make_broker(broker_url, prefix=valkey_prefix, min_backoff_ms=200, max_backoff_ms=2000)
    serve_actors(
        broker, lambda: bootstrap(settings, publisher=DramatiqPublisher(broker)), relay_interval=settings.relay_interval
    )
    worker = Worker(broker, worker_threads=2, worker_timeout=100)
    await asyncio.to_thread(worker.start)
    api = bootstrap(settings, publisher=DramatiqPublisher(broker))
    try:
        yield Stack(api, broker, proxy, smtp_server)
    finally:
        if not proxy.is_up:
            proxy.up()
        await asyncio.to_thread(worker.stop, 10_000)
        await api.aclose()
        broker.flush_all()
        broker.close()
        proxy.down()


async def _sent(api: Services, message_id: object) -> None:
    for _ in range(200):
        stored = await api.mail.get(message_id)  # type: ignore[arg-type]
        if stored is not None and stored.sent_at is not None:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("never marked sent")


async def test_a_mail_committed_while_the_broker_is_down_is_delivered_once_it_is_back(stack: Stack) -> None:
    stack.proxy.down()
    message_id = await queue_committed(stack.api, VERIFY_EMAIL)  # the hand-off after commit fails: logged
    await asyncio.sleep(2)
    assert stack.smtp.mailbox.received() == []
    stored = await stack.api.mail.get(message_id)
    assert stored is not None
    assert stored.dispatched_at is None

    stack.proxy.up()
    [mail] = await await_until(lambda: with_id(stack.smtp.mailbox.received(), message_id), within=60)
    assert mail["Subject"] == "Verify your email"
    await _sent(stack.api, message_id)
    await asyncio.sleep(1.5)  # a relay sweep or two later: still one
    assert len(with_id(stack.smtp.mailbox.received(), message_id)) == 1


async def test_a_rolled_back_transaction_sends_nothing(stack: Stack) -> None:
    async with stack.api.uow() as uow:  # leaves without commit
        message_id = await queue_mail(uow, stack.api.clock, VERIFY_EMAIL, "ada@example.com", SAMPLES[VERIFY_EMAIL])
    assert await stack.api.mail.get(message_id) is None
    await asyncio.sleep(3.5)  # a few relay sweeps: there is no row for them to find
    assert stack.smtp.mailbox.received() == []


async def test_the_same_record_delivered_many_times_yields_one_mail(stack: Stack) -> None:
    message_id = await queue_committed(stack.api)
    publisher = DramatiqPublisher(stack.broker)
    await publisher.publish([message_id, message_id, message_id])  # at once, on two worker threads
    await await_until(lambda: with_id(stack.smtp.mailbox.received(), message_id))
    await _sent(stack.api, message_id)
    await publisher.publish([message_id])  # and once more after it was sent
    await asyncio.sleep(1.5)
    assert len(with_id(stack.smtp.mailbox.received(), message_id)) == 1


class SlowRecordingPublisher:
    """Takes its time, so two relays overlap."""

    def __init__(self) -> None:
        self.published: list[UUID] = []
        self.down = False

    async def publish(self, message_ids: Sequence[UUID]) -> None:
        if self.down:
            raise PublishError("down")
        await asyncio.sleep(0.3)
        self.published.extend(message_ids)


async def test_relays_running_side_by_side_never_hand_on_a_row_twice(pg_url: str, tmp_path: Path) -> None:
    clock = FakeClock()
    settings = make_settings(tmp_path / "var", database_url=pg_url)
    first, second = SlowRecordingPublisher(), SlowRecordingPublisher()
    a = bootstrap(settings, clock=clock, publisher=first)
    b = bootstrap(settings, clock=clock, publisher=second)
    try:
        first.down = True  # the hand-off after commit fails: every row is left behind
        ids = {await queue_committed(a) for _ in range(40)}
        first.down = False
        clock.advance(minutes=1)
        counts = await asyncio.gather(a.mail.relay_all(), b.mail.relay_all(), a.mail.relay_all())
        assert sum(counts) == 40
        assert sorted(first.published + second.published) == sorted(ids)
    finally:
        await a.aclose()
        await b.aclose()
