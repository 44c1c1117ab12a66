from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from adapters.memory.catalog import stored_row
from domain.catalog import Book
from domain.commerce import AlreadyPrebooked, CartItem, Order, OrderStatus, PreBooking, PreBookingStatus
from domain.errors import Conflict

if TYPE_CHECKING:
    from adapters.memory.uow import MemoryUnitOfWork


class MemoryCartRepository:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._rows: dict[UUID, CartItem] = uow.table("cart_items")
        self._books: dict[UUID, Book] = uow.table("books")

    async def items_of(self, user_id: UUID) -> list[CartItem]:
        found = [copy.copy(item) for item in self._rows.values() if item.user_id == user_id]
        return sorted(found, key=lambda item: (item.added_at, item.id))

    async def with_books(self, user_id: UUID) -> tuple[list[CartItem], dict[UUID, Book]]:
        items = await self.items_of(user_id)
        return items, {i.book_id: copy.deepcopy(self._books[i.book_id]) for i in items if i.book_id in self._books}

    async def add(self, item: CartItem) -> None:
        if any(i.user_id == item.user_id and i.book_id == item.book_id for i in self._rows.values()):
            raise Conflict("the book is already in the cart")
        self._rows[item.id] = copy.copy(item)

    async def update(self, item: CartItem) -> None:
        self._rows[item.id] = copy.copy(item)

    async def delete(self, item_id: UUID) -> None:
        self._rows.pop(item_id, None)

    async def clear(self, user_id: UUID) -> None:
        for item_id in [i.id for i in self._rows.values() if i.user_id == user_id]:
            del self._rows[item_id]


class MemoryOrderRepository:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._rows: dict[UUID, Order] = uow.table("orders")

    async def add(self, order: Order) -> None:
        key, user_id = order.idempotency_key, order.user_id
        if key is not None and user_id is not None and await self.by_key(user_id, key) is not None:
            raise Conflict("a checkout with this Idempotency-Key is already recorded")
        self._rows[order.id] = stored_row(order)

    async def get(self, order_id: UUID) -> Order | None:
        order = self._rows.get(order_id)
        return None if order is None else copy.deepcopy(order)

    async def by_key(self, user_id: UUID, idempotency_key: str) -> Order | None:
        for order in self._rows.values():
            if order.user_id == user_id and order.idempotency_key == idempotency_key:
                return copy.deepcopy(order)
        return None

    async def search(
        self, *, user_id: UUID | None, status: OrderStatus | None, limit: int, offset: int
    ) -> tuple[Sequence[Order], int]:
        found = [
            o
            for o in self._rows.values()
            if (user_id is None or o.user_id == user_id) and (status is None or o.status is status)
        ]
        found.sort(key=lambda o: (o.created_at, o.id), reverse=True)
        return [copy.deepcopy(o) for o in found[offset : offset + limit]], len(found)


class MemoryPreBookingRepository:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._rows: dict[UUID, PreBooking] = uow.table("prebookings")

    async def get(self, prebooking_id: UUID) -> PreBooking | None:
        found = self._rows.get(prebooking_id)
        return None if found is None else copy.copy(found)

    async def waiting(self, *, book_id: UUID, user_id: UUID | None = None, lock: bool = False) -> list[PreBooking]:
        found = [
            copy.copy(p)
            for p in self._rows.values()
            if p.book_id == book_id
            and p.status is PreBookingStatus.WAITING
            and (user_id is None or p.user_id == user_id)
        ]
        return sorted(found, key=lambda p: p.id)

    async def add(self, prebooking: PreBooking) -> None:
        if await self.waiting(book_id=prebooking.book_id, user_id=prebooking.user_id):
            raise AlreadyPrebooked("you are already waiting for this book")
        self._rows[prebooking.id] = stored_row(prebooking)

    async def update(self, prebooking: PreBooking) -> None:
        self._rows[prebooking.id] = stored_row(prebooking)

    async def of_user(self, user_id: UUID, *, limit: int, offset: int) -> tuple[Sequence[PreBooking], int]:
        found = [p for p in self._rows.values() if p.user_id == user_id]
        found.sort(key=lambda p: (p.created_at, p.id), reverse=True)
        return [copy.copy(p) for p in found[offset : offset + limit]], len(found)
