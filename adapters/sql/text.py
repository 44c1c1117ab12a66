"""Literal, case-insensitive text matching: `%` and `_` in user input are not wildcards."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(column: Any, text: str) -> ColumnElement[bool]:
    """`column ILIKE '%text%'` on PostgreSQL, which a pg_trgm index on the column answers (books.author
    has one); `lower(column) LIKE lower('%text%')` on SQLite, whose lower() knows only ASCII, so the
    text is lower-cased here first, as Python knows every letter."""
    return column.ilike(f"%{escape_like(text.lower())}%", escape="\\")
