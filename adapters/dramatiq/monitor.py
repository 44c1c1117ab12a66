"""Who works and what waits: worker figures and queue depths, from Valkey (the Redis broker) or in process.

Dramatiq's Redis broker keeps a heartbeat per broker (one per worker process) in the sorted set
`<namespace>:__heartbeats__`, renewed by every fetch. `WorkerCounters`, a middleware on each
consuming broker, adds what Dramatiq does not keep: host, pid, start time and message counts, in a hash
per broker id beside it. Queues: ready ids in the list `<namespace>:<queue>`, delayed messages (retries
waiting their backoff, held or not) in the hash `<namespace>:<queue>.DQ.msgs`, dead letters in the
sorted set `<namespace>:<queue>.XQ`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import redis
from dramatiq import Broker, Message, Middleware
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import dq_name

from application.ports.operations import QueueFigures, WorkerFigures

log = logging.getLogger("folio.worker")

_FIELDS = ("processed", "failed", "retried", "in_progress")
#: A registered worker with no heartbeat left (Dramatiq dropped it) is listed as gone for this long.
GONE_LISTED_FOR_MS = 3600_000


def _workers_key(namespace: str) -> str:
    return f"{namespace}:__folio_workers__"


def _millis() -> int:
    return int(time.time() * 1000)


def _time(millis: float | None) -> datetime | None:
    return None if millis is None else datetime.fromtimestamp(millis / 1000, UTC)


class WorkerCounters(Middleware):
    """Counts this process's messages; on the Redis broker, also keeps them in Valkey for other processes."""

    def __init__(self, queues: Iterable[str]) -> None:
        self.queues = tuple(queues)
        self.worker_id = str(uuid.uuid4())
        self.started_at: int | None = None
        self.counts = dict.fromkeys(_FIELDS, 0)
        self._lock = threading.Lock()
        self._client: redis.Redis | None = None
        self._key = ""

    def after_worker_boot(self, broker: Broker, worker: Any) -> None:
        self.started_at = _millis()
        if isinstance(broker, RedisBroker):
            self.worker_id = broker.broker_id  # the id its heartbeats go by
            self._client = broker.client
            self._key = f"{_workers_key(broker.namespace)}:{self.worker_id}"
            self._write(
                lambda pipe: pipe.hset(
                    self._key,
                    mapping={
                        "host": socket.gethostname(),
                        "pid": os.getpid(),
                        "started_at": self.started_at,
                        "seen": self.started_at,
                        "queues": ",".join(self.queues),
                        **self.counts,
                    },
                ).sadd(_workers_key(broker.namespace), self.worker_id)
            )

    def after_worker_shutdown(self, broker: Broker, worker: Any) -> None:
        if isinstance(broker, RedisBroker):
            self._write(lambda pipe: pipe.delete(self._key).srem(_workers_key(broker.namespace), self.worker_id))
        self.started_at = None

    def before_process_message(self, broker: Broker, message: Any) -> None:
        self._count(in_progress=1)

    def after_process_message(
        self, broker: Broker, message: Any, *, result: Any = None, exception: BaseException | None = None
    ) -> None:
        self._count(in_progress=-1, processed=1, failed=int(exception is not None))

    def after_skip_message(self, broker: Broker, message: Any) -> None:
        self._count(in_progress=-1, processed=1)

    def after_enqueue(self, broker: Broker, message: Message, delay: int) -> None:
        if "retries" in message.options:  # the Retries middleware sending a failed message again
            self._count(retried=1)

    def _count(self, **changes: int) -> None:
        with self._lock:
            for name, change in changes.items():
                self.counts[name] += change
        if self._client is not None:

            def add(pipe: Any) -> Any:
                for name, change in changes.items():
                    if change:
                        pipe.hincrby(self._key, name, change)
                return pipe.hset(self._key, "seen", _millis())

            self._write(add)

    def _write(self, build: Callable[[Any], Any]) -> None:
        """A monitoring write must never fail a message: Valkey down loses a count, not the mail."""
        if self._client is None:
            return
        try:
            build(self._client.pipeline(transaction=False)).execute()
        except (redis.RedisError, OSError) as exc:
            log.warning("worker figures not written to Valkey: %s", type(exc).__name__)


