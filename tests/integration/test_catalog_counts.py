"""The maintained counts (migration 0014) stay exact through any mix of writes on `books` and
`genres`, on SQLite and PostgreSQL: inserts one by one and in bulk, publishing and unpublishing, genre
moves, deleted books, deleted genres (the foreign key sets NULL) and writes that change no count."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.catalog_reads import maintained_count, parameters, shape_of
from adapters.sql.engine import make_engine
from adapters.sql.tables import books, genres
from application.ports.catalog import BookQuery

SLUGS = ["a", "b", "c"]
genre_of = st.sampled_from([*SLUGS, None])
OPS = st.one_of(
    st.tuples(st.just("insert"), st.lists(st.tuples(genre_of, st.booleans()), min_size=1, max_size=5)),
    st.tuples(st.just("publish"), st.booleans(), st.integers(0, 3)),
    st.tuples(st.just("move"), genre_of, st.integers(0, 3)),
    st.tuples(st.just("delete"), st.integers(0, 3)),
    st.tuples(st.just("restock"), st.integers(0, 3)),
    st.tuples(st.just("drop genre"), st.sampled_from(SLUGS)),
)


async def _genre(conn: AsyncConnection, slug: str) -> Any:
    found = (await conn.execute(select(genres.c.id).where(genres.c.slug == slug))).scalar()
    if found is None:
        found = uuid.uuid4()
        await conn.execute(
            insert(genres).values(id=found, name=f"Genre {slug}", slug=slug, created_at=datetime.now(UTC))
        )
    return found


async def _apply(conn: AsyncConnection, op: tuple[Any, ...]) -> None:
    """One write; a trailing number n picks up to 3 books from the n-th in id order (a changing subset)."""
    kind, last = op[0], op[-1]
    some = (
        books.c.id.in_(select(books.c.id).order_by(books.c.id).offset(last).limit(3)) if isinstance(last, int) else None
    )
    now = datetime.now(UTC)
    if kind == "insert":
        rows = [
            {
                "id": uuid.uuid4(),
                "title": "T",
                "author": "A",
                "tags": [],
                "created_at": now,
                "updated_at": now,
                "published": published,
                "genre_id": None if slug is None else await _genre(conn, slug),
            }
            for slug, published in op[1]
        ]
        await conn.execute(insert(books), rows)  # one statement for many rows (an import's shape)
    elif kind == "publish":
        await conn.execute(update(books).where(some).values(published=op[1]))
    elif kind == "move":
        await conn.execute(
            update(books).where(some).values(genre_id=None if op[1] is None else await _genre(conn, op[1]))
        )
    elif kind == "delete":
        await conn.execute(delete(books).where(some))
    elif kind == "restock":
        await conn.execute(update(books).where(some).values(stock=books.c.stock + 1))
    else:
        await conn.execute(delete(genres).where(genres.c.slug == op[1]))


async def _check(url: str, ops: list[tuple[Any, ...]]) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(delete(books))
        for op in ops:
            async with engine.begin() as conn:  # each write commits on its own, as the service's do
                await _apply(conn, op)
        async with engine.connect() as conn:
            for slug in [None, *SLUGS]:
                query = BookQuery(genre=slug)
                kept = maintained_count(shape_of(query))
                assert kept is not None
                real = select(func.count()).select_from(books).where(books.c.published.is_(True))
                if slug is not None:
                    real = real.where(
                        books.c.genre_id == select(genres.c.id).where(genres.c.slug == slug).scalar_subquery()
                    )
                kept_total = (await conn.execute(kept, parameters(query))).scalar_one()
                assert kept_total == (await conn.execute(real)).scalar_one(), (slug, ops)
    finally:
        await engine.dispose()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(OPS, max_size=8))
def test_maintained_counts_equal_a_count_of_the_books(db_url: str, ops: list[tuple[Any, ...]]) -> None:
    asyncio.run(_check(db_url, ops))


def test_only_unfiltered_and_genre_only_public_listings_read_the_maintained_count() -> None:
    assert maintained_count(shape_of(BookQuery())) is not None
    assert maintained_count(shape_of(BookQuery(genre="a", sort=BookQuery().sort, offset=40))) is not None
    for other in [{"q": "x"}, {"tag": "t"}, {"in_stock": False}, {"published": None}, {"added_by": uuid.uuid4()}]:
        assert maintained_count(shape_of(BookQuery(**other))) is None, other  # type: ignore[arg-type]


pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")
