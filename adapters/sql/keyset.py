"""The ids of one list page in a column order, by offset or after a cursor, each part a range of one
index walked in its own order.

A nullable sort column (price, rating, publication date) puts its nulls last both ways, which no
index walks in one direction (a backward scan of `(price, id)` gives nulls first). Such a page is
two parts, the books with a value (`(price, id) < (:p, :id)`, the index backwards) and the books
without (`price IS NULL`, the same index), each limited to the page, merged over those few ids."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, func, literal, select, tuple_, union_all

from adapters.sql.tables import books
from application.ports.catalog import Cursor, Sort


@dataclass(frozen=True, slots=True)
class _Order:
    columns: tuple[ColumnElement[Any], ...]  # before the id, which breaks ties
    descending: bool
    nullable: bool = False  # a single column whose nulls come last

    def keys(self) -> list[Any]:
        """ORDER BY of one part (no NULLS clause: a part has values only, or nulls only)."""
        each = [*self.columns, books.c.id]
        return [c.desc() for c in each] if self.descending else [c.asc() for c in each]

    def beyond(self, left: Any, right: Any) -> ColumnElement[bool]:
        """`left` comes after `right` in this order."""
        found: ColumnElement[bool] = operator.lt(left, right) if self.descending else operator.gt(left, right)
        return found


#: Each order and the index that walks it: ix_books_created_at, ix_books_title_author, ix_books_price,
#: ix_books_rating and ix_books_publication_date (every one ends with the id).
_ORDERS: dict[Sort, _Order] = {
    Sort.NEWEST: _Order((books.c.created_at,), descending=True),
    Sort.TITLE: _Order((func.lower(books.c.title), func.lower(books.c.author)), descending=False),
    Sort.PRICE: _Order((books.c.price,), descending=False, nullable=True),
    Sort.PRICE_DESC: _Order((books.c.price,), descending=True, nullable=True),
    Sort.RATING_DESC: _Order((books.c.average_rating,), descending=True, nullable=True),
    Sort.PUBLISHED_DESC: _Order((books.c.publication_date,), descending=True, nullable=True),
}


def _bound(sort: Sort, cursor: Cursor) -> list[ColumnElement[Any]]:
    """The cursor's values as the statement compares them (title order: lower-cased by the database,
    as its index is, so both sides agree whatever the database's idea of case)."""
    if sort is Sort.TITLE:
        title, author = cursor.key
        return [func.lower(literal(title, books.c.title.type)), func.lower(literal(author, books.c.author.type))]
    (column,) = _ORDERS[sort].columns
    return [literal(cursor.key[0], column.type)]


def keyset_parts(sort: Sort, after: Cursor | None) -> list[tuple[list[ColumnElement[bool]], list[Any]]]:
    """(WHERE, ORDER BY) of each part of a page in `sort`'s order, starting after `after`."""
    order = _ORDERS[sort]
    keys = order.keys()
    if not order.nullable:
        if after is None:
            return [([], keys)]
        ident = literal(after.id, books.c.id.type)
        return [([order.beyond(tuple_(*order.columns, books.c.id), tuple_(*_bound(sort, after), ident))], keys)]
    (column,) = order.columns
    nulls: list[ColumnElement[bool]] = [column.is_(None)]
    if after is None:
        return [([column.is_not(None)], keys), (nulls, keys)]
    ident = literal(after.id, books.c.id.type)
    if after.key[0] is None:  # already among the nulls
        return [([*nulls, order.beyond(books.c.id, ident)], keys)]
    valued = order.beyond(tuple_(column, books.c.id), tuple_(*_bound(sort, after), ident))
    return [([valued], keys), (nulls, keys)]


def page_ids(
    sort: Sort, where: list[ColumnElement[bool]], *, after: Cursor | None, limit: int, offset: int
) -> Subquery:
    """`(id)` of the page's books, in order; the caller joins the rows and orders them the same way."""
    parts = keyset_parts(sort, after)
    if len(parts) == 1:
        ((extra, keys),) = parts
        return select(books.c.id).where(*where, *extra).order_by(*keys).limit(limit).offset(offset).subquery("window")
    order = _ORDERS[sort]
    key = order.columns[0].label("k")
    selected: list[Select[Any]] = []
    for extra, keys in parts:
        part = select(books.c.id, key).where(*where, *extra).order_by(*keys).limit(offset + limit).subquery()
        selected.append(select(part.c.id, part.c.k))
    merged = union_all(*selected).subquery("parts")
    first = merged.c.k.desc() if order.descending else merged.c.k.asc()
    ident = merged.c.id.desc() if order.descending else merged.c.id.asc()
    ordered = select(merged.c.id).order_by(first.nulls_last(), ident)
    return ordered.limit(limit).offset(offset).subquery("window")