class RedisWorkerMonitor:
    """The workers and queues of a Redis broker on Valkey, read by any process that reaches it."""

    def __init__(self, broker: RedisBroker, queues: Sequence[str], *, heartbeat_timeout_ms: int) -> None:
        self._broker = broker
        self._queues = tuple(queues)
        self._timeout = heartbeat_timeout_ms

    async def workers(self) -> Sequence[WorkerFigures]:
        return await asyncio.to_thread(self._read_workers)  # redis-py blocks: off the event loop

    async def queues(self) -> Sequence[QueueFigures]:
        return await asyncio.to_thread(self._read_queues)

    def _read_workers(self) -> list[WorkerFigures]:
        client: Any = self._broker.client  # redis-py's stubs type replies as a union of every reply
        namespace = self._broker.namespace
        key = _workers_key(namespace)
        ids = sorted(member.decode() for member in client.smembers(key))
        beats = {m.decode(): score for m, score in client.zrange(f"{namespace}:__heartbeats__", 0, -1, withscores=True)}
        pipe = client.pipeline(transaction=False)
        for worker_id in ids:
            pipe.hgetall(f"{key}:{worker_id}")
        now = _millis()
        figures, gone = [], []
        for worker_id, raw in zip(ids, pipe.execute(), strict=True):
            fields = {k.decode(): v.decode() for k, v in raw.items()}
            beat = beats.get(worker_id)
            seen = float(fields.get("seen", 0) or 0)
            if not fields or (beat is None and now - seen > GONE_LISTED_FOR_MS):
                gone.append(worker_id)  # ended without saying so, long ago
                continue
            figures.append(_worker(worker_id, fields, beat, alive=beat is not None and now - beat < self._timeout))
        if gone:
            pipe = client.pipeline(transaction=False)
            for worker_id in gone:
                pipe.srem(key, worker_id).delete(f"{key}:{worker_id}")
            pipe.execute()
        return figures

    def _read_queues(self) -> list[QueueFigures]:
        client: Any = self._broker.client
        namespace = self._broker.namespace
        pipe: Any = client.pipeline(transaction=False)
        for queue in self._queues:
            pipe.llen(f"{namespace}:{queue}").hlen(f"{namespace}:{dq_name(queue)}.msgs")
            pipe.zcard(f"{namespace}:{queue}.XQ")
        values = pipe.execute()
        return [
            QueueFigures(queue, int(values[3 * n]), int(values[3 * n + 1]), int(values[3 * n + 2]))
            for n, queue in enumerate(self._queues)
        ]


def _worker(worker_id: str, fields: dict[str, str], beat: float | None, *, alive: bool) -> WorkerFigures:
    started = fields.get("started_at")
    return WorkerFigures(
        id=worker_id,
        host=fields.get("host", "?"),
        pid=int(fields.get("pid", 0) or 0),
        alive=alive,
        last_heartbeat=_time(beat),
        started_at=_time(float(started)) if started else None,
        queues=tuple(q for q in fields.get("queues", "").split(",") if q),
        **{name: max(int(fields.get(name, 0) or 0), 0) for name in _FIELDS},
    )


class InProcessWorkerMonitor:
    """The embedded default: the one worker inside this process, and its in-memory broker's queues."""

    def __init__(self, broker: StubBroker, counters: WorkerCounters, running: Callable[[], bool]) -> None:
        self._broker = broker
        self._counters = counters
        self._running = running

    async def workers(self) -> Sequence[WorkerFigures]:
        if self._counters.started_at is None:
            return []
        alive = self._running()
        figures = WorkerFigures(
            id=self._counters.worker_id,
            host=socket.gethostname(),
            pid=os.getpid(),
            alive=alive,
            last_heartbeat=datetime.now(UTC) if alive else None,  # it answers for itself, now
            started_at=_time(self._counters.started_at),
            queues=self._counters.queues,
            **dict(self._counters.counts),
        )
        return [figures]

    async def queues(self) -> Sequence[QueueFigures]:
        if self._counters.started_at is None:
            return []  # this process runs no worker (a CLI command): its broker holds nothing
        figures = []
        for queue in self._counters.queues:
            ready = self._broker.queues.get(queue)
            delayed = self._broker.queues.get(dq_name(queue))
            figures.append(
                QueueFigures(
                    queue,
                    ready=0 if ready is None else ready.qsize(),
                    delayed=0 if delayed is None else delayed.qsize(),
                    dead=len(self._broker.dead_letters_by_queue.get(queue, [])),
                )
            )
        return figures


class NoWorkerMonitor:
    """No broker reachable from here (a process given a publisher of its own): nothing to list."""

    async def workers(self) -> Sequence[WorkerFigures]:
        return []

    async def queues(self) -> Sequence[QueueFigures]:
        return []
