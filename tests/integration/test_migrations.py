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
from sqlalchemy.ext.asyncio import create_async_engine

from domain.catalog import slugify
from entrypoints.cli import alembic_config
from tests.support.databases import drop_postgres_database, empty_postgres_database
from tests.support.settings import POSTGRES_URL


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables yet."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}"
        return
    name = f"folio_migrations_{uuid.uuid4().hex[:12]}"
    yield empty_postgres_database(POSTGRES_URL, name)
    drop_postgres_database(POSTGRES_URL, name)


def migrate(url: str, revision: str, *, down: bool = False) -> None:
    config = alembic_config(url)
    (command.downgrade if down else command.upgrade)(config, revision)  # type: ignore[arg-type]


def run_sql(url: str, *statements: tuple[str, dict[str, object]]) -> list[tuple[object, ...]]:
    """Runs the statements in one transaction; returns the rows of the last one."""

    async def run() -> list[tuple[object, ...]]:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                for sql, params in statements:
                    result = await conn.execute(text(sql), params)
                return [tuple(row) for row in result.all()] if result.returns_rows else []
        finally:
            await engine.dispose()

    return asyncio.run(run())


def book_tag_names(url: str) -> list[tuple[object, ...]]:
    """(title, tag) of every link in the link table of revision 0007."""
    sql = (
        "SELECT b.title, t.name FROM book_tags AS bt JOIN books AS b ON b.id = bt.book_id"
        " JOIN tags AS t ON t.id = bt.tag_id ORDER BY b.title, t.name"
    )
    return run_sql(url, (sql, {}))


def test_tags_move_onto_their_books_and_back(empty_url: str) -> None:
    migrate(empty_url, "0007")
    postgres = empty_url.startswith("postgresql")
    ids = {name: uuid.uuid4() for name in ("dune", "tagged", "bare", "classic", "desert")}
    key = {name: value if postgres else value.bytes for name, value in ids.items()}  # BINARY(16) on SQLite
    book = (
        "INSERT INTO books (id, title, author, price, stock, rating_1, rating_2, rating_3, rating_4, rating_5,"
        " review_count, created_at, updated_at) VALUES (:id, :title, 'A', 1, 0, 0, 0, 0, 0, 0, 0,"
        " '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00')"
    )
    run_sql(
        empty_url,
        *((book, {"id": key[name], "title": name.title()}) for name in ("dune", "tagged", "bare")),
        *(
            ("INSERT INTO tags (id, name) VALUES (:id, :name)", {"id": key[n], "name": n})
            for n in ("classic", "desert")
        ),
        *(
            ("INSERT INTO book_tags VALUES (:b, :t)", {"b": key[b], "t": key[t]})
            for b, t in [("dune", "desert"), ("dune", "classic"), ("tagged", "classic")]
        ),
    )
    before = book_tag_names(empty_url)

    migrate(empty_url, "heads")
    found = run_sql(empty_url, ("SELECT title, tags FROM books ORDER BY title", {}))
    as_lists = [(title, tags if postgres else json.loads(str(tags))) for title, tags in found]
    assert as_lists == [("Bare", []), ("Dune", ["classic", "desert"]), ("Tagged", ["classic"])]

    migrate(empty_url, "0007", down=True)
    assert book_tag_names(empty_url) == before == [("Dune", "classic"), ("Dune", "desert"), ("Tagged", "classic")]


def test_genre_slugs_take_the_one_rule_where_their_old_links_still_find_them(empty_url: str) -> None:
    migrate(empty_url, "0009")
    postgres = empty_url.startswith("postgresql")
    old = [  # (name, slug) as admins' and imports' old rules made them, oldest first
        ("Café Noir", "café-noir"),  # an admin's: becomes cafe-noir, and café-noir canonicalises to it
        ("日本文学", "日本文学"),  # an admin's: becomes its hash, which 日本文学 canonicalises to
        ("日本 文学", "genre-0123456789"),  # an import's hash of the spaced name: kept, found as is
        ("Cafe", "cafe"),  # an import's, already canonical
        ("Café", "café"),  # an admin's whose canonical form the import's takes: kept
    ]
    insert = "INSERT INTO genres (id, name, slug, created_at) VALUES (:id, :name, :slug, :at)"
    run_sql(
        empty_url,
        *(
            (
                insert,
                {
                    "id": uuid.uuid4() if postgres else uuid.uuid4().bytes,
                    "name": n,
                    "slug": s,
                    "at": f"2026-01-0{i + 1}",
                },
            )
            for i, (n, s) in enumerate(old)
        ),
    )
    migrate(empty_url, "heads")
    slugs = dict(run_sql(empty_url, ("SELECT name, slug FROM genres", {})))
    assert slugs == {
        "Café Noir": "cafe-noir",
        "日本文学": slugify("日本文学"),
        "日本 文学": "genre-0123456789",
        "Cafe": "cafe",
        "Café": "café",
    }
