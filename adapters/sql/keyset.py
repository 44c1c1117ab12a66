"""The ids of one list page in a column order, by offset or after a cursor, each part a range of one
index walked in its own order.

A nullable sort column (price, rating, publication date) puts its nulls last both ways, which no
index walks in one direction (a backward scan of `(price, id)` gives nulls first). Such a page is
two parts, the books with a value (`(price, id) < (:after_key, :after_id)`, the index backwards) and
the books without (`price IS NULL`, the same index), each limited to the page, merged over those few ids.

The cursor is bound parameters like every other value (`cursor_parameters`): the SQL depends only on
the order and on `AfterKind` (no cursor, after a book with a value, after one without), part of the
query's `Shape`."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, String, Subquery, bindparam, func, select, tuple_, union_all

from adapters.sql.tables import books
from application.ports.catalog import Cursor, Sort

#: No cursor; after a book with a value of the sort column; after one without (among the nulls).
AfterKind = Literal["none", "value", "null"]


@dataclass(frozen=True, slots=True)
class _Order:
    columns: tuple[ColumnElement[Any], ...]  # before the id, which breaks ties
    descending: bool
    nullable: bool = False  # a single column whose nulls come last

    def keys(self) -> list[Any]:
        """ORDER BY of one part (no NULLS clause: a part has values only, or nulls only)."""
        each = [*self.columns, books.c.id]
        return [c.desc() for c in each] if self.descending else [c.asc() for c in each]

    def ordering(self) -> tuple[Any, ...]:
        """ORDER BY of the whole page (nulls last), for the rows joined to its ids."""
        first = [c.desc() if self.descending else c.asc() for c in self.columns]
        if self.nullable:
            first = [c.nulls_last() for c in first]
        return (*first, books.c.id.desc() if self.descending else books.c.id.asc())

    def beyond(self, left: Any, right: Any) -> ColumnElement[bool]:
        """`left` comes after `right` in this order."""
        found: ColumnElement[bool] = operator.lt(left, right) if self.descending else operator.gt(left, right)
        return found


#: Each order and the index that walks it: ix_books_created_at, ix_books_title_author, ix_books_price,
#: ix_books_rating and ix_books_publication_date (every one ends with the id).
_ORDERS: dict[Sort, _Order] = {
    Sort.NEWEST: _Order((books.c.created_at,), descending=True),
    # Case-insensitive, then by author.
    Sort.TITLE: _Order((func.lower(books.c.title), func.lower(books.c.author)), descending=False),
    # Books not for sale (no price) come last both ways, on both databases.
    Sort.PRICE: _Order((books.c.price,), descending=False, nullable=True),
    Sort.PRICE_DESC: _Order((books.c.price,), descending=True, nullable=True),
    Sort.RATING_DESC: _Order((books.c.average_rating,), descending=True, nullable=True),
    Sort.PUBLISHED_DESC: _Order((books.c.publication_date,), descending=True, nullable=True),
}


def order_of(sort: Sort) -> tuple[Any, ...]:
    """ORDER BY of a page in `sort`'s column order (not relevance)."""
    return _ORDERS[sort].ordering()


def after_kind(cursor: Cursor | None) -> AfterKind:
    if cursor is None:
        return "none"
    return "null" if cursor.key[0] is None else "value"


def cursor_parameters(cursor: Cursor | None) -> dict[str, Any]:
    """The cursor's values by the names `_bound` gives them (`after_key`; title order: `after_title`
    and `after_author`) and `after_id`."""
    if cursor is None:
        return {}
    if cursor.sort is Sort.TITLE:
        title, author = cursor.key
        return {"after_title": title, "after_author": author, "after_id": cursor.id}
    return {"after_key": cursor.key[0], "after_id": cursor.id}


def _bound(sort: Sort) -> list[ColumnElement[Any]]:
    """The cursor's values as the statement compares them (title order: lower-cased by the database,
    as its index is, so both sides agree whatever the database's idea of case)."""
    if sort is Sort.TITLE:
        title, author = bindparam("after_title", type_=String), bindparam("after_author", type_=String)
        return [func.lower(title), func.lower(author)]
    (column,) = _ORDERS[sort].columns
    return [bindparam("after_key", type_=column.type)]


def keyset_parts(sort: Sort, after: AfterKind) -> list[tuple[list[ColumnElement[bool]], list[Any]]]:
    """(WHERE, ORDER BY) of each part of a page in `sort`'s order, starting after the bound cursor."""
    order = _ORDERS[sort]
    keys = order.keys()
    ident = bindparam("after_id", type_=books.c.id.type)
    if not order.nullable:
        if after == "none":
            return [([], keys)]
        return [([order.beyond(tuple_(*order.columns, books.c.id), tuple_(*_bound(sort), ident))], keys)]
    (column,) = order.columns
    nulls: list[ColumnElement[bool]] = [column.is_(None)]
    if after == "none":
        return [([column.is_not(None)], keys), (nulls, keys)]
    if after == "null":  # already among the nulls
        return [([*nulls, order.beyond(books.c.id, ident)], keys)]
    valued = order.beyond(tuple_(column, books.c.id), tuple_(*_bound(sort), ident))
    return [([valued], keys), (nulls, keys)]


def page_ids(sort: Sort, where: list[ColumnElement[bool]], *, after: AfterKind) -> Subquery:
    """`(id)` of the page's books, in order, for the bound `limit` and `offset` (and `reach`, their
    sum: how far each part of a nulls-last page reads); the caller joins the rows in `order_of(sort)`."""
    limit: ColumnElement[int] = bindparam("limit")
    offset: ColumnElement[int] = bindparam("offset")
    parts = keyset_parts(sort, after)
    if len(parts) == 1:
        ((extra, keys),) = parts
        return select(books.c.id).where(*where, *extra).order_by(*keys).limit(limit).offset(offset).subquery("window")
    order = _ORDERS[sort]
    key = order.columns[0].label("k")
    selected: list[Select[Any]] = []
    for extra, keys in parts:
        part = select(books.c.id, key).where(*where, *extra).order_by(*keys).limit(bindparam("reach")).subquery()
        selected.append(select(part.c.id, part.c.k))
    merged = union_all(*selected).subquery("parts")
    first = merged.c.k.desc() if order.descending else merged.c.k.asc()
    ident = merged.c.id.desc() if order.descending else merged.c.id.asc()
    ordered = select(merged.c.id).order_by(first.nulls_last(), ident)
    return ordered.limit(limit).offset(offset).subquery("window")
