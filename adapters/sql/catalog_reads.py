"""The catalog's read side on SQL: Core statements straight to entities, filters and sorts shared by
both databases; the text-matching part is per database (`search_postgres.py`, `search_sqlite.py`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    TableValuedAlias,
    and_,
    column,
    func,
    literal,
    or_,
    select,
    table,
    true,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sql.catalog import book_rows, to_book
from adapters.sql.genres import by_slug
from adapters.sql.keyset import page_ids
from adapters.sql.tables import books, genres
from adapters.sql.text import contains
from application.catalog.cursor import fuzzy_window
from application.catalog.text import title_prefix
from application.ports.catalog import BookQuery, GenreCount, Matches, Sort, TagCount
from domain.catalog import Book

#: Relevance ranking looks at this many matching books at most (plus the page asked for), so a
#: very common word costs a bounded amount of work.
RANK_CAP = 1000
#: Close (typo) matches offered when no word matched.
FUZZY_CAP = 50

#: Published books per genre, kept by triggers in each writing transaction (migration 0014).
_COUNTS = table("search_book_counts", column("genre_id", books.c.genre_id.type), column("n", BigInteger))


def maintained_count(query: BookQuery) -> Select[Any] | None:
    """The exact total of an unfiltered or genre-only public listing, from one or a few rows of
    search_book_counts instead of counting the catalog; None for any other query."""
    others: list[object] = [
        query.q,
        query.author,
        query.tag,
        query.min_price,
        query.max_price,
        query.in_stock,
        query.language,
    ]
    others += [query.for_sale, query.added_by]
    if query.published is not True or any(other is not None for other in others):
        return None
    total = select(func.coalesce(func.sum(_COUNTS.c.n), 0))
    if query.genre is None:
        return total
    return total.where(
        _COUNTS.c.genre_id == by_slug(query.genre, genres.c.id).scalar_subquery()
    )  # as the page finds it


def counting(where: list[ColumnElement[bool]], query: BookQuery) -> Select[Any]:
    """How many books match; with text, up to one past the query's cap: the heap is read for that many
    matches at most, however many a common word has (a stop word's title range, `q=love`)."""
    if not query.q:
        return select(func.count()).select_from(books).where(*where)
    capped = select(literal(1).label("one")).select_from(books).where(*where).limit(query.count_cap + 1)
    return select(func.count()).select_from(capped.subquery("capped"))


_ORDER: dict[Sort, tuple[Any, ...]] = {
    Sort.NEWEST: (books.c.created_at.desc(), books.c.id.desc()),
    # Case-insensitive, then by author: the index ix_books_title_author.
    Sort.TITLE: (func.lower(books.c.title).asc(), func.lower(books.c.author).asc(), books.c.id.asc()),
    # Books not for sale (no price) come last both ways, on both databases.
    Sort.PRICE: (books.c.price.asc().nulls_last(), books.c.id.asc()),
    Sort.PRICE_DESC: (books.c.price.desc().nulls_last(), books.c.id.desc()),
    Sort.RATING_DESC: (books.c.average_rating.desc().nulls_last(), books.c.id.desc()),
    Sort.PUBLISHED_DESC: (books.c.publication_date.desc().nulls_last(), books.c.id.desc()),
}


def visible(query: BookQuery) -> ColumnElement[bool]:
    """The books the query may show: published ones, and the unpublished ones it asks for and may see."""
    if query.published is True:
        return books.c.published.is_(True)
    hidden: ColumnElement[bool] = books.c.published.is_(False)
    if query.unpublished_of is not None:
        hidden = and_(hidden, books.c.added_by == query.unpublished_of)
    return hidden if query.published is False else or_(books.c.published.is_(True), hidden)


def title_begins(prefix: str) -> ColumnElement[bool]:
    """`lower(title)` starts with `prefix`, as a range on the index ix_books_title_author (a LIKE with a
    bound pattern would not use it in a generic plan): `prefix <= lower(title) < prefix's successor`."""
    lowered = func.lower(books.c.title)
    return and_(lowered >= prefix, lowered < prefix[:-1] + chr(ord(prefix[-1]) + 1))


def filters(query: BookQuery, tagged: Callable[[str], ColumnElement[bool]]) -> list[ColumnElement[bool]]:
    """Every non-text filter of the query, on `books` columns; text is matched literally. The first
    is always who may see what, so no path (count, page, rank, typo) ever forgets it."""
    where: list[ColumnElement[bool]] = [visible(query)]
    if query.genre is not None:
        where.append(books.c.genre_id == by_slug(query.genre, genres.c.id).scalar_subquery())
    if query.author:
        where.append(contains(books.c.author, query.author))
    if query.tag is not None:
        where.append(tagged(query.tag))
    if query.min_price is not None:
        where.append(books.c.price >= query.min_price)
    if query.max_price is not None:
        where.append(books.c.price <= query.max_price)
    if query.in_stock is not None:
        where.append(books.c.stock > 0 if query.in_stock else books.c.stock == 0)
    if query.language is not None:
        where.append(books.c.language == query.language)
    if query.for_sale is not None:
        where.append(books.c.price.is_not(None) if query.for_sale else books.c.price.is_(None))
    if query.added_by is not None:
        where.append(books.c.added_by == query.added_by)
    return where


class SqlCatalogReads:
    """Listing, detail, genre and tag lists; subclasses say how text matches and ranks."""

    dialect: ClassVar[str]

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    # -- per database -------------------------------------------------------------------------
    def tagged(self, name: str) -> ColumnElement[bool]:
        """Books whose tags include `name`."""
        raise NotImplementedError

    def each_tag(self) -> TableValuedAlias:
        """A book's tags as rows of one column, `value` (correlated with `books`)."""
        raise NotImplementedError

    def text_match(self, q: str) -> ColumnElement[bool] | None:
        """The predicate for `q`, or None when `q` holds no searchable word."""
        raise NotImplementedError

    def ranked(self, q: str, where: list[ColumnElement[bool]], cap: int) -> Select[Any]:
        """`(id, rank)` of up to `cap` matching books; a higher rank is better."""
        raise NotImplementedError

    async def fuzzy(self, conn: AsyncConnection, q: str, where: list[ColumnElement[bool]]) -> list[UUID]:
        raise NotImplementedError

    # -- shared ---------------------------------------------------------------------------------
    def _rows(self) -> Select[Any]:
        return book_rows()

    def _match(self, q: str) -> ColumnElement[bool] | None:
        """Stop words only: a title prefix; otherwise the database's text match."""
        prefix = title_prefix(q)
        return title_begins(prefix) if prefix is not None else self.text_match(q)

    async def matches(self, query: BookQuery) -> Matches:
        counted = maintained_count(query)
        if counted is not None:
            async with self._engine.connect() as conn:
                return Matches(int((await conn.execute(counted)).scalar_one()))
        where = filters(query, self.tagged)
        if query.q:
            match = self._match(query.q)
            if match is None:
                return Matches(0)
            where.append(match)
        async with self._engine.connect() as conn:
            total = (await conn.execute(counting(where, query))).scalar_one()
            if total == 0 and query.q and title_prefix(query.q) is None:
                found = await self.fuzzy(conn, query.q, filters(query, self.tagged))
                return Matches(len(found), tuple(found))
        return Matches.counted(total, query)

    async def page(self, query: BookQuery, matches: Matches) -> list[Book]:
        if matches.total <= query.offset and not matches.estimated:
            return []
        if matches.fuzzy_ids is not None:
            return await self._by_ids(list(fuzzy_window(matches.fuzzy_ids, query)))
        where = filters(query, self.tagged)
        by_title = query.q is not None and title_prefix(query.q) is not None
        if query.q and query.sort is Sort.RELEVANCE and not by_title:
            cap = max(RANK_CAP, query.offset + query.limit)
            ranked = self.ranked(query.q, where, cap).subquery("ranked")
            window = (
                select(ranked.c.id, ranked.c.rank)
                .order_by(ranked.c.rank.desc(), ranked.c.id)
                .limit(query.limit)
                .offset(query.offset)
                .subquery("window")
            )
            statement = self._rows().join(window, window.c.id == books.c.id).order_by(window.c.rank.desc(), books.c.id)
        else:
            if query.q:
                match = self._match(query.q)
                assert match is not None
                where.append(match)
            # Relevance without a rank: a title prefix goes by title (its index), anything else newest first.
            relevance = Sort.TITLE if by_title else Sort.NEWEST
            sort = relevance if query.sort is Sort.RELEVANCE else query.sort
            # A deferred join: walk the (index-only) order for ids, then read just one page of rows.
            window = page_ids(sort, where, after=query.after, limit=query.limit, offset=query.offset)
            statement = self._rows().join(window, window.c.id == books.c.id).order_by(*_ORDER[sort])
        async with self._engine.connect() as conn:
            rows = (await conn.execute(statement)).mappings().all()
        return [to_book(row) for row in rows]

    async def _by_ids(self, ids: list[UUID]) -> list[Book]:
        if not ids:
            return []
        async with self._engine.connect() as conn:
            rows = (await conn.execute(self._rows().where(books.c.id.in_(ids)))).mappings().all()
        by_id = {row["id"]: to_book(row) for row in rows}
        return [by_id[i] for i in ids if i in by_id]

    async def book(self, book_id: UUID) -> Book | None:
        found = await self._by_ids([book_id])
        return found[0] if found else None

    async def genres(self) -> list[GenreCount]:
        # Public counts: a reader's unpublished book counts nowhere.
        count = (
            select(func.count()).where(books.c.genre_id == genres.c.id, books.c.published.is_(True)).scalar_subquery()
        )
        statement = select(genres.c.id, genres.c.name, genres.c.slug, count.label("n")).order_by(genres.c.name)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(statement)).all()
        return [GenreCount(row.id, row.name, row.slug, row.n) for row in rows]

    async def tags(self) -> list[TagCount]:
        each = self.each_tag()
        statement = (
            select(each.c.value, func.count())
            .select_from(books)
            .join(each, true())
            .where(books.c.published.is_(True))
            .group_by(each.c.value)
            .order_by(each.c.value)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(statement)).all()
        return [TagCount(name, n) for name, n in rows]
