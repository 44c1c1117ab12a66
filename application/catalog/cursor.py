"""Keyset cursors of the book list: the sort key and id of a page's last book, as an opaque URL-safe
token. A token is checked whole (its digest, its sort, each value's kind and bounds) before use."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from application.catalog.text import title_prefix
from application.ports.catalog import BookQuery, Cursor, Sort
from domain.catalog import Book
from domain.errors import InvalidField

FIELD = "after"
_DIGEST = 6
#: Key values of a cursor: the book columns' own bounds (title 500, author 300; amounts under 10^10).
_MAX_TEXT = {0: 500, 1: 300}
_MAX_AMOUNT = Decimal(10) ** 10


def walked_order(query: BookQuery) -> Sort | None:
    """The column order a page of `query` walks; None for relevance ranking, which has no cursor
    (its order is a score over a bounded candidate set, not a key that a next page can start after)."""
    if query.sort is not Sort.RELEVANCE:
        return query.sort
    if not query.q:
        return Sort.NEWEST
    return Sort.TITLE if title_prefix(query.q) is not None else None


def sort_key(book: Book, sort: Sort) -> tuple[Any, ...]:
    """The values `sort` orders by, before the id (title order compares them lower-cased)."""
    if sort is Sort.NEWEST:
        return (book.created_at,)
    if sort is Sort.TITLE:
        return (book.title, book.author)
    if sort in (Sort.PRICE, Sort.PRICE_DESC):
        return (None if book.price is None else book.price.amount,)
    if sort is Sort.RATING_DESC:  # stored with two places: the decimal a float of them stands for
        return (None if book.average_rating is None else Decimal(repr(book.average_rating)),)
    if sort is Sort.PUBLISHED_DESC:
        return (book.publication_date,)
    raise ValueError(f"{sort} has no sort key")


def cursor_after(book: Book, sort: Sort) -> Cursor:
    return Cursor(sort, sort_key(book, sort), book.id)


def fuzzy_window(ids: Sequence[UUID], query: BookQuery) -> Sequence[UUID]:
    """A page of the close matches (a short list in score order): from the offset, or after the cursor's book."""
    start = query.offset
    if query.after is not None:
        start = ids.index(query.after.id) + 1 if query.after.id in ids else len(ids)
    return ids[start : start + query.limit]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value) if isinstance(value, Decimal) else value


def _digest(payload: bytes) -> bytes:
    return hashlib.blake2b(payload, digest_size=_DIGEST, person=b"folio-cursor").digest()


def encode_cursor(cursor: Cursor) -> str:
    payload = json.dumps(
        [cursor.sort.value, [_plain(v) for v in cursor.key], cursor.id.hex], ensure_ascii=False, separators=(",", ":")
    ).encode()
    return base64.urlsafe_b64encode(_digest(payload) + payload).rstrip(b"=").decode("ascii")


def _text(value: Any, position: int) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= _MAX_TEXT[position] or "\x00" in value:
        raise ValueError("text")
    value.encode()  # an unpaired surrogate (from a \\ud800 escape) fails here
    return value


def _moment(value: Any, position: int) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("naive time")
    return moment


def _amount(value: Any, position: int) -> Decimal | None:
    if value is None:
        return None
    amount = Decimal(value)
    if not amount.is_finite() or abs(amount) >= _MAX_AMOUNT:
        raise ValueError("amount")
    return amount


def _day(value: Any, position: int) -> date | None:
    return None if value is None else date.fromisoformat(value)


_KINDS: dict[Sort, tuple[Callable[[Any, int], Any], ...]] = {
    Sort.NEWEST: (_moment,),
    Sort.TITLE: (_text, _text),
    Sort.PRICE: (_amount,),
    Sort.PRICE_DESC: (_amount,),
    Sort.RATING_DESC: (_amount,),
    Sort.PUBLISHED_DESC: (_day,),
}


def decode_cursor(token: str, sort: Sort) -> Cursor:
    """The cursor in `token`, made by `encode_cursor` for a page in `sort`'s order; InvalidField otherwise."""
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
        digest, payload = raw[:_DIGEST], raw[_DIGEST:]
        if digest != _digest(payload):
            raise ValueError("digest")
        name, key, hex_id = json.loads(payload)
        kinds = _KINDS[Sort(name)]
        if Sort(name) is not sort:
            raise InvalidField(FIELD, f"belongs to another sort ({name}), not {sort.value}")
        if not isinstance(key, list) or len(key) != len(kinds) or not isinstance(hex_id, str):
            raise ValueError("shape")
        values = tuple(kind(value, i) for i, (kind, value) in enumerate(zip(kinds, key, strict=True)))
        return Cursor(sort, values, UUID(hex=hex_id))
    except (ValueError, TypeError, KeyError, InvalidOperation, binascii.Error, UnicodeError):
        raise InvalidField(FIELD, "is not a cursor this list gave (use the `next` of a page)") from None
