"""The operator's use cases."""

from __future__ import annotations

from application.operations.status import WorkerStatus, WorkerStatusHandler
from application.ports.clock import Clock
from application.ports.imports import ImportProgressStore
from application.ports.operations import Backlogs, NoRequestRates, RequestRates, WorkerMonitor


class OperationsService:
    def __init__(self, monitor: WorkerMonitor, backlogs: Backlogs, progress: ImportProgressStore, clock: Clock) -> None:
        self.monitor = monitor
        self._backlogs = backlogs
        self._progress = progress
        self._clock = clock

    async def status(self, rates: RequestRates | None = None) -> WorkerStatus:
        """`rates`: the asking process's request figures (an API process has them, the CLI does not)."""
        handler = WorkerStatusHandler(
            self.monitor, self._backlogs, self._progress, rates or NoRequestRates(), self._clock
        )
        return await handler()
