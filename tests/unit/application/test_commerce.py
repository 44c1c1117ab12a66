"""The store's use cases over in-memory fakes: checkout all-or-nothing, idempotency, pre-bookings."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from application.commerce.cart import AddToCart, ChangeCartItem, RemoveCartItem
from application.commerce.checkout import Checkout
from application.commerce.prebooks import CancelPreBooking, PreBook
from application.ports.commerce import PaymentRequest, PaymentResult
from domain.catalog import InsufficientStock
from domain.commerce import AlreadyPrebooked, BookInStock, CartEmpty, OrderStatus, PaymentFailed, PreBookingStatus
from domain.errors import NotFound
from domain.identity import EmailNotVerified
from entrypoints.bootstrap import Services
from tests.support.builders import add_book, add_user
from tests.support.clock import FakeClock
from tests.support.commerce import outbox, restock, stock_of
from tests.support.wiring import fake_services


class CountingGateway:
    """Approves, and counts every charge (so a test can see that nothing was charged twice)."""

    def __init__(self) -> None:
        self.charges: list[PaymentRequest] = []

    async def charge(self, request: PaymentRequest) -> PaymentResult:
        self.charges.append(request)
        await asyncio.sleep(0)  # let the other checkouts run while this one is in flight
        return PaymentResult(True, f"ref-{len(self.charges)}")


async def test_checkout_takes_stock_snapshots_prices_empties_the_cart_and_queues_the_mail(
    memory_services: Services,
) -> None:
    s = memory_services
    user = await add_user(s)
    book = await add_book(s, price="19.99", stock=3)
    await s.commerce.add_to_cart(AddToCart(user.id, book.id, 2))

    result = await s.commerce.checkout(Checkout(user.id))

    order = result.order
    assert result.created
    assert order.status is OrderStatus.CONFIRMED
    assert (str(order.total), order.currency) == ("39.98", "USD")
    assert await stock_of(s, book.id) == 1
    assert (await s.commerce.cart(user.id)).lines == []
    [mail] = await outbox(s, "order-confirmation")
    assert mail.recipient == user.email
    assert mail.data["order_id"] == str(order.id)
    assert mail.data["total"] == "39.98"
    assert mail.data["lines"] == [{"title": book.title, "quantity": 2, "unit_price": "19.99", "line_total": "39.98"}]


async def test_a_short_line_changes_nothing(memory_services: Services) -> None:
    s = memory_services
    user = await add_user(s)
    plenty = await add_book(s, stock=5)
    scarce = await add_book(s, stock=2)
    await s.commerce.add_to_cart(AddToCart(user.id, plenty.id, 1))
    await s.commerce.add_to_cart(AddToCart(user.id, scarce.id, 2))
    await restock(s, scarce.id, 1)

    with pytest.raises(InsufficientStock):
        await s.commerce.checkout(Checkout(user.id))

    assert (await stock_of(s, plenty.id), await stock_of(s, scarce.id)) == (5, 1)
    assert len((await s.commerce.cart(user.id)).lines) == 2
    assert (await s.commerce.orders(user_id=user.id, limit=10, offset=0))[1] == 0
    assert await outbox(s, "order-confirmation") == []


async def test_a_declined_payment_keeps_a_failed_order_and_touches_nothing_else(
    test_settings: object, clock: FakeClock
) -> None:
    from msgspec.structs import replace

    settings = replace(test_settings, payment_limit=Decimal("50.00"))
    s = fake_services(settings, clock=clock)
    user = await add_user(s)
    book = await add_book(s, price="30.00", stock=5)
    await s.commerce.add_to_cart(AddToCart(user.id, book.id, 2))

    with pytest.raises(PaymentFailed):
        await s.commerce.checkout(Checkout(user.id, "key-1"))

    [order], _ = await s.commerce.orders(user_id=user.id, limit=10, offset=0)
    assert order.status is OrderStatus.PAYMENT_FAILED
    assert await stock_of(s, book.id) == 5
    assert len((await s.commerce.cart(user.id)).lines) == 1
    assert await outbox(s, "order-confirmation") == []
    with pytest.raises(PaymentFailed):  # the same key answers the same way, without a second order
        await s.commerce.checkout(Checkout(user.id, "key-1"))
    assert (await s.commerce.orders(user_id=user.id, limit=10, offset=0))[1] == 1


async def test_empty_cart_and_unverified_email_are_refused(memory_services: Services) -> None:
    s = memory_services
    with pytest.raises(CartEmpty):
        await s.commerce.checkout(Checkout((await add_user(s)).id))
    unverified = await add_user(s, verified=False)
    book = await add_book(s)
    await s.commerce.add_to_cart(AddToCart(unverified.id, book.id, 1))
    with pytest.raises(EmailNotVerified):
        await s.commerce.checkout(Checkout(unverified.id))


async def test_the_same_idempotency_key_at_once_gives_one_order_and_one_charge(
    test_settings: object, clock: FakeClock
) -> None:

    gateway = CountingGateway()
    s = fake_services(test_settings, clock=clock, payments=gateway)  # type: ignore[arg-type]
    user = await add_user(s)
    book = await add_book(s, stock=10)
    await s.commerce.add_to_cart(AddToCart(user.id, book.id, 1))

    results = await asyncio.gather(*(s.commerce.checkout(Checkout(user.id, "same")) for _ in range(5)))

    assert len({r.order.id for r in results}) == 1
    assert sorted(r.created for r in results) == [False, False, False, False, True]
    assert len(gateway.charges) == 1
    assert await stock_of(s, book.id) == 9


async def test_concurrent_checkouts_never_oversell(memory_services: Services) -> None:
    s = memory_services
    book = await add_book(s, stock=5)
    users = [await add_user(s) for _ in range(12)]
    for user in users:
        await s.commerce.add_to_cart(AddToCart(user.id, book.id, 1))

    outcomes = await asyncio.gather(*(s.commerce.checkout(Checkout(u.id)) for u in users), return_exceptions=True)

    assert sum(not isinstance(o, BaseException) for o in outcomes) == 5
    assert all(isinstance(o, InsufficientStock) for o in outcomes if isinstance(o, BaseException))
    assert await stock_of(s, book.id) == 0


async def test_cart_lines_belong_to_their_user(memory_services: Services) -> None:
    s = memory_services
    owner, other = await add_user(s), await add_user(s)
    book = await add_book(s, stock=5)
    line, created = await s.commerce.add_to_cart(AddToCart(owner.id, book.id, 1))
    assert created
    with pytest.raises(NotFound):
        await s.commerce.change_cart_item(ChangeCartItem(other.id, line.item.id, 2))
    with pytest.raises(NotFound):
        await s.commerce.remove_cart_item(RemoveCartItem(other.id, line.item.id))
    assert (await s.commerce.change_cart_item(ChangeCartItem(owner.id, line.item.id, 4))).item.quantity == 4


async def test_restock_notifies_each_waiting_user_once(memory_services: Services, clock: FakeClock) -> None:
    s = memory_services
    book = await add_book(s, stock=0)
    waiting, cancelled = await add_user(s), await add_user(s)
    first = await s.commerce.prebook(PreBook(waiting.id, book.id))
    with pytest.raises(AlreadyPrebooked):
        await s.commerce.prebook(PreBook(waiting.id, book.id))
    gone = await s.commerce.prebook(PreBook(cancelled.id, book.id))
    await s.commerce.cancel_prebooking(CancelPreBooking(cancelled.id, gone.prebooking.id))
    with pytest.raises(NotFound):
        await s.commerce.cancel_prebooking(CancelPreBooking(cancelled.id, first.prebooking.id))

    clock.advance(hours=1)
    await restock(s, book.id, 3)
    await restock(s, book.id, 0)
    await restock(s, book.id, 2)  # back again: nobody is waiting any more

    [mail] = await outbox(s, "back-in-stock")
    assert (mail.recipient, mail.data["title"], mail.data["book_id"]) == (waiting.email, book.title, str(book.id))
    [view], _ = await s.commerce.prebookings(waiting.id, limit=10, offset=0)
    assert (view.prebooking.status, view.prebooking.notified_at) == (PreBookingStatus.NOTIFIED, clock.now())
    with pytest.raises(BookInStock):
        await s.commerce.prebook(PreBook(waiting.id, book.id))


async def test_unverified_buyers_may_check_out_when_the_policy_allows(test_settings: object, clock: FakeClock) -> None:
    from msgspec.structs import replace

    settings = replace(test_settings, require_verified_email=False)
    s = fake_services(settings, clock=clock)
    user = await add_user(s, verified=False)
    book = await add_book(s, stock=1)
    await s.commerce.add_to_cart(AddToCart(user.id, book.id, 1))
    assert (await s.commerce.checkout(Checkout(user.id))).order.status is OrderStatus.CONFIRMED
