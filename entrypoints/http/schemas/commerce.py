from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, cast
from uuid import UUID

import msgspec

from application.commerce.cart import CartLine, CartView
from application.commerce.prebooks import PreBookingView
from domain.commerce import MAX_QUANTITY, Order, OrderLine, PreBookingStatus
from domain.money import Money
from entrypoints.http.schemas.catalog import BookOut

#: The statuses a stored order can have (PENDING exists only inside a checkout).
OrderStatusName = Literal["CONFIRMED", "PAYMENT_FAILED"]
Quantity = Annotated[int, msgspec.Meta(ge=1, le=MAX_QUANTITY, description="Copies, 1 to 100")]


class AddToCartIn(msgspec.Struct):
    book_id: UUID
    quantity: Quantity = 1


class CartQuantityIn(msgspec.Struct):
    quantity: Quantity


class CartBookOut(msgspec.Struct):
    id: UUID
    title: str
    author: str
    price: str | None
    stock: int


def _money(amount: Money | None) -> str | None:
    return None if amount is None else str(amount)


class CartItemOut(msgspec.Struct):
    id: UUID
    book: CartBookOut
    quantity: int
    unit_price: str | None
    line_total: str | None

    @classmethod
    def of(cls, line: CartLine) -> CartItemOut:
        book = line.book
        return cls(
            id=line.item.id,
            book=CartBookOut(book.id, book.title, book.author, _money(book.price), book.stock),
            quantity=line.item.quantity,
            unit_price=_money(line.unit_price),
            line_total=_money(line.line_total),
        )


class CartOut(msgspec.Struct):
    items: list[CartItemOut]
    total: str
    currency: str

    @classmethod
    def of(cls, cart: CartView) -> CartOut:
        return cls([CartItemOut.of(line) for line in cart.lines], str(cart.total), cart.currency)


class OrderItemOut(msgspec.Struct):
    book_id: UUID
    title: str
    author: str
    unit_price: str
    quantity: int
    line_total: str

    @classmethod
    def of(cls, line: OrderLine) -> OrderItemOut:
        return cls(line.book_id, line.title, line.author, str(line.unit_price), line.quantity, str(line.line_total))


class OrderOut(msgspec.Struct):
    id: UUID
    status: OrderStatusName
    items: list[OrderItemOut]
    total: str
    currency: str
    created_at: datetime

    @classmethod
    def of(cls, order: Order) -> OrderOut:
        items = [OrderItemOut.of(line) for line in order.lines]
        status = cast(OrderStatusName, order.status.value)
        return cls(order.id, status, items, str(order.total), order.currency, order.created_at)


class PreBookIn(msgspec.Struct):
    book_id: UUID


class PreBookingOut(msgspec.Struct):
    id: UUID
    book: BookOut
    status: PreBookingStatus
    created_at: datetime
    notified_at: datetime | None

    @classmethod
    def of(cls, view: PreBookingView) -> PreBookingOut:
        p = view.prebooking
        return cls(p.id, BookOut.of(view.book), p.status, p.created_at, p.notified_at)
