"""The store over HTTP: cart, checkout, orders, pre-bookings, and every order for admins."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody

from application.commerce.cart import AddToCart, ChangeCartItem, RemoveCartItem
from application.commerce.checkout import MAX_IDEMPOTENCY_KEY, Checkout
from application.commerce.prebooks import CancelPreBooking, PreBook
from application.identity.tokens import Principal
from domain.commerce import OrderStatus
from entrypoints.bootstrap import Services
from entrypoints.http.auth import BEARER, requires_admin, requires_user
from entrypoints.http.pagination import Limit, Offset, Page
from entrypoints.http.problems import problem_responses
from entrypoints.http.schemas.commerce import (
    AddToCartIn,
    CartItemOut,
    CartOut,
    CartQuantityIn,
    OrderOut,
    OrderStatusName,
    PreBookIn,
    PreBookingOut,
)

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        min_length=1,
        max_length=MAX_IDEMPOTENCY_KEY,
        required=False,
        description="Repeat a checkout safely: the same key answers with the same order",
    ),
]


class CartController(Controller):
    path = "/cart"
    tags = ["cart"]
    guards = [requires_user]
    security = BEARER

    @get("/", responses=problem_responses(401))
    async def show(self, principal: NamedDependency[Principal], services: NamedDependency[Services]) -> CartOut:
        """The caller's cart at the books' current prices."""
        return CartOut.of(await services.commerce.cart(principal.user_id))

    @post("/items", responses=problem_responses(401, 404, 409, 422))
    async def add(
        self, data: JSONBody[AddToCartIn], principal: NamedDependency[Principal], services: NamedDependency[Services]
    ) -> Response[CartItemOut]:
        """Adds a book: 201 for a new line, 200 when the book was in the cart and its quantity grew."""
        line, created = await services.commerce.add_to_cart(AddToCart(principal.user_id, data.book_id, data.quantity))
        return Response(CartItemOut.of(line), status_code=201 if created else 200)

    @put("/items/{item_id:uuid}", responses=problem_responses(401, 404, 409, 422))
    async def change(
        self,
        item_id: FromPath[UUID],
        data: JSONBody[CartQuantityIn],
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
    ) -> CartItemOut:
        """Sets a line's quantity."""
        line = await services.commerce.change_cart_item(ChangeCartItem(principal.user_id, item_id, data.quantity))
        return CartItemOut.of(line)

    @delete("/items/{item_id:uuid}", status_code=204, responses=problem_responses(401, 404))
    async def remove(
        self, item_id: FromPath[UUID], principal: NamedDependency[Principal], services: NamedDependency[Services]
    ) -> None:
        """Takes a line out of the cart."""
        await services.commerce.remove_cart_item(RemoveCartItem(principal.user_id, item_id))


class OrdersController(Controller):
    path = "/orders"
    tags = ["orders"]
    guards = [requires_user]
    security = BEARER

    @post("/checkout", responses=problem_responses(401, 402, 403, 409, 422))
    async def checkout(
        self,
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[OrderOut]:
        """Pays for the cart: 201 with the new order, 200 with the earlier one for a repeated Idempotency-Key."""
        result = await services.commerce.checkout(Checkout(principal.user_id, idempotency_key))
        return Response(OrderOut.of(result.order), status_code=201 if result.created else 200)

    @get("/", responses=problem_responses(401, 422))
    async def mine(
        self,
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> Page[OrderOut]:
        """The caller's orders, newest first."""
        found, total = await services.commerce.orders(user_id=principal.user_id, limit=limit, offset=offset)
        return Page([OrderOut.of(order) for order in found], total, limit, offset)

    @get("/{order_id:uuid}", responses=problem_responses(401, 404))
    async def one(
        self, order_id: FromPath[UUID], principal: NamedDependency[Principal], services: NamedDependency[Services]
    ) -> OrderOut:
        """An order of the caller's (admins see any)."""
        order = await services.commerce.order(order_id, viewer_id=principal.user_id, viewer_is_admin=principal.is_admin)
        return OrderOut.of(order)


class AdminOrdersController(Controller):
    path = "/admin/orders"
    tags = ["admin"]
    guards = [requires_admin]
    security = BEARER

    @get("/", responses=problem_responses(401, 403, 422))
    async def every(
        self,
        services: NamedDependency[Services],
        status: FromQuery[OrderStatusName | None] = None,
        user_id: FromQuery[UUID | None] = None,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> Page[OrderOut]:
        """Every user's orders, newest first, optionally of one status or one user."""
        wanted = None if status is None else OrderStatus(status)
        found, total = await services.commerce.orders(user_id=user_id, status=wanted, limit=limit, offset=offset)
        return Page([OrderOut.of(order) for order in found], total, limit, offset)


class PreBookingsController(Controller):
    path = "/prebooks"
    tags = ["pre-bookings"]
    guards = [requires_user]
    security = BEARER

    @post("/", responses=problem_responses(401, 404, 409, 422))
    async def create(
        self, data: JSONBody[PreBookIn], principal: NamedDependency[Principal], services: NamedDependency[Services]
    ) -> PreBookingOut:
        """Waits for a sold-out book; its return is emailed."""
        return PreBookingOut.of(await services.commerce.prebook(PreBook(principal.user_id, data.book_id)))

    @get("/", responses=problem_responses(401, 422))
    async def mine(
        self,
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> Page[PreBookingOut]:
        """The caller's pre-bookings, newest first."""
        found, total = await services.commerce.prebookings(principal.user_id, limit=limit, offset=offset)
        return Page([PreBookingOut.of(view) for view in found], total, limit, offset)

    @delete("/{prebooking_id:uuid}", status_code=204, responses=problem_responses(401, 404))
    async def cancel(
        self, prebooking_id: FromPath[UUID], principal: NamedDependency[Principal], services: NamedDependency[Services]
    ) -> None:
        """Stops waiting for the book (the pre-booking is kept as CANCELLED)."""
        await services.commerce.cancel_prebooking(CancelPreBooking(principal.user_id, prebooking_id))
