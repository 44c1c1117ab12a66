"""On PostgreSQL, the catalog's lookups go by the indexes made for them: the statements the read side
and the import really send are captured and EXPLAINed, over enough books that a scan would show."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from adapters.sql.imports_postgres import EXISTING_KEYS, INDEX_PROBES
from adapters.sql.search_postgres import WALK_CAP, PostgresCatalogReads, read_engine
from application.ports.catalog import BookQuery, Cursor, Sort

BOOKS = 3000


@pytest.fixture
async def engine(pg_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(pg_url)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO books (id, title, author, price, created_at, updated_at)"
                " SELECT gen_random_uuid(), 'Title ' || n, 'Author ' || (n % 97), 10, now(), now()"
                " FROM generate_series(1, :count) AS n"
            ),
            {"count": BOOKS},
        )
        await conn.execute(text("ANALYZE books"))
    yield engine
    await engine.dispose()


@contextmanager
def captured() -> Iterator[list[tuple[str, Any]]]:
    """Every SELECT (or WITH ... SELECT) sent to psycopg meanwhile (through SQLAlchemy or straight), with its
    parameters."""
    sent: list[tuple[str, Any]] = []
    execute = psycopg.AsyncCursor.execute

    async def keep(cursor: Any, query: Any, params: Any = None, **kwargs: Any) -> Any:
        if isinstance(query, str) and query.lstrip().upper().startswith(("SELECT", "WITH")):
            sent.append((query, params))
        return await execute(cursor, query, params, **kwargs)

    psycopg.AsyncCursor.execute = keep  # type: ignore[method-assign,assignment]
    try:
        yield sent
    finally:
        psycopg.AsyncCursor.execute = execute  # type: ignore[method-assign]


async def plans_of(engine: AsyncEngine, query: BookQuery) -> str:
    """The plans of what listing `query` sends, on the read side's own connection settings."""
    reads = PostgresCatalogReads(engine)
    explaining = read_engine(engine, pool_size=1)
    try:
        with captured() as sent:
            await reads.page(query, await reads.matches(query))
            await reads.listing(query)  # the page with its count, as the service reads them
        assert sent
        async with explaining.connect() as conn:
            plans = [
                "\n".join(row[0] for row in await conn.exec_driver_sql(f"EXPLAIN {statement}", parameters))
                for statement, parameters in sent
            ]
    finally:
        await reads.dispose()
        await explaining.dispose()
    return "\n".join(plans)


@pytest.mark.parametrize(
    ("query", "indexes"),
    [
        (BookQuery(author="thor 12"), ["search_books_author_trgm"]),
        (BookQuery(sort=Sort.TITLE, offset=100), ["ix_books_title_author"]),
        (BookQuery(q="Titel 1234x"), ["search_books_vector", "search_books_title_trgm", "search_books_author_trgm"]),
    ],
    ids=["author filter", "title order", "typo search"],
)
async def test_the_read_side_uses_its_indexes(engine: AsyncEngine, query: BookQuery, indexes: list[str]) -> None:
    plans = await plans_of(engine, query)
    for index in indexes:
        assert index in plans, plans


@pytest.mark.parametrize(
    ("query", "walk"),
    [
        (BookQuery(sort=Sort.RATING_DESC), "Index Scan Backward using ix_books_rating"),
        (
            BookQuery(sort=Sort.PRICE_DESC, after=Cursor(Sort.PRICE_DESC, (Decimal(10),), UUID(int=2**127))),
            "Index Scan Backward using ix_books_price",
        ),
        (
            BookQuery(sort=Sort.NEWEST, after=Cursor(Sort.NEWEST, (datetime.now(UTC),), UUID(int=0))),
            "Index Only Scan Backward using ix_books_created_at",  # `published` is in the index (0017)
        ),
        (
            BookQuery(sort=Sort.TITLE, after=Cursor(Sort.TITLE, ("Title 2", "Author 3"), UUID(int=0))),
            "Index Scan using ix_books_title_author",
        ),
    ],
    ids=["nulls last", "price cursor", "newest cursor", "title cursor"],
)
async def test_cursor_and_nulls_last_pages_walk_their_index(engine: AsyncEngine, query: BookQuery, walk: str) -> None:
    """A range of the sort's index from the cursor (or from its start), never a sort of the catalog."""
    plans = await plans_of(engine, query)
    assert walk in plans, plans
    assert "Seq Scan on books" not in plans, plans


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


async def analyzed_listing(engine: AsyncEngine, query: BookQuery) -> dict[str, Any]:
    """The JSON plan, run, of the one statement that lists `query` with its count."""
    reads = PostgresCatalogReads(engine)
    explaining = read_engine(engine, pool_size=1)
    try:
        with captured() as sent:
            await reads.listing(query)
        ((statement, parameters),) = [(s, p) for s, p in sent if "FROM books" in s]  # not the session's own SELECTs
        async with explaining.connect() as conn:
            analyze = f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}"
            (plan,) = (await conn.exec_driver_sql(analyze, parameters)).scalar_one()
    finally:
        await reads.dispose()
        await explaining.dispose()
    return plan["Plan"]  # type: ignore[no-any-return]


