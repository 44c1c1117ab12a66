"""The catalog's read side on SQL: Core statements straight to entities, filters and sorts shared by
both databases; the text-matching part is per database (`search_postgres.py`, `search_sqlite.py`).

Statements hold no values: every filter is a named bound parameter, so the SQL of a query depends
only on its `Shape` (which filters, how text matches, the order). Each shape's statements are built
once per process and reused, so building and compiling them is not paid per request; `parameters`
gives a query's values."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    FromClause,
    Select,
    String,
    TableValuedAlias,
    and_,
    bindparam,
    case,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
    true,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sql.catalog import book_rows, to_book
from adapters.sql.keyset import AfterKind, after_kind, cursor_parameters, order_of, page_ids
from adapters.sql.tables import books, genres
from adapters.sql.text import like_pattern
from application.catalog.cursor import fuzzy_window
from application.catalog.text import title_prefix, words
from application.ports.catalog import BookQuery, GenreCount, Matches, Sort, TagCount
from domain.catalog import Book, slug_forms

#: Close (typo) matches offered when no word matched.
FUZZY_CAP = 50

#: Published books per genre, kept by triggers in each writing transaction (migration 0014).
_COUNTS = table("search_book_counts", column("genre_id", books.c.genre_id.type), column("n", BigInteger))

#: How a query's text matches: none given, no searchable word in it, a title prefix (stop words only), words.
TextKind = Literal["none", "empty", "title", "words"]


@dataclass(frozen=True, slots=True)
class Shape:
    """What the SQL of a query depends on: which filters it has (values are bound parameters), the
    visibility and boolean filters (which change the SQL), how its text matches, its order."""

    published: bool | None
    unpublished_of: bool
    genre: bool
    author: bool
    tag: bool
    min_price: bool
    max_price: bool
    in_stock: bool | None
    language: bool
    for_sale: bool | None
    added_by: bool
    text: TextKind
    sort: Sort
    #: A keyset page: whether it starts after a cursor, and on which side of the nulls (`keyset.py`).
    after: AfterKind = "none"

    @property
    def maintained(self) -> bool:
        """An unfiltered or genre-only public listing, whose total search_book_counts keeps."""
        others = (self.author, self.tag, self.min_price, self.max_price, self.language, self.added_by)
        unfiltered = self.in_stock is None and self.for_sale is None and not any(others)
        return self.published is True and self.text == "none" and unfiltered

    @property
    def ranked(self) -> bool:
        """Relevance order by a text rank (a title prefix has none: it goes by title)."""
        return self.text == "words" and self.sort is Sort.RELEVANCE

    @property
    def walked(self) -> Sort:
        """The column order of an unranked page: relevance without a rank goes by title for a title
        prefix (its index), newest first otherwise."""
        if self.sort is not Sort.RELEVANCE:
            return self.sort
        return Sort.TITLE if self.text == "title" else Sort.NEWEST


def text_kind(q: str | None) -> TextKind:
    if not q:
        return "none"
    if title_prefix(q) is not None:
        return "title"
    return "words" if words(q) else "empty"


def shape_of(query: BookQuery) -> Shape:
    return Shape(
        published=query.published,
        unpublished_of=query.unpublished_of is not None,
        genre=query.genre is not None,
        author=bool(query.author),
        tag=query.tag is not None,
        min_price=query.min_price is not None,
        max_price=query.max_price is not None,
        in_stock=query.in_stock,
        language=query.language is not None,
        for_sale=query.for_sale,
        added_by=query.added_by is not None,
        text=text_kind(query.q),
        sort=query.sort,
        after=after_kind(query.after),
    )


def parameters(query: BookQuery) -> dict[str, Any]:
    """The values of the query's non-text filters and window, by the names its statements bind."""
    # `reach`: how far each part of a nulls-last page reads (`keyset.page_ids`).
    found: dict[str, Any] = {"limit": query.limit, "offset": query.offset, "reach": query.offset + query.limit}
    found |= cursor_parameters(query.after)
    if query.unpublished_of is not None:
        found["unpublished_of"] = query.unpublished_of
    if query.genre is not None:
        forms = slug_forms(query.genre)
        found["genre_slug"], found["genre_canonical"] = forms[0], forms[-1]
    if query.author:
        found["author"] = like_pattern(query.author)
    if query.tag is not None:
        found["tag"] = query.tag
    values = {"min_price": query.min_price, "max_price": query.max_price, "language": query.language}
    found.update((name, value) for name, value in values.items() if value is not None)
    if query.added_by is not None:
        found["added_by"] = query.added_by
    return found


