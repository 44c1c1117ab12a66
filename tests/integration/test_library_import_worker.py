"""A reader's library import through a Dramatiq worker, on SQLite and on PostgreSQL: the report, a re-import
that changes nothing, and a dry run that writes no row of any table."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import func, select

from adapters.dramatiq.broker import PatientAsyncIO
from adapters.dramatiq.imports import IMPORT_QUEUE, DramatiqImportQueue
from adapters.sql.tables import metadata
from adapters.sql.uow import SqlUowFactory
from application.library.importing import StartLibraryImport
from domain.imports import ImportStatus
from domain.library import LibraryImport, RowReport
from entrypoints.bootstrap import Services, bootstrap
from entrypoints.settings import Settings
from entrypoints.worker.lifecycle import serve_actors
from tests.support.builders import a_book, add_books, add_user
from tests.support.imports import isbn13, stream
from tests.support.library import goodreads_file
from tests.support.settings import make_settings

pytestmark = [pytest.mark.valkey]
ROWS = 1200  # more than two batches of 500


@pytest.fixture
def shared_settings(db_url: str, valkey_url: str, valkey_prefix: str, tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "var", database_url=db_url, valkey_url=valkey_url, valkey_prefix=valkey_prefix)


@pytest.fixture
async def api(shared_settings: Settings) -> AsyncIterator[tuple[Services, StubBroker]]:
    broker = StubBroker()
    broker.add_middleware(PatientAsyncIO())
    serve_actors(broker, lambda: bootstrap(shared_settings), relay_interval=shared_settings.relay_interval)
    services = bootstrap(shared_settings, import_queue=DramatiqImportQueue(broker))
    worker = dramatiq.Worker(broker, worker_timeout=50)
    worker.start()
    try:
        yield services, broker
    finally:
        await asyncio.to_thread(worker.stop)
        await services.aclose()


def rows() -> Iterator[dict[str, str]]:
    """A quarter by ISBN, a quarter by title and author, half new; every third one finished and rated."""
    for i in range(ROWS):
        row = {"Title": f"Title {i}", "Author": f"Author {i % 97}", "Date Added": "2024/01/02"}
        if i % 4 == 0:
            row["ISBN13"] = f'="{isbn13(i)}"'
            row["Title"] = f"Another edition title {i}"
        elif i % 4 == 1:
            row["Title"] = f"title {i}!  (Some Series, #{i})"
        if i % 3 == 0:
            row.update({"Exclusive Shelf": "read", "My Rating": str(1 + i % 5), "Date Read": "2024/02/03"})
        yield row


async def seed(services: Services) -> None:
    books = [
        a_book(title=f"Title {i}", author=f"Author {i % 97}", isbn=isbn13(i) if i % 4 == 0 else None)
        for i in range(ROWS)
        if i % 4 in (0, 1)
    ]
    await add_books(services, *books)


async def run(
    services: Services, broker: StubBroker, user_id: Any, *, dry_run: bool = False
) -> tuple[LibraryImport, list[RowReport]]:
    data = goodreads_file(list(rows()))
    started = await services.library.start(
        StartLibraryImport(user_id, "export.csv", stream(data, 8192), dry_run=dry_run)
    )
    await asyncio.to_thread(broker.join, IMPORT_QUEUE, fail_fast=True)
    return await services.library.get(user_id, started.id)


async def table_counts(services: Services) -> dict[str, int]:
    factory = services.uow
    assert isinstance(factory, SqlUowFactory)
    async with factory.engine.connect() as conn:
        return {
            table.name: (await conn.execute(select(func.count()).select_from(table))).scalar_one()
            for table in metadata.sorted_tables
        }


async def test_the_worker_imports_then_a_second_run_changes_nothing(api: tuple[Services, StubBroker]) -> None:
    services, broker = api
    await seed(services)
    user = await add_user(services)
    record, report = await run(services, broker, user.id)
    assert record.status is ImportStatus.COMPLETED, record.reason
    assert (record.total_rows, record.processed_rows, record.added, record.failed_rows) == (ROWS, ROWS, ROWS, 0)
    assert record.books_created == ROWS // 2
    matches = [row.match.value for row in report]
    assert matches[:4] == ["isbn", "title-author", "created", "created"]
    assert [row.line for row in report] == list(range(2, ROWS + 2))
    before = await table_counts(services)

    again, report = await run(services, broker, user.id)
    assert again.status is ImportStatus.COMPLETED
    assert {row.result.value for row in report} == {"unchanged"}
    after = await table_counts(services)
    assert after.pop("activity") == before.pop("activity") + 1  # the second run's library-imported entry
    assert after == before


async def test_a_dry_run_writes_no_row_of_any_table(api: tuple[Services, StubBroker]) -> None:
    services, broker = api
    await seed(services)
    user = await add_user(services)
    before = await table_counts(services)
    dry, dry_report = await run(services, broker, user.id, dry_run=True)
    assert dry.status is ImportStatus.COMPLETED, dry.reason
    assert await table_counts(services) == before
    real, real_report = await run(services, broker, user.id)
    assert (dry.added, dry.books_created, dry.failed_rows) == (real.added, real.books_created, real.failed_rows)
    # the same report, but for the ids of the books each run created
    assert [(r.line, r.match, r.result) for r in dry_report] == [(r.line, r.match, r.result) for r in real_report]
