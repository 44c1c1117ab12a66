"""Ports of the operator's view: the workers and queues of the broker, backlogs in the store, request rates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID


@dataclass(frozen=True, slots=True)
class WorkerFigures:
    """One worker process: who it is, whether it beats, and what it has done since it started."""

    id: str
    host: str
    pid: int
    alive: bool
    last_heartbeat: datetime | None
    started_at: datetime | None
    processed: int = 0
    failed: int = 0
    retried: int = 0
    in_progress: int = 0
    queues: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class QueueFigures:
    """Messages of one queue: ready to run, delayed (retries waiting their backoff), dead-lettered."""

    name: str
    ready: int
    delayed: int
    dead: int


@dataclass(frozen=True, slots=True)
class OutboxFigures:
    """Mail committed but not sent yet, and mail that failed for good (dead letters)."""

    pending: int
    failed: int


@dataclass(frozen=True, slots=True)
class RequestFigures:
    """HTTP requests answered per second over the last `window_seconds`, and the share that were 5xx."""

    per_second: float
    errors_per_second: float
    error_ratio: float
    window_seconds: float
    total: int
    errors: int


class WorkerMonitor(Protocol):
    """What the broker knows: its workers (by heartbeat) and its queues."""

    async def workers(self) -> Sequence[WorkerFigures]: ...
    async def queues(self) -> Sequence[QueueFigures]: ...


class Backlogs(Protocol):
    """What the store knows: the outbox's backlog, and the imports whose file is still held."""

    async def outbox(self) -> OutboxFigures: ...
    async def imports_in_progress(self, *, limit: int) -> Sequence[UUID]: ...


class RequestRates(Protocol):
    """Request figures from the process's metrics (None: this process serves no HTTP)."""

    def figures(self) -> RequestFigures | None: ...


class NoRequestRates:
    """A process that serves no HTTP (the CLI, a worker) has no request figures of its own."""

    def figures(self) -> RequestFigures | None:
        return None