def title_range(prefix: str) -> dict[str, str]:
    """The bounds of `title_begins` for `prefix`: `prefix <= lower(title) < prefix's successor`."""
    return {"title_from": prefix, "title_to": prefix[:-1] + chr(ord(prefix[-1]) + 1)}


def genre_by_slug() -> ColumnElement[Any]:
    """The id of the genre the requested slug names: its own row, else the row of its canonical form
    (`genre_canonical`, the slug itself when it is canonical already); as `adapters.sql.genres.by_slug`."""
    slug, canonical = bindparam("genre_slug", type_=String), bindparam("genre_canonical", type_=String)
    preferred = case((genres.c.slug == slug, 0), else_=1)
    return (
        select(genres.c.id).where(genres.c.slug.in_([slug, canonical])).order_by(preferred).limit(1).scalar_subquery()
    )


def counting(shape: Shape, matching: list[ColumnElement[bool]]) -> Select[Any]:
    """How many books match; with text, up to the bound `count_limit` (one past the query's cap): the
    heap is read for that many matches at most, however many a common word has (`q=love`)."""
    if shape.text == "none":
        return select(func.count().label("total")).select_from(books).where(*matching)
    limit: ColumnElement[int] = bindparam("count_limit")
    capped: Select[Any] = select(literal_column("1")).select_from(books).where(*matching).limit(limit)
    if shape.text == "title":  # in the index's order: a walk that stops at the cap (a generic plan's
        capped = capped.order_by(*order_of(Sort.TITLE))  # bitmap would collect every title in the range)
    return select(func.count().label("total")).select_from(capped.subquery("capped"))


def maintained_count(shape: Shape) -> Select[Any] | None:
    """The exact total of an unfiltered or genre-only public listing, from one or a few rows of
    search_book_counts instead of counting the catalog; None for any other shape."""
    if not shape.maintained:
        return None
    total = select(func.coalesce(func.sum(_COUNTS.c.n), 0).label("total"))
    return total.where(_COUNTS.c.genre_id == genre_by_slug()) if shape.genre else total  # as the page finds it


def visible(shape: Shape) -> ColumnElement[bool]:
    """The books the query may show: published ones, and the unpublished ones it asks for and may see."""
    if shape.published is True:
        return books.c.published.is_(True)
    hidden: ColumnElement[bool] = books.c.published.is_(False)
    if shape.unpublished_of:
        hidden = and_(hidden, books.c.added_by == bindparam("unpublished_of"))
    return hidden if shape.published is False else or_(books.c.published.is_(True), hidden)


def title_begins() -> ColumnElement[bool]:
    """`lower(title)` starts with a prefix, as a range on the index ix_books_title_author (a LIKE with a
    bound pattern would not use it in a generic plan): the bounds of `title_range`."""
    lowered = func.lower(books.c.title)
    return and_(lowered >= bindparam("title_from"), lowered < bindparam("title_to"))


