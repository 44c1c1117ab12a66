"""Migrations that move data: what was stored before them is there after, both ways, on each database."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from entrypoints.cli import alembic_config
from tests.support.databases import drop_postgres_database
from tests.support.settings import POSTGRES_URL


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables yet."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}"
        return
    name = f"folio_migrations_{uuid.uuid4().hex[:12]}"

    async def create() -> None:
        engine = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        await engine.dispose()

    asyncio.run(create())
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    drop_postgres_database(POSTGRES_URL, name)


def migrate(url: str, revision: str, *, down: bool = False) -> None:
    config = alembic_config(url)
    (command.downgrade if down else command.upgrade)(config, revision)  # type: ignore[arg-type]


async def rows(url: str, sql: str, **params: object) -> list[tuple[object, ...]]:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(text(sql), params)
            return [tuple(row) for row in result.all()] if result.returns_rows else []
    finally:
        await engine.dispose()


def book_tag_names(url: str) -> list[tuple[str, str]]:
    """(title, tag) of every link in the link table of revision 0007."""
    sql = (
        "SELECT b.title, t.name FROM book_tags AS bt JOIN books AS b ON b.id = bt.book_id"
        " JOIN tags AS t ON t.id = bt.tag_id ORDER BY b.title, t.name"
    )
    return [(str(title), str(name)) for title, name in asyncio.run(rows(url, sql))]


def test_tags_move_onto_their_books_and_back(empty_url: str) -> None:
    migrate(empty_url, "0007")
    ids = {name: uuid.uuid4() for name in ("dune", "tagged", "bare", "classic", "desert")}
    postgres = empty_url.startswith("postgresql")

    def key(name: str) -> object:
        return ids[name] if postgres else ids[name].bytes  # GUID is BINARY(16) on SQLite

    async def fill() -> None:
        book = (
            "INSERT INTO books (id, title, author, price, stock, rating_1, rating_2, rating_3, rating_4, rating_5,"
            " review_count, created_at, updated_at) VALUES (:id, :title, 'A', 1, 0, 0, 0, 0, 0, 0, 0,"
            " '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00')"
        )
        for name in ("dune", "tagged", "bare"):
            await rows(empty_url, book, id=key(name), title=name.title())
        for name in ("classic", "desert"):
            await rows(empty_url, "INSERT INTO tags (id, name) VALUES (:id, :name)", id=key(name), name=name)
        for book_name, tag in [("dune", "desert"), ("dune", "classic"), ("tagged", "classic")]:
            await rows(empty_url, "INSERT INTO book_tags VALUES (:b, :t)", b=key(book_name), t=key(tag))

    asyncio.run(fill())
    before = book_tag_names(empty_url)

    migrate(empty_url, "heads")
    found = asyncio.run(rows(empty_url, "SELECT title, tags FROM books ORDER BY title"))
    as_lists = [(title, tags if postgres else json.loads(str(tags))) for title, tags in found]
    assert as_lists == [("Bare", []), ("Dune", ["classic", "desert"]), ("Tagged", ["classic"])]

    migrate(empty_url, "0007", down=True)
    assert book_tag_names(empty_url) == before == [("Dune", "classic"), ("Dune", "desert"), ("Tagged", "classic")]
