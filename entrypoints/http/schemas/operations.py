"""The worker status as JSON: `GET /api/v1/admin/worker-status`, also what the dashboard and `folio status` show."""

from __future__ import annotations

from datetime import datetime

import msgspec

from application.operations.status import WorkerStatus
from application.ports.operations import OutboxFigures, QueueFigures, RequestFigures, WorkerFigures
from entrypoints.http.schemas.imports import ImportOut


class WorkerOut(msgspec.Struct):
    id: str
    host: str
    pid: int
    alive: bool
    last_heartbeat: datetime | None
    started_at: datetime | None
    processed: int
    failed: int
    retried: int
    in_progress: int
    queues: list[str]

    @classmethod
    def of(cls, w: WorkerFigures) -> WorkerOut:
        return cls(
            w.id, w.host, w.pid, w.alive, w.last_heartbeat, w.started_at, w.processed, w.failed, w.retried,
            w.in_progress, list(w.queues),
        )  # fmt: skip


class QueueOut(msgspec.Struct):
    name: str
    ready: int
    delayed: int
    dead: int

    @classmethod
    def of(cls, q: QueueFigures) -> QueueOut:
        return cls(q.name, q.ready, q.delayed, q.dead)


class OutboxOut(msgspec.Struct):
    pending: int
    failed: int

    @classmethod
    def of(cls, o: OutboxFigures) -> OutboxOut:
        return cls(o.pending, o.failed)


class RequestRatesOut(msgspec.Struct):
    """Requests this API process's machine answered per second over `window_seconds`; errors are 5xx."""

    per_second: float
    errors_per_second: float
    error_ratio: float
    window_seconds: float
    total: int
    errors: int

    @classmethod
    def of(cls, r: RequestFigures) -> RequestRatesOut:
        return cls(
            round(r.per_second, 3), round(r.errors_per_second, 3), round(r.error_ratio, 4),
            round(r.window_seconds, 1), r.total, r.errors,
        )  # fmt: skip


class WorkerStatusOut(msgspec.Struct):
    at: datetime
    workers: list[WorkerOut]
    queues: list[QueueOut]
    outbox: OutboxOut
    imports: list[ImportOut]
    requests: RequestRatesOut | None

    @classmethod
    def of(cls, s: WorkerStatus) -> WorkerStatusOut:
        return cls(
            at=s.at,
            workers=[WorkerOut.of(w) for w in s.workers],
            queues=[QueueOut.of(q) for q in s.queues],
            outbox=OutboxOut.of(s.outbox),
            imports=[ImportOut.of(p) for p in s.imports],
            requests=None if s.requests is None else RequestRatesOut.of(s.requests),
        )
