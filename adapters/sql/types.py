"""The two column types the tables need beyond SQLAlchemy's: UUIDs and timezone-aware UTC datetimes.

They store exactly what advanced-alchemy's `GUID` and `DateTimeUTC` store (the migrations name those:
PostgreSQL `uuid` and `timestamptz`; on SQLite 16 bytes and a naive UTC datetime), without importing
advanced-alchemy, which imports Litestar and Pydantic: the worker and the command line need neither.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.engine import Dialect
from sqlalchemy.types import BINARY, DateTime, TypeDecorator, TypeEngine


class GUID(TypeDecorator[UUID]):
    """PostgreSQL's `uuid`; elsewhere the UUID's 16 bytes."""

    impl = BINARY(16)
    cache_ok = True

    @property
    def python_type(self) -> type[UUID]:
        return UUID

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(PG_UUID())
        return dialect.type_descriptor(BINARY(16))

    def process_bind_param(self, value: UUID | str | bytes | None, dialect: Dialect) -> str | bytes | None:
        if value is None:
            return None
        if dialect.name == "postgresql":
            return str(value)
        return _uuid(value).bytes

    def process_result_value(self, value: UUID | str | bytes | None, dialect: Dialect) -> UUID | None:
        if value is None or isinstance(value, UUID):
            return value
        return _uuid(value)


def _uuid(value: UUID | str | bytes) -> UUID:
    if isinstance(value, UUID):
        return value
    if isinstance(value, str):
        return UUID(hex=value)
    return UUID(bytes=value)


class DateTimeUTC(TypeDecorator[datetime]):
    """Aware datetimes only; stored in UTC and read back aware (SQLite keeps them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type[datetime]:
        return datetime

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not value.tzinfo:
            raise TypeError("tzinfo is required")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)
