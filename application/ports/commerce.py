"""Ports of the store: carts, orders, pre-bookings, and the payment provider."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from domain.catalog import Book
from domain.commerce import CartItem, Order, OrderStatus, PreBooking
from domain.money import Money


class CartRepository(Protocol):
    async def items_of(self, user_id: UUID) -> list[CartItem]:
        """The user's cart lines, oldest first."""

    async def with_books(self, user_id: UUID) -> tuple[list[CartItem], dict[UUID, Book]]:
        """The user's cart lines, oldest first, and the books they hold as they are now (no row locks;
        a book gone from the catalog is missing)."""

    async def add(self, item: CartItem) -> None: ...
    async def update(self, item: CartItem) -> None: ...
    async def delete(self, item_id: UUID) -> None: ...
    async def clear(self, user_id: UUID) -> None: ...


class OrderRepository(Protocol):
    async def add(self, order: Order) -> None:
        """Inserts with its lines; raises Conflict if the user already used its idempotency key."""

    async def get(self, order_id: UUID) -> Order | None: ...
    async def by_key(self, user_id: UUID, idempotency_key: str) -> Order | None: ...
    async def search(
        self, *, user_id: UUID | None, status: OrderStatus | None, limit: int, offset: int
    ) -> tuple[Sequence[Order], int]:
        """Newest first."""


class PreBookingRepository(Protocol):
    async def get(self, prebooking_id: UUID) -> PreBooking | None: ...
    async def waiting(self, *, book_id: UUID, user_id: UUID | None = None, lock: bool = False) -> list[PreBooking]:
        """WAITING pre-bookings of a book (of one user, if given), in id order; `lock` takes row locks."""

    async def add(self, prebooking: PreBooking) -> None:
        """Inserts; raises AlreadyPrebooked if a concurrent insert won the race."""

    async def update(self, prebooking: PreBooking) -> None: ...
    async def of_user(self, user_id: UUID, *, limit: int, offset: int) -> tuple[Sequence[PreBooking], int]:
        """Newest first."""


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    order_id: UUID
    user_id: UUID
    amount: Money
    currency: str
    #: Lets a real provider refuse to charge the same checkout twice.
    idempotency_key: str


@dataclass(frozen=True, slots=True)
class PaymentResult:
    approved: bool
    reference: str
    reason: str = ""


class PaymentGateway(Protocol):
    """Takes a payment. A real provider plugs in here; the default one is simulated."""

    async def charge(self, request: PaymentRequest) -> PaymentResult: ...
