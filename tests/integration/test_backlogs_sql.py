"""The store's side of the worker status on SQLite and PostgreSQL: outbox counts and imports still held."""

from __future__ import annotations

from uuid import uuid4

from adapters.sql.stats import SqlBacklogs
from adapters.sql.uow import SqlUowFactory
from entrypoints.bootstrap import Services
from tests.support.mail import queue_committed


async def test_outbox_counts_and_imports_in_progress_come_from_the_tables(services: Services) -> None:
    uow = services.uow
    assert isinstance(uow, SqlUowFactory)
    backlogs = SqlBacklogs(uow.engine)
    assert await backlogs.imports_in_progress(limit=10) == []
    before = await backlogs.outbox()
    dead = await queue_committed(services)  # no app runs: nothing sends them
    await queue_committed(services)
    first, second = uuid4(), uuid4()
    async with uow() as tx:
        await tx.outbox.release(dead, error="550 no such user", failed_at=services.clock.now())
        for import_id in (first, second):
            for seq in range(3):
                await tx.import_files.add_chunk(import_id, seq, b"isbn,title\n")
        await tx.commit()

    after = await backlogs.outbox()
    assert (after.pending - before.pending, after.failed - before.failed) == (1, 1)
    assert sorted(await backlogs.imports_in_progress(limit=10)) == sorted([first, second])  # once each
    assert len(await backlogs.imports_in_progress(limit=1)) == 1
    async with uow() as tx:
        await tx.import_files.delete(first)  # an import over gives its file up
        await tx.commit()
    assert await backlogs.imports_in_progress(limit=10) == [second]
