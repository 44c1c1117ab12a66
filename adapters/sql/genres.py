from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, case, delete, func, insert, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from adapters.sql.tables import genres
from domain.catalog import Genre, slug_forms


def by_slug(slug: str, *columns: ColumnElement[Any]) -> Select[Any]:
    """The genre a requested slug names: its own row, else the row of its canonical form (`slug_forms`)."""
    forms = slug_forms(slug)
    query = select(*columns).where(genres.c.slug.in_(forms))
    if len(forms) > 1:
        query = query.order_by(case((genres.c.slug == slug, 0), else_=1))
    return query.limit(1)


def _to_genre(row: RowMapping) -> Genre:
    return Genre(row["id"], row["name"], row["slug"])


class SqlGenreRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, genre: Genre) -> None:
        values = {"id": genre.id, "name": genre.name, "slug": genre.slug, "created_at": datetime.now(UTC)}
        await self._conn.execute(insert(genres).values(values))

    async def _one(self, query: Select[Any]) -> Genre | None:
        row = (await self._conn.execute(query)).mappings().first()
        return None if row is None else _to_genre(row)

    async def get(self, genre_id: UUID) -> Genre | None:
        return await self._one(select(genres).where(genres.c.id == genre_id))

    async def get_by_slug(self, slug: str) -> Genre | None:
        return await self._one(by_slug(slug, *genres.c))

    async def name_taken(self, name: str) -> bool:
        query = select(genres.c.id).where(func.lower(genres.c.name) == name.lower()).limit(1)
        return (await self._conn.execute(query)).first() is not None

    async def delete(self, genre_id: UUID) -> None:
        # books.genre_id is ON DELETE SET NULL: its books keep no genre.
        await self._conn.execute(delete(genres).where(genres.c.id == genre_id))
