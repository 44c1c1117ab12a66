"""The import use cases: start (upload), run (worker or command line) and read progress."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from application.deps import Deps
from application.imports.run import ProgressCallback, RunImport, RunImportHandler
from application.imports.start import StartImport, StartImportHandler
from application.ports.imports import ImportProgressStore, ImportQueue
from domain.errors import NotFound
from domain.imports import ImportProgress


class ImportService:
    def __init__(self, deps: Deps) -> None:
        assert deps.import_progress is not None, "bootstrap wires an import progress store"
        self._deps = deps
        self._progress: ImportProgressStore = deps.import_progress
        self._queue: ImportQueue | None = deps.import_queue

    async def start(self, cmd: StartImport, *, enqueue: bool = True) -> ImportProgress:
        """Checks and stores the upload, then queues it (the command line runs it itself: `enqueue=False`)."""
        return await StartImportHandler(self._deps, self._progress, self._queue if enqueue else None)(cmd)

    async def run(self, import_id: UUID, *, on_progress: ProgressCallback | None = None) -> ImportProgress | None:
        return await RunImportHandler(self._deps, self._progress, on_progress)(RunImport(import_id))

    async def get(self, import_id: UUID) -> ImportProgress:
        """The progress; a running import whose worker stopped renewing its lease shows as failed."""
        progress = await self._progress.get(import_id)
        if progress is None:
            raise NotFound("import")
        now = self._deps.clock.now()
        if progress.stalled(now, timedelta(seconds=self._deps.policy.import_lease_seconds)):
            progress.give_up()
        return progress
