"""`column IN (values)` for a batch's many values, as one array parameter on PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, String, any_, bindparam
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
