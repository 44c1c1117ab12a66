"""The worker status use case on the in-process adapters: imports in progress with their progress, the outbox."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from adapters.memory.backlogs import MemoryBacklogs
from adapters.memory.uow import MemoryUowFactory
from application.operations.service import OperationsService
from application.ports.operations import QueueFigures, RequestFigures, WorkerFigures
from domain.imports import ImportProgress
from entrypoints.bootstrap import Services
from tests.support.clock import FakeClock
from tests.support.mail import queue_committed


class OneWorker:
    async def workers(self) -> list[WorkerFigures]:
        return [WorkerFigures("w1", "box", 7, alive=True, last_heartbeat=None, started_at=None, processed=3)]

    async def queues(self) -> list[QueueFigures]:
        return [QueueFigures("mail", ready=2, delayed=1, dead=0)]


class FixedRates:
    def figures(self) -> RequestFigures:
        return RequestFigures(4.0, 0.5, 0.125, 60.0, 240, 30)


async def test_status_lists_running_imports_oldest_first_and_leaves_finished_ones_out(
    memory_services: Services, clock: FakeClock
) -> None:
    uow = memory_services.uow
    assert isinstance(uow, MemoryUowFactory)
    progress = memory_services.imports.progress
    older, newer, finished = (
        ImportProgress(uuid4(), name, created_at=clock.now() + timedelta(seconds=n), total_rows=100)
        for n, name in enumerate(("a.csv", "b.csv", "c.csv"))
    )
    for p in (newer, older, finished):
        p.start(clock.now())
        p.rows_written(created=10, updated=0, now=clock.now())
    finished.complete(clock.now())
    async with uow() as tx:
        for p in (newer, older, finished):
            await tx.import_files.add_chunk(p.id, 0, b"isbn,title\n")
            await progress.save(p)
        await tx.commit()
    operations = OperationsService(OneWorker(), MemoryBacklogs(uow.store), progress, clock)

    status = await operations.status(FixedRates())

    listed = [(p.filename, p.processed_rows) for p in status.imports]
    assert listed == [("a.csv", 10), ("b.csv", 10)]
    assert status.workers[0].processed == 3
    assert status.queues == [QueueFigures("mail", 2, 1, 0)]
    assert status.requests == FixedRates().figures()
    assert status.outbox.pending == 0
    assert status.at == clock.now()


async def test_outbox_figures_count_pending_and_failed_apart(memory_services: Services, clock: FakeClock) -> None:
    uow = memory_services.uow
    assert isinstance(uow, MemoryUowFactory)
    # No app runs here, so no worker takes them: both stay unsent.
    first = await queue_committed(memory_services)
    await queue_committed(memory_services)
    async with uow() as tx:
        await tx.outbox.release(first, error="550 no such user", failed_at=clock.now())
        await tx.commit()
    figures = await MemoryBacklogs(uow.store).outbox()
    assert (figures.pending, figures.failed) == (1, 1)
