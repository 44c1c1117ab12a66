"""Brokers: Redis protocol on Valkey (dramatiq's RedisBroker speaks through redis-py), or in-process."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import redis
from dramatiq import Broker
from dramatiq.asyncio import EventLoopThread, set_event_loop_thread
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import AsyncIO, Retries

#: The broker's server (Valkey, through redis-py) cannot take a message now.
UNAVAILABLE: tuple[type[Exception], ...] = (redis.ConnectionError, redis.TimeoutError)

MAIL_QUEUE = "mail"
DELIVER_MAIL = "deliver_mail"

#: Backoff of a retried message, in milliseconds (doubling, with jitter).
MIN_BACKOFF_MS = 5_000
MAX_BACKOFF_MS = 10 * 60_000


#: Makes the loop of a worker's loop thread (the entry points pass uvloop's where it is installed).
LoopFactory = Callable[[], asyncio.AbstractEventLoop]


class _LoopThread(EventLoopThread):
    """Dramatiq's loop thread, on a loop from `loop_factory`."""

    def __init__(self, logger: Any, loop_factory: LoopFactory) -> None:
        super().__init__(logger)
        self.loop.close()  # the asyncio loop the base class made, never run
        self.loop = loop_factory()


class PatientAsyncIO(AsyncIO):
    """The AsyncIO middleware on a loop of the caller's choice, giving its loop thread more than one
    second to start on a busy machine."""

    def __init__(self, loop_factory: LoopFactory = asyncio.new_event_loop) -> None:
        super().__init__()
        self._loop_factory = loop_factory

    def before_worker_boot(self, broker: Broker, worker: Any) -> None:
        thread = _LoopThread(self.logger, self._loop_factory)
        thread.daemon = True  # a forced exit (a second SIGTERM) must not wait on it
        thread.start(timeout=30.0)
        set_event_loop_thread(thread)


def redis_url(valkey_url: str) -> str:
    """redis-py does not know the valkey:// schemes; the wire protocol is the same."""
    for ours, theirs in (("valkeys://", "rediss://"), ("valkey://", "redis://")):
        if valkey_url.startswith(ours):
            return theirs + valkey_url[len(ours) :]
    return valkey_url


def make_broker(
    valkey_url: str | None,
    *,
    prefix: str = "folio:",
    min_backoff_ms: int = MIN_BACKOFF_MS,
    max_backoff_ms: int = MAX_BACKOFF_MS,
    heartbeat_timeout_ms: int = 60_000,
    asyncio_middleware: bool = True,
    loop_factory: LoopFactory = asyncio.new_event_loop,
) -> Broker:
    """A RedisBroker under `<prefix>dramatiq` on Valkey, or a StubBroker (one process) without a URL."""
    broker: Broker
    if valkey_url is None:
        broker = StubBroker()
    else:
        broker = RedisBroker(
            url=redis_url(valkey_url),
            namespace=f"{prefix}dramatiq",
            heartbeat_timeout=heartbeat_timeout_ms,
            socket_timeout=5,
            socket_connect_timeout=2,
        )
    retries = next(m for m in broker.middleware if isinstance(m, Retries))
    # Delivery decides when a mail is dead (its attempts are counted in the database); this is only a backstop.
    retries.max_retries = 100
    retries.min_backoff = min_backoff_ms
    retries.max_backoff = max_backoff_ms
    if asyncio_middleware:
        broker.add_middleware(PatientAsyncIO(loop_factory))
    broker.declare_queue(MAIL_QUEUE)
    return broker
