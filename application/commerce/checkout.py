"""Checkout: the cart becomes a paid order in one transaction, or nothing changes (a declined payment
keeps its order alone, as PAYMENT_FAILED)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from uuid import UUID, uuid4

from application.mail import ORDER_CONFIRMATION, queue_mail
from application.ports.catalog import books_changed
from application.ports.clock import Clock
from application.ports.commerce import PaymentGateway, PaymentRequest
from application.ports.uow import UnitOfWork, UowFactory
from domain.commerce import Cart, CartEmpty, Order, OrderStatus, PaymentFailed
from domain.errors import NotFound
from domain.events import BooksChanged
from domain.identity import User

#: Longest Idempotency-Key accepted (the column holds 255 characters).
MAX_IDEMPOTENCY_KEY = 255


@dataclass(frozen=True, slots=True)
class Checkout:
    user_id: UUID
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class CheckoutResult:
    order: Order
    #: False when an earlier checkout with the same Idempotency-Key is answered again.
    created: bool


def _replay(order: Order) -> CheckoutResult:
    if order.status is OrderStatus.PAYMENT_FAILED:
        raise PaymentFailed(f"the payment of order {order.id} was declined")
    return CheckoutResult(order, created=False)


class CheckoutHandler:
    """Locks the buyer; prices the cart from this request's read of its books; writes the order and all that
    follows from it; takes the stock last (the books' row locks are held only from there to the commit)."""

    def __init__(
        self, *, uow: UowFactory, clock: Clock, payments: PaymentGateway, currency: str, require_verified_email: bool
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._payments = payments
        self._currency = currency
        self._require_verified_email = require_verified_email

    async def __call__(self, cmd: Checkout) -> CheckoutResult:
        async with self._uow() as uow:
            # The buyer's row lock queues this user's checkouts, so a repeated Idempotency-Key
            # waits for the first and then finds its order instead of making a second one.
            user = await uow.users.get(cmd.user_id, lock=True)
            if user is None:
                raise NotFound("user")
            if cmd.idempotency_key is not None:
                earlier = await uow.orders.by_key(user.id, cmd.idempotency_key)
                if earlier is not None:
                    return _replay(earlier)
            user.ensure_verified(required=self._require_verified_email)
            # Priced and refused (sold out, off sale) from a read without row locks: nobody waits on the
            # books' locks for what follows, only for the stock taken at the end.
            items, books = await uow.carts.with_books(user.id)
            cart = Cart(user.id, items)
            if not cart.items:
                raise CartEmpty("add a book to the cart first")
            order = Order.from_cart(
                cart,
                books,
                order_id=uuid4(),
                currency=self._currency,
                now=self._clock.now(),
                idempotency_key=cmd.idempotency_key,
            )
            declined = replace(order, events=[])  # what is kept if the payment is declined
            order.confirm(books)
            uow.track(order)  # OrderConfirmed: the buyer's activity, and the shelf marks the books owned
            await uow.orders.add(order)
            await uow.carts.clear(user.id)
            await _confirmation_mail(self._clock, uow, user, order)
            await uow.dispatch()  # the buyer's activity and owned books now, before the books' row locks
            # Only where enough copies are left now, else InsufficientStock and nothing above is kept.
            left = await uow.books.take_stock({line.book_id: line.quantity for line in order.lines})
            # The books' figures changed; the lists filtered by stock only if one sold out.
            uow.record(BooksChanged(books_changed(left, ratings=False, sold_out=not all(left.values()))))
            # Charged once the copies are secured, so no refused checkout is ever charged.
            payment = await self._payments.charge(
                PaymentRequest(order.id, user.id, order.total, order.currency, cmd.idempotency_key or str(order.id))
            )
            if payment.approved:
                await uow.commit()
                return CheckoutResult(order, created=True)
        # Rolled back: stock, cart and outbox as they were; the declined order alone is kept.
        declined.fail_payment()
        async with self._uow() as uow:
            await uow.orders.add(declined)
            await uow.commit()
        raise PaymentFailed(f"the payment of order {order.id} was declined: {payment.reason}")


async def _confirmation_mail(clock: Clock, uow: UnitOfWork, user: User, order: Order) -> None:
    lines = [
        {
            "title": line.title,
            "quantity": line.quantity,
            "unit_price": str(line.unit_price),
            "line_total": str(line.line_total),
        }
        for line in order.lines
    ]
    data = {
        "username": user.username,
        "order_id": str(order.id),
        "lines": lines,
        "total": str(order.total),
        "currency": order.currency,
    }
    await queue_mail(uow, clock, ORDER_CONFIRMATION, user.email, data)