def filters(shape: Shape, tagged: Callable[[], ColumnElement[bool]]) -> list[ColumnElement[bool]]:
    """Every non-text filter of the shape, on `books` columns; text is matched literally. The first
    is always who may see what, so no path (count, page, rank, typo) ever forgets it."""
    where: list[ColumnElement[bool]] = [visible(shape)]
    if shape.genre:
        where.append(books.c.genre_id == genre_by_slug())
    if shape.author:
        where.append(books.c.author.ilike(bindparam("author"), escape="\\"))
    if shape.tag:
        where.append(tagged())
    if shape.min_price:
        where.append(books.c.price >= bindparam("min_price", type_=books.c.price.type))
    if shape.max_price:
        where.append(books.c.price <= bindparam("max_price", type_=books.c.price.type))
    if shape.in_stock is not None:
        where.append(books.c.stock > 0 if shape.in_stock else books.c.stock == 0)
    if shape.language:
        where.append(books.c.language == bindparam("language"))
    if shape.for_sale is not None:
        where.append(books.c.price.is_not(None) if shape.for_sale else books.c.price.is_(None))
    if shape.added_by:
        where.append(books.c.added_by == bindparam("added_by"))
    return where


@dataclass(frozen=True, slots=True)
class Statements:
    """One shape's statements, built once: its count, its page, the page with the count as a column
    (`total`, one InitPlan: the same work in one round trip) and the filters its typo search uses."""

    count: Select[Any] | None  # None: no searchable word, nothing matches
    page: Select[Any] | None
    listing: Select[Any] | None
    where: list[ColumnElement[bool]]


