"""Migrations that move data: what was stored before them is there after, both ways, on each database."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
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


def test_existing_books_stay_for_sale_and_searchable_and_orders_untouched(empty_url: str) -> None:
    migrate(empty_url, "0009")
    postgres = empty_url.startswith("postgresql")
    ids = {name: uuid.uuid4() for name in ("book", "user", "order", "line")}
    key = {name: value if postgres else value.bytes for name, value in ids.items()}
    at = "'2026-01-01 00:00:00+00:00'"
    no_tags = "'{}'" if postgres else "'[]'"
    run_sql(
        empty_url,
        (
            "INSERT INTO users (id, email, username, password_hash, role, is_active, is_verified, created_at,"
            f" updated_at) VALUES (:id, 'a@example.com', 'ann', 'x', 'USER', true, true, {at}, {at})",
            {"id": key["user"]},
        ),
        (
            "INSERT INTO books (id, title, author, price, stock, tags, created_at, updated_at)"
            f" VALUES (:id, 'Dune Messiah', 'Frank Herbert', 9.99, 2, {no_tags}, {at}, {at})",
            {"id": key["book"]},
        ),
        (
            "INSERT INTO shelf_entries (user_id, book_id, status, date_added, updated_at)"
            f" VALUES (:u, :b, 'READING', {at}, {at})",
            {"u": key["user"], "b": key["book"]},
        ),
        (
            "INSERT INTO orders (id, user_id, status, total, currency, created_at)"
            f" VALUES (:id, :u, 'CONFIRMED', 9.99, 'USD', {at})",
            {"id": key["order"], "u": key["user"]},
        ),
        (
            "INSERT INTO order_items (id, order_id, book_id, title, author, unit_price, quantity, line_total)"
            " VALUES (:id, :o, :b, 'Dune Messiah', 'Frank Herbert', 9.99, 1, 9.99)",
            {"id": key["line"], "o": key["order"], "b": key["book"]},
        ),
    )
    orders = (
        "SELECT o.status, o.total, i.title, i.unit_price FROM orders AS o JOIN order_items AS i ON i.order_id = o.id",
        {},
    )
    before = run_sql(empty_url, orders)

    migrate(empty_url, "0010")
    [(price, published, added_by)] = run_sql(empty_url, ("SELECT price, published, added_by FROM books", {}))
    assert (str(price), bool(published), added_by) == ("9.99", True, None)
    assert run_sql(empty_url, orders) == before
    assert run_sql(empty_url, ("SELECT count(*) FROM shelf_entries", {})) == [(1,)]
    if not postgres:  # the rebuilt table is still searched, and kept in step by its triggers
        search = ("SELECT count(*) FROM books_fts WHERE books_fts MATCH :q", {"q": "messiah"})
        assert run_sql(empty_url, search) == [(1,)]
        run_sql(empty_url, ("UPDATE books SET title = 'Children of Dune'", {}))
        assert run_sql(empty_url, search) == [(0,)]
        assert run_sql(empty_url, ("SELECT count(*) FROM books_fts_tri WHERE books_fts_tri MATCH 'Children'", {})) == [
            (1,)
        ]

    migrate(empty_url, "0009", down=True)
    assert run_sql(empty_url, orders) == before
    migrate(empty_url, "heads")


def reader_and_book_sql(postgres: bool, at: str) -> tuple[str, str]:
    """INSERTs of a user (`:id`) and of a book (`:id`, `:title`) as the schema from 0010 on holds them."""
    user = (
        "INSERT INTO users (id, email, username, password_hash, role, is_active, is_verified, created_at, updated_at)"
        f" VALUES (:id, 'r@example.com', 'r', 'h', 'USER', true, true, {at}, {at})"
    )
    book = (
        "INSERT INTO books (id, title, author, price, stock, rating_1, rating_2, rating_3, rating_4, rating_5,"
        f" review_count, tags, created_at, updated_at) VALUES (:id, :title, 'A', 1, 0, 0, 0, 0, 0, 0, 0,"
        f" {'ARRAY[]::varchar[]' if postgres else chr(39) + '[]' + chr(39)}, {at}, {at})"
    )
    return user, book


def test_shelf_entries_keep_their_status_and_get_the_reads_it_implies(empty_url: str) -> None:
    """0011: WISHLIST, READING and COMPLETED stay; READING gets an open read, COMPLETED a finished one."""
    migrate(empty_url, "0009")
    postgres = empty_url.startswith("postgresql")
    ids = {name: uuid.uuid4() for name in ("reader", "wished", "reading", "done", "order")}
    key = {name: value if postgres else value.bytes for name, value in ids.items()}
    at = "'2026-03-04 22:30:00+00:00'"
    user, book = reader_and_book_sql(postgres, at)
    entry = f"INSERT INTO shelf_entries VALUES (:u, :b, :status, {at}, {at})"
    run_sql(
        empty_url,
        (user, {"id": key["reader"]}),
        *((book, {"id": key[name], "title": name}) for name in ("wished", "reading", "done")),
        *(
            (entry, {"u": key["reader"], "b": key[name], "status": status})
            for name, status in (("wished", "WISHLIST"), ("reading", "READING"), ("done", "COMPLETED"))
        ),
        (
            f"INSERT INTO orders VALUES (:id, :u, 'CONFIRMED', 1, 'USD', NULL, {at})",
            {"id": key["order"], "u": key["reader"]},
        ),
        (
            "INSERT INTO order_items VALUES (:id, :o, :b, 'done', 'A', 1, 1, 1)",
            {"id": key["wished"], "o": key["order"], "b": key["done"]},
        ),
    )

    migrate(empty_url, "0011")
    entries = run_sql(
        empty_url,
        (
            "SELECT b.title, s.status, s.owned, s.read_count, r.started_on, r.finished_on FROM shelf_entries AS s"
            " JOIN books AS b ON b.id = s.book_id LEFT JOIN reads AS r ON r.book_id = s.book_id ORDER BY b.title",
            {},
        ),
    )
    day = "2026-03-04"
    as_text = [tuple(None if v is None else str(v) for v in row) for row in entries]
    owned = ("True", "False") if postgres else ("1", "0")
    assert as_text == [
        ("done", "COMPLETED", owned[0], "1", None, day),
        ("reading", "READING", owned[1], "0", day, None),
        ("wished", "WISHLIST", owned[1], "0", None, None),
    ]

    run_sql(empty_url, ("UPDATE shelf_entries SET status = 'PAUSED' WHERE book_id = :b", {"b": key["reading"]}))
    migrate(empty_url, "0009", down=True)
    statuses = run_sql(empty_url, ("SELECT status FROM shelf_entries ORDER BY status", {}))
    assert statuses == [("COMPLETED",), ("READING",), ("WISHLIST",)]


def test_shelf_text_and_undated_reads_come_and_go_with_0016(empty_url: str) -> None:
    """0016: entries get their own text and reads an undated finish, which is not an open read; going down
    drops both, each entry counting its dated finishes again."""
    migrate(empty_url, "0015")
    postgres = empty_url.startswith("postgresql")
    ids = {name: uuid.uuid4() for name in ("reader", "book", "dated", "open", "undated1", "undated2", "extra")}
    key = {name: value if postgres else value.bytes for name, value in ids.items()}
    at = "'2026-03-04 22:30:00+00:00'"
    user, book = reader_and_book_sql(postgres, at)
    read = "INSERT INTO reads (id, user_id, book_id, finished_on, created_at) VALUES (:id, :u, :b, :f, {at})"
    mine = {"u": key["reader"], "b": key["book"]}
    run_sql(
        empty_url,
        (user, {"id": key["reader"]}),
        (book, {"id": key["book"], "title": "T"}),
        (
            "INSERT INTO shelf_entries (user_id, book_id, status, date_added, updated_at, read_count)"
            f" VALUES (:u, :b, 'READING', {at}, {at}, 1)",
            mine,
        ),
        (read.format(at=at), {"id": key["dated"], "f": date(2025, 1, 2)} | mine),
        (read.format(at=at), {"id": key["open"], "f": None} | mine),
    )

    migrate(empty_url, "0016_shelf_text")
    undated = (
        "INSERT INTO reads (id, user_id, book_id, finished_on, finished_undated, created_at)"
        f" VALUES (:id, :u, :b, :f, :flag, {at})"
    )
    run_sql(
        empty_url,
        *((undated, {"id": key[name], "f": None, "flag": True} | mine) for name in ("undated1", "undated2")),
        ("UPDATE shelf_entries SET read_count = 3, review_text = 'Mine.'", {}),
    )
    flags = run_sql(empty_url, ("SELECT finished_undated FROM reads ORDER BY finished_undated", {}))
    assert [bool(flag) for (flag,) in flags] == [False, False, True, True]  # the reads before it: not undated
    with pytest.raises(IntegrityError):  # still one open read per entry
        run_sql(empty_url, (undated, {"id": key["extra"], "f": None, "flag": False} | mine))
    with pytest.raises(IntegrityError):  # an undated finish has no end date
        run_sql(empty_url, (undated, {"id": key["extra"], "f": date(2025, 1, 1), "flag": True} | mine))
    assert run_sql(empty_url, ("SELECT read_count, review_text FROM shelf_entries", {})) == [(3, "Mine.")]

    migrate(empty_url, "0015", down=True)
    assert run_sql(empty_url, ("SELECT read_count FROM shelf_entries", {})) == [(1,)]
    kept = run_sql(empty_url, ("SELECT finished_on FROM reads ORDER BY finished_on", {}))
    assert sorted(str(day) for (day,) in kept) == ["2025-01-02", "None"]
    with pytest.raises(ProgrammingError if postgres else OperationalError):
        run_sql(empty_url, ("SELECT review_text FROM shelf_entries", {}))
    with pytest.raises(IntegrityError):  # the open-read index of 0015 again
        run_sql(empty_url, (read.format(at=at), {"id": key["extra"], "f": None} | mine))
    migrate(empty_url, "head")


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


def test_the_newest_first_index_holds_published_with_0017_and_not_below(empty_url: str) -> None:
    """0017 (PostgreSQL): ix_books_created_at also holds `published`, for index-only public walks; going
    down it is the plain index again. SQLite, which has no INCLUDE columns, keeps the plain one."""
    postgres = empty_url.startswith("postgresql")
    definition = (
        ("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_books_created_at'", {})
        if postgres
        else ("SELECT sql FROM sqlite_master WHERE name = 'ix_books_created_at'", {})
    )
    migrate(empty_url, "0016_shelf_text")
    ((before,),) = run_sql(empty_url, definition)
    migrate(empty_url, "0017_books_newest_visible")
    ((after,),) = run_sql(empty_url, definition)
    assert ("INCLUDE (published)" in str(after)) is postgres, after
    assert "(created_at, id)" in str(after), after
    migrate(empty_url, "0016_shelf_text", down=True)
    assert run_sql(empty_url, definition) == [(before,)]
    assert "INCLUDE" not in str(before)
    migrate(empty_url, "head")
