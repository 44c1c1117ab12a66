"""The import's SQL writer on SQLite and PostgreSQL: Core bulk statements, genres, tags, events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from adapters.sql.engine import make_engine
from adapters.sql.tables import books, genres, import_files
from adapters.sql.uow import SqlUowFactory
from application.ports.uow import UnitOfWork
from domain.catalog import BackInStock
from domain.events import DomainEvent
from domain.imports import ImportStatus
from entrypoints.bootstrap import Services, bootstrap
from tests.support.builders import add_book
from tests.support.imports import HEADER, book_rows, import_bytes, isbn13
from tests.support.settings import make_settings
from tests.support.wiring import fake_services


async def scalar(services: Services, query: object) -> int:
    factory = services.uow
    assert isinstance(factory, SqlUowFactory)
    async with factory.engine.connect() as conn:
        value: int = (await conn.execute(query)).scalar_one()  # type: ignore[call-overload]
    return value


async def test_rows_create_update_and_fail_on_each_database(services: Services) -> None:
    await add_book(services, title="Old", author="Writer", isbn=isbn13(1), stock=3)
    await add_book(services, title="Known", author="Someone", stock=1)
    data = (
        "title,author,price,isbn,stock,genre,tags,publication_date,pages,language\n"
        "Dune,Frank Herbert,9.99,,5,Science Fiction,classic|desert,1965-08-01,412,en\n"
        f"New Old,Writer,12.50,{isbn13(1)},7,science fiction,classic,,,\n"
        "KNOWN,someone,3.00,,,,,,,\n"
        "dune,FRANK HERBERT,4.00,,,,,,,\n"
        "Bad date,X,1.00,,,,,1965-8-1,,\n"
        f"Hyphens,Y,2.00,0-306-40615-2,,Poetry,,,,\n"
    ).encode()
    progress = await import_bytes(services, data)
    assert progress.status is ImportStatus.COMPLETED
    assert (progress.created, progress.updated, progress.failed_rows) == (2, 1, 3)
    assert [error.line for error in progress.errors] == [4, 5, 6]
    async with services.uow(read_only=True) as uow:
        ids = list((await uow.connection.execute(select(books.c.id))).scalars())  # type: ignore[attr-defined]
        found = {book.title: book for book in await uow.books.get_many(ids)}
    assert set(found) == {"Dune", "New Old", "Known", "Hyphens"}
    assert found["Dune"].tags == ["classic", "desert"]
    assert found["Dune"].pages == 412
    assert found["New Old"].stock == 7
    assert found["New Old"].tags == ["classic"]
    assert found["New Old"].genre == found["Dune"].genre
    assert found["Hyphens"].isbn == "9780306406157"
    assert await scalar(services, select(func.count()).select_from(genres)) == 2
    assert [(tag.name, tag.book_count) for tag in await services.catalog.tags()] == [("classic", 2), ("desert", 1)]
    assert await scalar(services, select(func.count()).select_from(import_files)) == 0


@pytest.fixture
async def recorded(db_url: str, tmp_path: Path) -> AsyncIterator[tuple[Services, list[DomainEvent]]]:
    seen: list[DomainEvent] = []

    async def record(uow: UnitOfWork, event: DomainEvent) -> None:
        seen.append(event)

    engine = make_engine(db_url)
    services = bootstrap(
        make_settings(tmp_path / "var", database_url=db_url),
        uow=SqlUowFactory(engine, handlers={BackInStock: [record]}),
    )
    yield services, seen
    await services.aclose()
    await engine.dispose()


async def test_stock_from_zero_emits_back_in_stock_on_each_database(
    recorded: tuple[Services, list[DomainEvent]],
) -> None:
    services, seen = recorded
    empty = await add_book(services, title="Gone", author="X", isbn=isbn13(5), stock=0)
    await add_book(services, title="Here", author="X", isbn=isbn13(6), stock=2)
    data = f"title,author,price,isbn,stock\nGone,X,1.00,{isbn13(5)},3\nHere,X,1.00,{isbn13(6)},9\n".encode()
    progress = await import_bytes(services, data)
    assert progress.updated == 2
    assert seen == [BackInStock(empty.id)]


@pytest.mark.postgres
@pytest.mark.slow
async def test_a_100_000_row_file_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    services = bootstrap(make_settings(tmp_path / "var", database_url=pg_url))
    try:
        rows = 100_000
        data = ("\n".join([HEADER, *book_rows(rows)]) + "\n").encode()
        progress = await import_bytes(services, data, size=1024 * 1024)
        assert progress.status is ImportStatus.COMPLETED
        assert (progress.total_rows, progress.created, progress.failed_rows) == (rows, rows, 0)
        assert await scalar(services, select(func.count()).select_from(books)) == rows
        assert [tag.book_count for tag in await services.catalog.tags()] == [2 * rows // 5] * 5
        assert await scalar(services, select(func.count()).select_from(import_files)) == 0

        # Again with other prices: every ISBN row rewrites its book (batches of them written at
        # once), every other row is a duplicate of the book it made.
        again = await import_bytes(services, ("\n".join([HEADER, *book_rows(rows, seed=8)]) + "\n").encode())
        assert (again.status, again.created, again.updated, again.failed_rows) == (
            ImportStatus.COMPLETED,
            0,
            rows // 2,
            rows // 2,
        )
        with_isbn = select(func.sum(books.c.price)).where(books.c.isbn.is_not(None))
        without = select(func.sum(books.c.price)).where(books.c.isbn.is_(None))
        assert await scalar(services, with_isbn) == _price_sum(rows, seed=8, isbn=True)
        assert await scalar(services, without) == _price_sum(rows, seed=7, isbn=False)
    finally:
        await services.aclose()


def _price_sum(rows: int, *, seed: int, isbn: bool) -> Decimal:
    """The sum of the prices in `book_rows(rows, seed=seed)` of the rows with an ISBN, or without."""
    lines = [line.split(",") for line in book_rows(rows, seed=seed)]
    return sum((Decimal(cells[2]) for cells in lines if bool(cells[3]) is isbn), Decimal(0))


_TANGLED = (
    "title,author,price,isbn,stock\n"
    f"New title,Writer,1.00,{isbn13(2)},5\n"  # 2 updates "Old" by Writer: its title changes
    "C,Y,1.00,,\n"
    "Old,Writer,1.00,,\n"  # 4 no book has this title and author any more: created
    "Known,Someone,1.00,,\n"  # 5 duplicate of a stored book
    f"D,Z,1.00,{isbn13(3)},0\n"
    "c,y,1.00,,\n"  # 7 duplicate of line 3, two batches before
    f"E,Q,2.00,{isbn13(3)},2\n"  # 8 updates the book of line 6
    "F,R,bad,,\n"  # 9 bad price
    "G,S,1.00,,\n"
    "H,S,1.00,,\n"
    "I,S,1.00,,\n"
)


async def _tangled(services: Services) -> tuple[tuple[int, int, int], list[tuple[int, str]], list[tuple[str, int]]]:
    await add_book(services, title="Old", author="Writer", isbn=isbn13(2), stock=0)
    await add_book(services, title="Known", author="Someone", stock=1)
    progress = await import_bytes(services, _TANGLED.encode())
    assert progress.status is ImportStatus.COMPLETED
    async with services.uow(read_only=True) as uow:
        ids = await uow.book_import.ids_by_isbn([isbn13(2), isbn13(3)])
        keys = await uow.book_import.existing_keys(
            [(t, a) for t in ["old", "c", "f", "g", "h", "i"] for a in ["writer", "y", "r", "s"]]
        )
        found = await uow.books.get_many(list(ids.values()))
    counts = (progress.created, progress.updated, progress.failed_rows)
    errors = [(error.line, error.message) for error in progress.errors]
    return counts, errors, sorted([(book.title, book.stock) for book in found] + [(t, -1) for t, _ in keys])


async def test_writers_at_once_give_the_results_of_one_batch_after_the_other(db_url: str, tmp_path: Path) -> None:
    """Batches of two rows that depend on each other: the same results as the in-memory fake, whose
    writers take turns."""
    services = bootstrap(make_settings(tmp_path / "sql", database_url=db_url, import_batch_size=2))
    fake = fake_services(make_settings(tmp_path / "fake", import_batch_size=2), handlers={})
    try:
        expected = await _tangled(fake)
        assert expected[0] == (6, 2, 3)
        assert [line for line, _ in expected[1]] == [5, 7, 9]
        assert await _tangled(services) == expected
    finally:
        await services.aclose()
        await fake.aclose()
