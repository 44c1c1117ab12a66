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
from application.deps import Deps
from domain.commerce import Order, OrderStatus
from domain.errors import NotFound


class CommerceService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def cart(self, user_id: UUID) -> CartView:
        return await view_cart(self._deps, user_id)

    async def add_to_cart(self, cmd: AddToCart) -> tuple[CartLine, bool]:
        return await AddToCartHandler(self._deps)(cmd)

    async def change_cart_item(self, cmd: ChangeCartItem) -> CartLine:
        return await ChangeCartItemHandler(self._deps)(cmd)

    async def remove_cart_item(self, cmd: RemoveCartItem) -> None:
        await RemoveCartItemHandler(self._deps)(cmd)

    async def checkout(self, cmd: Checkout) -> CheckoutResult:
        return await CheckoutHandler(self._deps)(cmd)

    async def order(self, order_id: UUID, *, viewer_id: UUID, viewer_is_admin: bool) -> Order:
        """The owner or an admin sees it; anyone else is told it does not exist."""
        async with self._deps.uow(read_only=True) as uow:
            order = await uow.orders.get(order_id)
        if order is None or not (viewer_is_admin or order.user_id == viewer_id):
            raise NotFound("order")
        return order

    async def orders(
        self, *, user_id: UUID | None, status: OrderStatus | None = None, limit: int, offset: int
    ) -> tuple[Sequence[Order], int]:
        """Newest first; `user_id=None` is every user's (for admins)."""
        async with self._deps.uow(read_only=True) as uow:
            return await uow.orders.search(user_id=user_id, status=status, limit=limit, offset=offset)

    async def prebook(self, cmd: PreBook) -> PreBookingView:
        return await PreBookHandler(self._deps)(cmd)

    async def cancel_prebooking(self, cmd: CancelPreBooking) -> None:
        await CancelPreBookingHandler(self._deps)(cmd)

    async def prebookings(self, user_id: UUID, *, limit: int, offset: int) -> tuple[list[PreBookingView], int]:
        async with self._deps.uow(read_only=True) as uow:
            found, total = await uow.prebookings.of_user(user_id, limit=limit, offset=offset)
            books = {book.id: book for book in await uow.books.get_many([p.book_id for p in found])}
        return [PreBookingView(p, books[p.book_id]) for p in found if p.book_id in books], total