async def test_a_text_listing_counts_no_further_than_its_cap(engine: AsyncEngine) -> None:
    """The page with its count in one statement: for text, the count column reads cap + 1 matching
    rows, however many books match (every book here is a `Title`)."""
    query = BookQuery(q="title", sort=Sort.TITLE, count_cap=100)
    found, page = await PostgresCatalogReads(engine).listing(query)
    assert (found.total, found.estimated, len(page)) == (100, True, 20)
    initplans = [
        n for n in _nodes(await analyzed_listing(engine, query)) if n.get("Subplan Name", "").startswith("InitPlan")
    ]
    (count,) = [n for n in initplans if any(m.get("Relation Name") == "books" for m in _nodes(n))]  # not the tsquery
    read = [n["Actual Rows"] for n in _nodes(count) if n.get("Relation Name") == "books"]  # rows of the heap
    assert read == [101], count


def _scans(plan: dict[str, Any]) -> list[tuple[str, str, int, int]]:
    """(node type, index, loops, rows) of each scan of `books` (or of its indexes) that ran."""
    scans = [n for n in _nodes(plan) if n.get("Relation Name") == "books" or n["Node Type"] == "Bitmap Index Scan"]
    found = [n for n in scans if n.get("Actual Loops", 0) > 0]
    return [(n["Node Type"], n.get("Index Name", ""), n["Actual Loops"], n["Actual Rows"]) for n in found]


async def test_a_word_in_most_books_is_ranked_from_the_newest_matches_not_from_the_index(engine: AsyncEngine) -> None:
    """Every book is a `Title`: the GIN index would collect all 3,000 postings before the first row, so
    the candidates are the first matches walking the newest books, cap + 1 of them, and no more."""
    found, page = await PostgresCatalogReads(engine).listing(BookQuery(q="title", sort=Sort.RELEVANCE, count_cap=50))
    assert (found.total, found.estimated, len(page)) == (50, True, 20)
    scans = _scans(await analyzed_listing(engine, BookQuery(q="title", sort=Sort.RELEVANCE, count_cap=50)))
    assert not [scan for scan in scans if scan[0].startswith("Bitmap")], scans
    walked = [rows for kind, index, _, rows in scans if kind == "Index Scan" and index == "ix_books_created_at"]
    assert walked == [64, 51], scans  # the probe of the newest books, then the candidates


async def test_a_deep_relevance_page_of_a_common_word_reads_its_matches_in_table_order(engine: AsyncEngine) -> None:
    """Past WALK_CAP candidates, walking the newest books would read about a page per match: the GIN
    index and the table in its own order read about one page per ten."""
    query = BookQuery(q="title", sort=Sort.RELEVANCE, offset=WALK_CAP, count_cap=50)
    found, page = await PostgresCatalogReads(engine).listing(query)
    assert (found.total, found.estimated, len(page)) == (50, True, 20)
    scans = _scans(await analyzed_listing(engine, query))
    assert ("Bitmap Index Scan", "search_books_vector", 1, BOOKS) in scans, scans
    assert [rows for kind, index, _, rows in scans if index == "ix_books_created_at"] == [64], scans


async def test_a_rare_word_is_ranked_from_the_index(engine: AsyncEngine) -> None:
    """`Author 12` is in 1 book of 97: its few postings come from the GIN index, no walk past the probe."""
    query = BookQuery(q="author 12", sort=Sort.RELEVANCE)
    found, page = await PostgresCatalogReads(engine).listing(query)
    assert (found.total, found.estimated) == (len(range(12, BOOKS + 1, 97)), False)
    assert {book.author for book in page} == {"Author 12"}
    scans = _scans(await analyzed_listing(engine, query))
    assert ("Bitmap Index Scan", "search_books_vector", 1, found.total) in scans, scans
    assert [rows for kind, index, _, rows in scans if index == "ix_books_created_at"] == [64], scans


async def test_a_deep_offset_page_skips_by_the_index_alone(engine: AsyncEngine) -> None:
    """`published` is in ix_books_created_at: the 2,000 books skipped are index entries, no table rows."""
    async with engine.connect() as conn:
        await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(text("VACUUM books"))
    scans = _scans(plan := await analyzed_listing(engine, BookQuery(offset=2000)))
    assert ("Index Only Scan", "ix_books_created_at", 1, 2020) in scans, scans  # skipped and shown
    assert [n["Heap Fetches"] for n in _nodes(plan) if n["Node Type"] == "Index Only Scan"] == [0]


async def test_a_stop_word_goes_by_the_title_index_and_never_by_trigrams(engine: AsyncEngine) -> None:
    """`the` is dropped by full-text search: the query is a title range, not a typo search over every title."""
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE books SET title = 'The ' || title WHERE right(title, 1) = '7'"))
        await conn.execute(text("ANALYZE books"))
    plans = await plans_of(engine, BookQuery(q="the", sort=Sort.RELEVANCE))
    assert "ix_books_title_author" in plans, plans
    assert "trgm" not in plans, plans
    assert "Seq Scan" not in plans, plans
    reads = PostgresCatalogReads(engine)
    try:
        query = BookQuery(q="the", sort=Sort.RELEVANCE, count_cap=BOOKS)  # every one counted
        matches = await reads.matches(query)
        page = await reads.page(query, matches)
    finally:
        await reads.dispose()
    assert (matches.total, matches.fuzzy_ids) == (BOOKS // 10, None)
    assert [b.title for b in page[:2]] == ["The Title 1007", "The Title 1017"]


async def test_the_import_finds_titles_and_authors_by_index(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.exec_driver_sql(INDEX_PROBES)
        explained = await conn.exec_driver_sql(
            f"EXPLAIN {EXISTING_KEYS}", (["title 12", "title 13"], ["author 12", "author 13"])
        )
        plan = "\n".join(row[0] for row in explained)
    assert "ix_books_title_author" in plan, plan
