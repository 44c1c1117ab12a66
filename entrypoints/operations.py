"""Builds the operator's view for bootstrap(): which broker to ask about workers, which store about backlogs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker

from adapters.dramatiq.broker import MAIL_QUEUE, make_broker
from adapters.dramatiq.imports import IMPORT_QUEUE
from adapters.dramatiq.monitor import InProcessWorkerMonitor, NoWorkerMonitor, RedisWorkerMonitor, WorkerCounters
from adapters.memory.backlogs import MemoryBacklogs
from adapters.memory.uow import MemoryStore, MemoryUowFactory
from adapters.sql.stats import SqlBacklogs
from adapters.sql.uow import SqlUowFactory
from application.operations.service import OperationsService
from application.ports.clock import Clock
from application.ports.imports import ImportProgressStore
from application.ports.operations import Backlogs, WorkerMonitor
from application.ports.uow import UowFactory
from entrypoints.settings import Settings
from entrypoints.worker.wiring import MailWiring

#: The queues the operator sees, in the order shown.
QUEUES = (MAIL_QUEUE, IMPORT_QUEUE)


def worker_monitor(
    settings: Settings,
    mail: MailWiring,
    embedded: tuple[StubBroker, WorkerCounters, Callable[[], bool]] | None,
    closers: list[Callable[[], Awaitable[None]]],
) -> WorkerMonitor:
    """The embedded worker answers for itself; with Valkey, the Redis broker's heartbeats name the workers."""
    if embedded is not None:  # (its broker, its counters, whether it runs)
        return InProcessWorkerMonitor(*embedded)
    if settings.valkey_url is None:
        return NoWorkerMonitor()
    broker = mail.broker
    if not isinstance(broker, RedisBroker):  # this process publishes through a broker of its own
        broker = make_broker(settings.valkey_url, prefix=settings.valkey_prefix, asyncio_middleware=False)
        own = broker

        async def close() -> None:
            own.close()

        closers.append(close)
    assert isinstance(broker, RedisBroker)
    return RedisWorkerMonitor(broker, QUEUES, heartbeat_timeout_ms=settings.worker_heartbeat_timeout * 1000)


def backlogs(uow: UowFactory) -> Backlogs:
    if isinstance(uow, SqlUowFactory):
        return SqlBacklogs(uow.engine)
    return MemoryBacklogs(uow.store if isinstance(uow, MemoryUowFactory) else MemoryStore())


def build_operations(
    settings: Settings,
    *,
    uow: UowFactory,
    mail: MailWiring,
    embedded: tuple[StubBroker, WorkerCounters, Callable[[], bool]] | None,
    progress: ImportProgressStore,
    clock: Clock,
    closers: list[Callable[[], Awaitable[None]]],
) -> OperationsService:
    return OperationsService(worker_monitor(settings, mail, embedded, closers), backlogs(uow), progress, clock)
