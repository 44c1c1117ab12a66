"""Literal, case-insensitive text matching: `%` and `_` in user input are not wildcards."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def like_pattern(text: str) -> str:
    """The ILIKE pattern (escape `\\`) of a literal substring, lower-cased here: SQLite's lower() knows
    only ASCII, Python knows every letter."""
    return f"%{escape_like(text.lower())}%"


def contains(column: Any, text: str) -> ColumnElement[bool]:
    """`column ILIKE '%text%'` on PostgreSQL, which a pg_trgm index on the column answers (books.author
    has one); `lower(column) LIKE lower('%text%')` on SQLite (see `like_pattern`)."""
    return column.ilike(like_pattern(text), escape="\\")
