"""The worker status: what `/api/v1/admin/worker-status`, the `/admin/` dashboard and `folio status` show."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from application.ports.clock import Clock
from application.ports.imports import ImportProgressStore
from application.ports.operations import (
    Backlogs,
    OutboxFigures,
    QueueFigures,
    RequestFigures,
    RequestRates,
    WorkerFigures,
    WorkerMonitor,
)
from domain.imports import ImportProgress

#: The dashboard lists at most this many imports in progress (more are counted, not listed).
MAX_LISTED_IMPORTS = 50


@dataclass(frozen=True, slots=True)
class WorkerStatus:
    at: datetime
    workers: Sequence[WorkerFigures]
    queues: Sequence[QueueFigures]
    outbox: OutboxFigures
    imports: Sequence[ImportProgress]
    requests: RequestFigures | None


class WorkerStatusHandler:
    """Asks the broker, the store and the metrics at once; none of them is asked to change anything."""

    def __init__(
        self,
        monitor: WorkerMonitor,
        backlogs: Backlogs,
        progress: ImportProgressStore,
        rates: RequestRates,
        clock: Clock,
    ) -> None:
        self._monitor = monitor
        self._backlogs = backlogs
        self._progress = progress
        self._rates = rates
        self._clock = clock

    async def __call__(self) -> WorkerStatus:
        workers, queues, outbox, imports = await asyncio.gather(
            self._monitor.workers(), self._monitor.queues(), self._backlogs.outbox(), self._imports()
        )
        return WorkerStatus(self._clock.now(), workers, queues, outbox, imports, self._rates.figures())

    async def _imports(self) -> list[ImportProgress]:
        ids = await self._backlogs.imports_in_progress(limit=MAX_LISTED_IMPORTS)
        found = await asyncio.gather(*(self._progress.get(i) for i in ids))
        running = [p for p in found if p is not None and not p.finished]
        return sorted(running, key=lambda p: p.created_at)
