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
from adapters.sql.tables import books, metadata, reads, reviews, shelf_entries
from adapters.sql.uow import SqlUowFactory
from application.activity.queries import ListActivity
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
    """A quarter by ISBN, a quarter by title and author, half new; every third one finished and rated (every
    fifteenth read three times, once dated); some of the others with a review no rule lets be a review."""
    for i in range(ROWS):
        row = {"Title": f"Title {i}", "Author": f"Author {i % 97}", "Date Added": "2024/01/02"}
        if i % 4 == 0:
            row["ISBN13"] = f'="{isbn13(i)}"'
            row["Title"] = f"Another edition title {i}"
        elif i % 4 == 1:
            row["Title"] = f"title {i}!  (Some Series, #{i})"
        if i % 3 == 0:
            row.update({"Exclusive Shelf": "read", "My Rating": str(1 + i % 5), "Date Read": "2024/02/03"})
            row["Read Count"] = "3" if i % 5 == 0 else "1"
        elif i % 7 == 0:  # rated but only wished for: not reviewable
            row.update({"My Rating": "4", "My Review": f"Wished for {i}"})
        elif i % 11 == 0:  # a review without a rating
            row["My Review"] = f"No stars for {i}"
        yield row


async def journal_counts(services: Services, user_id: Any) -> tuple[int, int, int, int]:
    """(finished reads, undated ones, the entries' read counts summed, entries with their own text)."""
    factory = services.uow
    assert isinstance(factory, SqlUowFactory)
    mine = reads.c.user_id == user_id
    async with factory.engine.connect() as conn:
        finished = select(func.count()).where(mine, reads.c.finished_on.is_not(None) | reads.c.finished_undated)
        undated = select(func.count()).where(mine, reads.c.finished_undated)
        counted = select(func.coalesce(func.sum(shelf_entries.c.read_count), 0)).where(
            shelf_entries.c.user_id == user_id
        )
        texts = select(func.count()).where(shelf_entries.c.user_id == user_id, shelf_entries.c.review_text.is_not(None))
        return tuple([(await conn.execute(q)).scalar_one() for q in (finished, undated, counted, texts)])  # type: ignore[return-value]


async def rating_figures(services: Services) -> tuple[dict[Any, tuple[int, ...]], dict[Any, tuple[int, ...]]]:
    """Each rated book's figures as `books` keeps them, and as its live reviews count them."""
    factory = services.uow
    assert isinstance(factory, SqlUowFactory)
    async with factory.engine.connect() as conn:
        stored = (
            await conn.execute(
                select(
                    books.c.id, books.c.rating_1, books.c.rating_2, books.c.rating_3, books.c.rating_4, books.c.rating_5
                )
            )
        ).all()
        live = (
            await conn.execute(select(reviews.c.book_id, reviews.c.rating).where(reviews.c.deleted_at.is_(None)))
        ).all()
    counted: dict[Any, list[int]] = {}
    for book_id, rating in live:
        counted.setdefault(book_id, [0] * 5)[rating - 1] += 1
    kept = {row[0]: tuple(row[1:]) for row in stored if any(row[1:])}
    return kept, {book_id: tuple(counts) for book_id, counts in counted.items()}


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
    expected_rows = list(rows())
    finished = sum(int(row.get("Read Count", "0")) for row in expected_rows)
    undated = sum(int(row.get("Read Count", "1")) - 1 for row in expected_rows)
    texts = sum("My Review" in row for row in expected_rows)
    assert undated > 0
    assert texts > 0
    assert await journal_counts(services, user.id) == (finished, undated, finished, texts)
    # every rated book, from the catalog or new, counts its reviews
    kept, counted = await rating_figures(services)
    assert kept == counted
    created = {row.book_id for row in report if row.match.value == "created"}
    assert len(created & set(kept)) > 100
    # hundreds of new books past the day's limit of readers' books, and one activity entry for the run
    assert record.books_created > services.policy.rate_limits.books_per_user
    activity, _ = await services.activity.of_user(ListActivity(user.id, limit=100))
    assert [item.entry.kind.value for item in activity] == ["library-imported"]
    before = await table_counts(services)

    again, report = await run(services, broker, user.id)
    assert again.status is ImportStatus.COMPLETED
    assert {row.result.value for row in report} == {"unchanged"}
    after = await table_counts(services)
    assert after.pop("activity") == before.pop("activity") + 1  # the second run's library-imported entry
    assert after == before
    assert await journal_counts(services, user.id) == (finished, undated, finished, texts)


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
