"""The catalog read side over the in-memory store: the same filters, sorts and ranking order."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from adapters.memory.genres import named_by
from application.catalog.text import FUZZY_THRESHOLD, title_prefix, word_similarity, words
from application.ports.catalog import BookQuery, GenreCount, Matches, Sort, TagCount
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


_KEYS: dict[Sort, tuple[Callable[[Book], Any], bool]] = {
    Sort.NEWEST: (lambda b: (b.created_at, b.id), True),
    Sort.TITLE: (lambda b: (b.title.lower(), b.author.lower(), b.id), False),
    # Books not for sale come last both ways.
    Sort.PRICE: (lambda b: (_price(b) is None, _price(b) or 0, b.id), False),
    Sort.PRICE_DESC: (lambda b: (_price(b) is not None, _price(b) or 0, b.id), True),
    Sort.RATING_DESC: (lambda b: (b.average_rating is not None, b.average_rating or 0, b.id), True),
    Sort.PUBLISHED_DESC: (lambda b: (b.publication_date is not None, b.publication_date or date.min, b.id), True),
}


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
            return Matches(len(found))
        q = query.q
        close = [(max(word_similarity(q, b.title), word_similarity(q, b.author)), b) for b in self._books()]
        genre = self._genre(query)
        kept = sorted((c for c in close if c[0] >= FUZZY_THRESHOLD and _keep(c[1], query, genre)), key=lambda c: -c[0])
        ids = tuple(b.id for _, b in kept[:_FUZZY_CAP])
        return Matches(len(ids), ids)

    async def page(self, query: BookQuery, matches: Matches) -> list[Book]:
        if matches.fuzzy_ids is not None:
            by_id = {b.id: b for b in self._books()}
            chosen = [by_id[i] for i in matches.fuzzy_ids if i in by_id]
        elif query.q and query.sort is Sort.RELEVANCE and title_prefix(query.q) is None:
            chosen = [b for _, b in sorted(self._found(query), key=lambda sb: (-sb[0], sb[1].id))]
        else:
            relevance = Sort.TITLE if query.q and title_prefix(query.q) is not None else Sort.NEWEST
            key, reverse = _KEYS[relevance if query.sort is Sort.RELEVANCE else query.sort]
            chosen = sorted((b for _, b in self._found(query)), key=key, reverse=reverse)
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
