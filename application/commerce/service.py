"""The store's use cases, one method each, every call on a fresh unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from application.commerce.cart import (
    AddToCart,
    AddToCartHandler,
    CartLine,
    CartView,
    ChangeCartItem,
    ChangeCartItemHandler,
    RemoveCartItem,
    RemoveCartItemHandler,
    view_cart,
)
from application.commerce.checkout import Checkout, CheckoutHandler, CheckoutResult
from application.commerce.prebooks import (
    CancelPreBooking,
    CancelPreBookingHandler,
    PreBook,
    PreBookHandler,
    PreBookingView,
)
from application.policy import Policy
from application.ports.clock import Clock
from application.ports.commerce import PaymentGateway
from application.ports.uow import UowFactory
from domain.commerce import Order, OrderStatus
from domain.errors import NotFound


class CommerceService:
    def __init__(self, *, uow: UowFactory, clock: Clock, payments: PaymentGateway, policy: Policy) -> None:
        self._uow = uow
        self._currency = policy.currency
        self._add_to_cart = AddToCartHandler(uow=uow, clock=clock)
        self._change_cart_item = ChangeCartItemHandler(uow=uow)
        self._remove_cart_item = RemoveCartItemHandler(uow=uow)
        self._checkout = CheckoutHandler(
            uow=uow,
            clock=clock,
            payments=payments,
            currency=policy.currency,
            require_verified_email=policy.require_verified_email,
        )
        self._prebook = PreBookHandler(uow=uow, clock=clock)
        self._cancel_prebooking = CancelPreBookingHandler(uow=uow)

    async def cart(self, user_id: UUID) -> CartView:
        return await view_cart(self._uow, user_id, currency=self._currency)

    async def add_to_cart(self, cmd: AddToCart) -> tuple[CartLine, bool]:
        return await self._add_to_cart(cmd)

    async def change_cart_item(self, cmd: ChangeCartItem) -> CartLine:
        return await self._change_cart_item(cmd)

    async def remove_cart_item(self, cmd: RemoveCartItem) -> None:
        await self._remove_cart_item(cmd)

    async def checkout(self, cmd: Checkout) -> CheckoutResult:
        return await self._checkout(cmd)

    async def order(self, order_id: UUID, *, viewer_id: UUID, viewer_is_admin: bool) -> Order:
        """The owner or an admin sees it; anyone else is told it does not exist."""
        async with self._uow(read_only=True) as uow:
            order = await uow.orders.get(order_id)
        if order is None or not (viewer_is_admin or order.user_id == viewer_id):
            raise NotFound("order")
        return order

    async def orders(
        self, *, user_id: UUID | None, status: OrderStatus | None = None, limit: int, offset: int
    ) -> tuple[Sequence[Order], int]:
        """Newest first; `user_id=None` is every user's (for admins)."""
        async with self._uow(read_only=True) as uow:
            return await uow.orders.search(user_id=user_id, status=status, limit=limit, offset=offset)

    async def prebook(self, cmd: PreBook) -> PreBookingView:
        return await self._prebook(cmd)

    async def cancel_prebooking(self, cmd: CancelPreBooking) -> None:
        await self._cancel_prebooking(cmd)

    async def prebookings(self, user_id: UUID, *, limit: int, offset: int) -> tuple[list[PreBookingView], int]:
        async with self._uow(read_only=True) as uow:
            found, total = await uow.prebookings.of_user(user_id, limit=limit, offset=offset)
            books = {book.id: book for book in await uow.books.get_many([p.book_id for p in found])}
        return [PreBookingView(p, books[p.book_id]) for p in found if p.book_id in books], total