class SqlCatalogReads:
    """Listing, detail, genre and tag lists; subclasses say how text matches and ranks."""

    dialect: ClassVar[str]

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._statements: dict[Shape, Statements] = {}
        self._by_id = book_rows().where(books.c.id == bindparam("book_id"))
        self._by_ids_statement = book_rows().where(self.by_ids())

    # -- per database -------------------------------------------------------------------------
    def tagged(self) -> ColumnElement[bool]:
        """Books whose tags include the bound `tag`."""
        raise NotImplementedError

    def each_tag(self) -> TableValuedAlias:
        """A book's tags as rows of one column, `value` (correlated with `books`)."""
        raise NotImplementedError

    def text_match(self) -> ColumnElement[bool]:
        """The predicate of a query's words, bound as `text_parameters` gives them."""
        raise NotImplementedError

    def text_parameters(self, q: str) -> dict[str, Any]:
        """The values `text_match` and `ranked` bind for `q` (which holds a searchable word)."""
        raise NotImplementedError

    def ranked(self, where: list[ColumnElement[bool]]) -> Select[Any]:
        """`(id, rank)` of up to the bound `cap` matching books; a higher rank is better."""
        raise NotImplementedError

    def candidates(self, shape: Shape, where: list[ColumnElement[bool]]) -> tuple[FromClause, Select[Any] | None]:
        """The `(id, rank)` a ranked page is ordered from (at most the bound `cap` matching books), and
        the count of the query when those candidates give it; None: `counting` counts apart."""
        return self.ranked(where).subquery("ranked"), None

    def by_ids(self) -> ColumnElement[bool]:
        """`books.id` is one of the bound `ids`."""
        raise NotImplementedError

    async def fuzzy(
        self, conn: AsyncConnection, q: str, where: list[ColumnElement[bool]], params: dict[str, Any]
    ) -> list[UUID]:
        raise NotImplementedError

    # -- shared ---------------------------------------------------------------------------------
    async def fetch(self, statement: Select[Any], params: dict[str, Any]) -> Sequence[Mapping[str, Any]]:
        """The rows of one read statement (one of those `statements` built), by column name."""
        async with self._engine.connect() as conn:
            return (await conn.execute(statement, params)).mappings().all()

    async def fetch_books(self, statement: Select[Any], params: dict[str, Any]) -> tuple[list[Book], int | None]:
        """The books of one `book_rows` statement, and its `total` column (None without rows or that column)."""
        rows = await self.fetch(statement, params)
        total = int(rows[0]["total"]) if rows and "total" in rows[0] else None
        return [to_book(row) for row in rows], total

    def _match(self, text: TextKind) -> ColumnElement[bool] | None:
        """Stop words only: a title prefix; words: the database's text match; no text: None."""
        return title_begins() if text == "title" else self.text_match() if text == "words" else None

    def statements(self, shape: Shape) -> Statements:
        found = self._statements.get(shape)
        if found is None:
            found = self._statements[shape] = self._build(shape)
        return found

    def _build(self, shape: Shape) -> Statements:
        where = filters(shape, self.tagged)
        if shape.text == "empty":
            return Statements(None, None, None, where)
        match = self._match(shape.text)
        matching = where if match is None else [*where, match]
        count = maintained_count(shape)
        if shape.ranked:
            ranked, count = self.candidates(shape, where)
            window = (
                select(ranked.c.id, ranked.c.rank)
                .order_by(ranked.c.rank.desc(), ranked.c.id)
                .limit(bindparam("limit"))
                .offset(bindparam("offset"))
                .subquery("window")
            )
            page = book_rows().join(window, window.c.id == books.c.id).order_by(window.c.rank.desc(), books.c.id)
        else:
            # A deferred join: walk the (index-only) order for ids, then read just one page of rows.
            window = page_ids(shape.walked, matching, after=shape.after)
            page = book_rows().join(window, window.c.id == books.c.id).order_by(*order_of(shape.walked))
        if count is None:
            count = counting(shape, matching)
        return Statements(count, page, page.add_columns(count.scalar_subquery().label("total")), where)

    def _parameters(self, query: BookQuery, shape: Shape) -> dict[str, Any]:
        found = parameters(query)
        if shape.text == "title":
            found |= title_range(title_prefix(query.q or "") or "")
        elif shape.text == "words":
            found |= self.text_parameters(query.q or "")
        if shape.text != "none":
            found["count_limit"] = query.count_cap + 1
        if shape.ranked:  # every match up to one past the count's cap is ranked, and the page is among them
            found["cap"] = max(found["count_limit"], query.offset + query.limit)
        return found

    async def matches(self, query: BookQuery) -> Matches:
        shape = shape_of(query)
        statements = self.statements(shape)
        if statements.count is None:
            return Matches(0)
        params = self._parameters(query, shape)
        total = int((await self.fetch(statements.count, params))[0]["total"])
        if total == 0 and shape.text == "words" and query.q:
            async with self._engine.connect() as conn:
                found = await self.fuzzy(conn, query.q, statements.where, params)
            return Matches(len(found), tuple(found))
        return Matches.counted(total, query)

    async def page(self, query: BookQuery, matches: Matches) -> list[Book]:
        if matches.total <= query.offset and not matches.estimated:
            return []
        if matches.fuzzy_ids is not None:
            return await self._by_ids(list(fuzzy_window(matches.fuzzy_ids, query)))
        shape = shape_of(query)
        statement = self.statements(shape).page
        assert statement is not None, "a query of no searchable word matches nothing"
        return (await self.fetch_books(statement, self._parameters(query, shape)))[0]

    async def listing(self, query: BookQuery) -> tuple[Matches, list[Book]]:
        shape = shape_of(query)
        statement = self.statements(shape).listing
        if statement is None:
            return Matches(0), []
        books, total = await self.fetch_books(statement, self._parameters(query, shape))
        if total is None:  # no rows: nothing matched (perhaps typos), or the window is past the end
            found = await self.matches(query)
            return found, await self.page(query, found)
        return Matches.counted(total, query), books

    async def _by_ids(self, ids: list[UUID]) -> list[Book]:
        if not ids:
            return []
        books, _ = await self.fetch_books(self._by_ids_statement, {"ids": ids})
        by_id = {book.id: book for book in books}
        return [by_id[i] for i in ids if i in by_id]

    async def book(self, book_id: UUID) -> Book | None:
        books, _ = await self.fetch_books(self._by_id, {"book_id": book_id})
        return books[0] if books else None

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
