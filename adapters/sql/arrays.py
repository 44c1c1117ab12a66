"""`column IN (values)` for a batch's many values, as one array parameter on PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, String, any_, bindparam, func, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import TypeEngine


def one_of(
    conn: AsyncConnection, column: Any, values: Sequence[Any], name: str, *, item: TypeEngine[Any] | None = None
) -> tuple[ColumnElement[bool], dict[str, Any]]:
    """The condition and its parameters. On PostgreSQL `column = ANY(:name)`: the same short SQL for any
    number of values, so SQLAlchemy compiles it and psycopg converts it once, where `IN` renders (and
    psycopg parses) a placeholder per value at every call. `item`: the values' type (text unless told)."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(item or String()))), {name: list(values)}
    return column.in_(list(values)), {}


def probed(
    conn: AsyncConnection, query: Select[Any], column: Any, values: Sequence[Any], name: str, *, item: TypeEngine[Any]
) -> tuple[Select[Any], dict[str, Any]]:
    """`query` narrowed to the rows whose `column` is one of `values`, for a key whose index is led by the
    query's own condition (a reader's rows of these books). On PostgreSQL an index probe per value: a
    LATERAL join of `query` on the unnested array, in the array's order (a lock the query takes goes in that
    order). `column = ANY(...)` left the choice to the planner, which, sure a reader has a few rows, read
    every row of the reader and filtered them: a cost that grew with each batch of a large import."""
    if conn.dialect.name == "postgresql":
        keys = func.unnest(bindparam(name, type_=ARRAY(item))).table_valued("key").render_derived(name=f"{name}_keys")
        # OFFSET 0: kept a subquery (not pulled up into a join the planner may turn around)
        each = query.where(column == keys.c.key).offset(0).lateral(f"{name}_rows")
        return select(each).select_from(keys).join(each, true()), {name: list(values)}
    return query.where(column.in_(list(values))), {}
