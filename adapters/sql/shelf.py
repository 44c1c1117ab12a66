"""The reading shelf and the purchase history, on SQLAlchemy Core."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.tables import order_items, orders, shelf_entries
from domain.shelf import AlreadyOnShelf, ShelfEntry, ShelfStatus

#: The order status that counts as a purchase (the commerce capability writes it).
CONFIRMED = "CONFIRMED"


def _to_entry(row: RowMapping) -> ShelfEntry:
    return ShelfEntry(row["user_id"], row["book_id"], ShelfStatus(row["status"]), row["date_added"], row["updated_at"])


class SqlShelfRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    def _key(self, user_id: UUID, book_id: UUID) -> tuple[Any, Any]:
        return shelf_entries.c.user_id == user_id, shelf_entries.c.book_id == book_id

    async def get(self, user_id: UUID, book_id: UUID) -> ShelfEntry | None:
        row = (await self._conn.execute(select(shelf_entries).where(*self._key(user_id, book_id)))).mappings().first()
        return None if row is None else _to_entry(row)

    async def add(self, entry: ShelfEntry) -> None:
        values = {
            "user_id": entry.user_id,
            "book_id": entry.book_id,
            "status": entry.status.value,
            "date_added": entry.date_added,
            "updated_at": entry.updated_at,
        }
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(insert(shelf_entries).values(values))
        except IntegrityError:
            raise AlreadyOnShelf("this book is on your shelf already") from None

    async def update(self, entry: ShelfEntry) -> None:
        values = {"status": entry.status.value, "updated_at": entry.updated_at}
        await self._conn.execute(update(shelf_entries).where(*self._key(entry.user_id, entry.book_id)).values(values))

    async def delete(self, user_id: UUID, book_id: UUID) -> None:
        await self._conn.execute(delete(shelf_entries).where(*self._key(user_id, book_id)))

    async def page(
        self, user_id: UUID, *, status: ShelfStatus | None, limit: int, offset: int
    ) -> tuple[Sequence[ShelfEntry], int]:
        where = [shelf_entries.c.user_id == user_id]
        if status is not None:
            where.append(shelf_entries.c.status == status.value)
        total = (await self._conn.execute(select(func.count()).select_from(shelf_entries).where(*where))).scalar_one()
        query = (
            select(shelf_entries)
            .where(*where)
            .order_by(shelf_entries.c.date_added.desc(), shelf_entries.c.book_id)
            .limit(limit)
            .offset(offset)
        )
        rows = (await self._conn.execute(query)).mappings().all()
        return [_to_entry(row) for row in rows], total


class SqlPurchaseHistory:
    """Reads the commerce capability's orders: a CONFIRMED order line of the book is a purchase."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def has_bought(self, user_id: UUID, book_id: UUID) -> bool:
        query = (
            select(order_items.c.id)
            .join(orders, orders.c.id == order_items.c.order_id)
            .where(orders.c.user_id == user_id, orders.c.status == CONFIRMED, order_items.c.book_id == book_id)
            .limit(1)
        )
        return (await self._conn.execute(query)).first() is not None
