"""Carts, orders and pre-bookings on SQLAlchemy Core."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.catalog import book_rows, to_book
from adapters.sql.tables import books, cart_items, order_items, orders, prebookings
from domain.catalog import Book
from domain.commerce import (
    AlreadyPrebooked,
    CartItem,
    Order,
    OrderLine,
    OrderStatus,
    PreBooking,
    PreBookingStatus,
)
from domain.errors import Conflict
from domain.money import Money


def _to_item(row: RowMapping, prefix: str = "") -> CartItem:
    p = prefix
    return CartItem(row[f"{p}id"], row[f"{p}user_id"], row[f"{p}book_id"], row[f"{p}quantity"], row[f"{p}added_at"])


class SqlCartRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def items_of(self, user_id: UUID) -> list[CartItem]:
        query = (
            select(cart_items).where(cart_items.c.user_id == user_id).order_by(cart_items.c.added_at, cart_items.c.id)
        )
        return [_to_item(row) for row in (await self._conn.execute(query)).mappings()]

    async def with_books(self, user_id: UUID) -> tuple[list[CartItem], dict[UUID, Book]]:
        query = (
            book_rows()
            .add_columns(*(column.label(f"item_{column.name}") for column in cart_items.c))
            .join(cart_items, cart_items.c.book_id == books.c.id)
            .where(cart_items.c.user_id == user_id)
            .order_by(cart_items.c.added_at, cart_items.c.id)
        )
        rows = (await self._conn.execute(query)).mappings().all()
        return [_to_item(row, "item_") for row in rows], {row["id"]: to_book(row) for row in rows}

    async def add(self, item: CartItem) -> None:
        values = {
            "id": item.id,
            "user_id": item.user_id,
            "book_id": item.book_id,
            "quantity": item.quantity,
            "added_at": item.added_at,
        }
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(insert(cart_items).values(values))
        except IntegrityError:
            raise Conflict("the book was added to the cart at the same time; try again") from None

    async def update(self, item: CartItem) -> None:
        await self._conn.execute(update(cart_items).where(cart_items.c.id == item.id).values(quantity=item.quantity))

    async def delete(self, item_id: UUID) -> None:
        await self._conn.execute(delete(cart_items).where(cart_items.c.id == item_id))

    async def clear(self, user_id: UUID) -> None:
        await self._conn.execute(delete(cart_items).where(cart_items.c.user_id == user_id))


def _to_line(row: RowMapping) -> OrderLine:
    return OrderLine(row["book_id"], row["title"], row["author"], Money(Decimal(row["unit_price"])), row["quantity"])


_ONE_ORDER_PER_KEY = "uq_orders_user_idempotency_key"
_KEY_TAKEN = "a checkout with this Idempotency-Key is already recorded"


class SqlOrderRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, order: Order) -> None:
        values = {
            "id": order.id,
            "user_id": order.user_id,
            "status": order.status.value,
            "total": order.total.amount,
            "currency": order.currency,
            "idempotency_key": order.idempotency_key,
            "created_at": order.created_at,
        }
        lines = [
            {
                "id": uuid.uuid4(),
                "order_id": order.id,
                "book_id": line.book_id,
                "title": line.title,
                "author": line.author,
                "unit_price": line.unit_price.amount,
                "quantity": line.quantity,
                "line_total": line.line_total.amount,
            }
            for line in order.lines
        ]
        order_row = insert(orders).values(values)
        # No savepoint: a refused insert ends the checkout, and its transaction with it.
        if lines and self._conn.dialect.name == "postgresql":
            try:  # the order and its lines in one statement (the lines' foreign keys are checked at its end)
                await self._conn.execute(insert(order_items).values(lines).add_cte(order_row.cte("placed")))
            except IntegrityError as error:
                if getattr(getattr(error.orig, "diag", None), "constraint_name", None) == _ONE_ORDER_PER_KEY:
                    raise Conflict(_KEY_TAKEN) from None
                raise
            return
        try:
            await self._conn.execute(order_row)
        except IntegrityError:
            raise Conflict(_KEY_TAKEN) from None
        if lines:
            await self._conn.execute(insert(order_items), lines)

    async def _with_lines(self, rows: Sequence[RowMapping]) -> list[Order]:
        ids = [row["id"] for row in rows]
        lines: dict[UUID, list[OrderLine]] = defaultdict(list)
        if ids:
            query = (
                select(order_items)
                .where(order_items.c.order_id.in_(ids))
                .order_by(order_items.c.order_id, order_items.c.title, order_items.c.book_id)
            )
            for row in (await self._conn.execute(query)).mappings():
                lines[row["order_id"]].append(_to_line(row))
        return [
            Order(
                id=row["id"],
                user_id=row["user_id"],
                status=OrderStatus(row["status"]),
                lines=lines[row["id"]],
                currency=row["currency"],
                created_at=row["created_at"],
                idempotency_key=row["idempotency_key"],
            )
            for row in rows
        ]

    async def _one(self, *where: Any) -> Order | None:
        rows = (await self._conn.execute(select(orders).where(*where))).mappings().all()
        found = await self._with_lines(rows)
        return found[0] if found else None

    async def get(self, order_id: UUID) -> Order | None:
        return await self._one(orders.c.id == order_id)

    async def by_key(self, user_id: UUID, idempotency_key: str) -> Order | None:
        return await self._one(orders.c.user_id == user_id, orders.c.idempotency_key == idempotency_key)

    async def search(
        self, *, user_id: UUID | None, status: OrderStatus | None, limit: int, offset: int
    ) -> tuple[Sequence[Order], int]:
        where = []
        if user_id is not None:
            where.append(orders.c.user_id == user_id)
        if status is not None:
            where.append(orders.c.status == status.value)
        total = (await self._conn.execute(select(func.count()).select_from(orders).where(*where))).scalar_one()
        query = (
            select(orders)
            .where(*where)
            .order_by(orders.c.created_at.desc(), orders.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        rows = (await self._conn.execute(query)).mappings().all()
        return await self._with_lines(rows), total


def _to_prebooking(row: RowMapping) -> PreBooking:
    return PreBooking(
        id=row["id"],
        user_id=row["user_id"],
        book_id=row["book_id"],
        status=PreBookingStatus(row["status"]),
        created_at=row["created_at"],
        notified_at=row["notified_at"],
    )


class SqlPreBookingRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, prebooking_id: UUID) -> PreBooking | None:
        row = (
            (await self._conn.execute(select(prebookings).where(prebookings.c.id == prebooking_id))).mappings().first()
        )
        return None if row is None else _to_prebooking(row)

    async def waiting(self, *, book_id: UUID, user_id: UUID | None = None, lock: bool = False) -> list[PreBooking]:
        query = select(prebookings).where(
            prebookings.c.book_id == book_id, prebookings.c.status == PreBookingStatus.WAITING.value
        )
        if user_id is not None:
            query = query.where(prebookings.c.user_id == user_id)
        query = query.order_by(prebookings.c.id)
        if lock:
            # A second restock blocked here re-checks `status` once the first commits, and skips those it notified.
            query = query.with_for_update()
        return [_to_prebooking(row) for row in (await self._conn.execute(query)).mappings()]

    async def add(self, prebooking: PreBooking) -> None:
        values = {
            "id": prebooking.id,
            "user_id": prebooking.user_id,
            "book_id": prebooking.book_id,
            "status": prebooking.status.value,
            "created_at": prebooking.created_at,
            "notified_at": prebooking.notified_at,
        }
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(insert(prebookings).values(values))
        except IntegrityError:
            raise AlreadyPrebooked("you are already waiting for this book") from None

    async def update(self, prebooking: PreBooking) -> None:
        await self._conn.execute(
            update(prebookings)
            .where(prebookings.c.id == prebooking.id)
            .values(status=prebooking.status.value, notified_at=prebooking.notified_at)
        )

    async def of_user(self, user_id: UUID, *, limit: int, offset: int) -> tuple[Sequence[PreBooking], int]:
        where = prebookings.c.user_id == user_id
        total = (await self._conn.execute(select(func.count()).select_from(prebookings).where(where))).scalar_one()
        query = (
            select(prebookings)
            .where(where)
            .order_by(prebookings.c.created_at.desc(), prebookings.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [_to_prebooking(row) for row in (await self._conn.execute(query)).mappings()], total
