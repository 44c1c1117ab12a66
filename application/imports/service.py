"""The import use cases: start (upload), run (worker or command line) and read progress."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from application.imports.run import ProgressCallback, RunImport, RunImportHandler
from application.imports.start import StartImport, StartImportHandler
from application.policy import Policy
from application.ports.clock import Clock
from application.ports.imports import ImportProgressStore, ImportQueue
from application.ports.uow import UowFactory
from domain.errors import NotFound
from domain.imports import ImportProgress


class ImportService:
    def __init__(
        self, *, uow: UowFactory, clock: Clock, progress: ImportProgressStore, queue: ImportQueue, policy: Policy
    ) -> None:
        self._uow = uow
        self._clock = clock
        self.progress = progress
        self._queue = queue
        self._policy = policy
        self._lease = timedelta(seconds=policy.import_lease_seconds)

    async def start(self, cmd: StartImport, *, enqueue: bool = True) -> ImportProgress:
        """Checks and stores the upload, then queues it (the command line runs it itself: `enqueue=False`)."""
        handler = StartImportHandler(
            uow=self._uow,
            clock=self._clock,
            progress=self.progress,
            queue=self._queue if enqueue else None,
            max_bytes=self._policy.import_max_bytes,
        )
        return await handler(cmd)

    async def run(self, import_id: UUID, *, on_progress: ProgressCallback | None = None) -> ImportProgress | None:
        handler = RunImportHandler(
            uow=self._uow,
            clock=self._clock,
            progress=self.progress,
            batch_size=self._policy.import_batch_size,
            lanes=self._policy.import_lanes,
            lease=self._lease,
            on_progress=on_progress,
        )
        return await handler(RunImport(import_id))

    async def get(self, import_id: UUID) -> ImportProgress:
        """The progress; a running import whose worker stopped renewing its lease shows as failed."""
        progress = await self.progress.get(import_id)
        if progress is None:
            raise NotFound("import")
        if progress.stalled(self._clock.now(), self._lease):
            progress.give_up()
        return progress
