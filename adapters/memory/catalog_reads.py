"""The catalog read side over the in-memory store: the same filters, sorts and ranking order."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from adapters.memory.genres import named_by
from application.catalog.cursor import fuzzy_window, sort_key
from application.catalog.text import FUZZY_THRESHOLD, title_prefix, word_similarity, words
from application.ports.catalog import BookQuery, Cursor, GenreCount, Matches, Sort, TagCount
from domain.catalog import Book, Genre

if TYPE_CHECKING:
    from adapters.memory.uow import MemoryStore

_FUZZY_CAP = 50
_WEIGHTS = (("title", 10.0), ("author", 4.0), ("description", 1.0))


def _score(book: Book, q: str) -> float:
    """Each word must start a word of title, author or description; title counts most."""
    prefix = title_prefix(q)
    if prefix is not None:  # stop words only: titles that begin with them
        return 1.0 if book.title.lower().startswith(prefix) else 0.0
    wanted = words(q)
    fields = {name: words(getattr(book, name) or "") for name, _ in _WEIGHTS}
    score = 0.0
    for word in wanted:
        hits = [weight for name, weight in _WEIGHTS if any(w.startswith(word) for w in fields[name])]
        if not hits:
            return 0.0
        score += max(hits)
    return score


def _visible(book: Book, query: BookQuery) -> bool:
    if book.published:
        return query.published is not False
    if query.published is True:
        return False
    return query.unpublished_of is None or book.is_added_by(query.unpublished_of)


def _price(book: Book) -> Decimal | None:
    return None if book.price is None else book.price.amount


def _keep(book: Book, query: BookQuery, genre: Genre | None) -> bool:
    """`genre`: the one `query.genre` names (None with a slug: no book matches)."""
    price = _price(book)
    checks = (
        _visible(book, query),
        query.genre is None or (book.genre is not None and genre is not None and book.genre.id == genre.id),
        not query.author or query.author.lower() in book.author.lower(),
        query.tag is None or query.tag in book.tags,
        query.min_price is None or (price is not None and price >= query.min_price),
        query.max_price is None or (price is not None and price <= query.max_price),
        query.in_stock is None or (book.stock > 0) == query.in_stock,
        query.language is None or book.language == query.language,
        query.for_sale is None or (price is not None) == query.for_sale,
        query.added_by is None or book.is_added_by(query.added_by),
    )
    return all(checks)


def _ordering(sort: Sort) -> tuple[Callable[[tuple[Any, ...], UUID], Any], bool]:
    """A key over (sort key, id) and whether it sorts descending; books without the value come last both ways."""
    if sort is Sort.TITLE:
        return (lambda key, book_id: (key[0].lower(), key[1].lower(), book_id)), False
    descending = sort is not Sort.PRICE
    if sort is Sort.NEWEST:
        return (lambda key, book_id: (key[0], book_id)), True
    # (has no value, value, id) ascending; (has a value, value, id) descending: equal flags never compare the values
    return (lambda key, book_id: ((key[0] is None) != descending, key[0], book_id)), descending


def _keyset(books: list[Book], sort: Sort, after: Cursor | None) -> list[Book]:
    """The books in `sort`'s order, from just after `after`."""
    key, descending = _ordering(sort)
    keyed = sorted(((key(sort_key(b, sort), b.id), b) for b in books), key=lambda kb: kb[0], reverse=descending)
    if after is not None:
        start = key(after.key, after.id)
        keyed = [(k, b) for k, b in keyed if (k < start if descending else k > start)]
    return [b for _, b in keyed]


class MemoryCatalogReads:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    def _books(self) -> list[Book]:
        return list(self._store.tables.get("books", {}).values())

    def _genre(self, query: BookQuery) -> Genre | None:
        stored: dict[UUID, Genre] = self._store.tables.get("genres", {})
        return None if query.genre is None else named_by(query.genre, stored.values())

    def _found(self, query: BookQuery) -> list[tuple[float, Book]]:
        genre = self._genre(query)
        found = [(1.0, b) for b in self._books() if _keep(b, query, genre)]
        if query.q:
            found = [(s, b) for _, b in found if (s := _score(b, query.q)) > 0]
        return found

    async def matches(self, query: BookQuery) -> Matches:
        found = self._found(query)
        if found or not query.q or not words(query.q) or title_prefix(query.q) is not None:
            return Matches.counted(len(found), query)
        q = query.q
        close = [(max(word_similarity(q, b.title), word_similarity(q, b.author)), b) for b in self._books()]
        genre = self._genre(query)
        kept = sorted((c for c in close if c[0] >= FUZZY_THRESHOLD and _keep(c[1], query, genre)), key=lambda c: -c[0])
        ids = tuple(b.id for _, b in kept[:_FUZZY_CAP])
        return Matches(len(ids), ids)

    async def page(self, query: BookQuery, matches: Matches) -> list[Book]:
        if matches.fuzzy_ids is not None:
            by_id = {b.id: b for b in self._books()}
            return [copy.deepcopy(by_id[i]) for i in fuzzy_window(matches.fuzzy_ids, query) if i in by_id]
        if query.q and query.sort is Sort.RELEVANCE and title_prefix(query.q) is None:
            chosen = [b for _, b in sorted(self._found(query), key=lambda sb: (-sb[0], sb[1].id))]
        else:
            relevance = Sort.TITLE if query.q and title_prefix(query.q) is not None else Sort.NEWEST
            sort = relevance if query.sort is Sort.RELEVANCE else query.sort
            chosen = _keyset([b for _, b in self._found(query)], sort, query.after)
        return [copy.deepcopy(b) for b in chosen[query.offset : query.offset + query.limit]]

    async def listing(self, query: BookQuery) -> tuple[Matches, list[Book]]:
        found = await self.matches(query)
        return found, await self.page(query, found)

    async def book(self, book_id: UUID) -> Book | None:
        found = self._store.tables.get("books", {}).get(book_id)
        return copy.deepcopy(found)

    async def genres(self) -> list[GenreCount]:
        counts = Counter(b.genre.id for b in self._books() if b.genre is not None and b.published)
        stored: dict[UUID, Genre] = self._store.tables.get("genres", {})
        return [GenreCount(g.id, g.name, g.slug, counts[g.id]) for g in sorted(stored.values(), key=lambda g: g.name)]

    async def tags(self) -> list[TagCount]:
        counts = Counter(tag for b in self._books() if b.published for tag in b.tags)
        return [TagCount(name, n) for name, n in sorted(counts.items())]
