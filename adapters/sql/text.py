"""Literal, case-insensitive text matching: `%` and `_` in user input are not wildcards."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(column: Any, text: str) -> ColumnElement[bool]:
    pattern = f"%{escape_like(text.lower())}%"
    return func.lower(column).like(pattern, escape="\\")
