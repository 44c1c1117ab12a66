"""The store's ports, one suite run on the in-memory fakes and on SQL (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from adapters.memory.uow import MemoryUowFactory
from adapters.payments.simulated import SimulatedPaymentGateway
from adapters.sql.engine import make_engine
from adapters.sql.uow import SqlUowFactory
from application.events import event_handlers
from application.ports.commerce import PaymentRequest
from application.ports.uow import UowFactory
from domain.catalog import InsufficientStock
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
from domain.identity import User
from domain.money import Money
from tests.support.builders import T0, a_book


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    """`memory`, or the URL of a fresh SQLite or PostgreSQL database."""
    if request.param == "memory":
        return "memory"
    url: str = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    return url


@pytest.fixture
async def uow(backend: str) -> AsyncIterator[UowFactory]:
    if backend == "memory":
        yield MemoryUowFactory(handlers=event_handlers())
        return
    url = backend
    engine = make_engine(url, pool_size=2)
    yield SqlUowFactory(engine, handlers=event_handlers())
    await engine.dispose()


async def _user(uow: UowFactory) -> UUID:
    user = User(uuid4(), f"{uuid4().hex[:10]}@example.com", uuid4().hex[:10], "-", T0, is_verified=True)
    async with uow() as tx:
        await tx.users.add(user)
        await tx.commit()
    return user.id


async def _book(uow: UowFactory, **fields: object) -> UUID:
    book = a_book(**fields)
    async with uow() as tx:
        await tx.books.add(book)
        await tx.commit()
    return book.id


def _order(
    user_id: UUID, book_id: UUID, *, at: int = 0, key: str | None = None, status: OrderStatus = OrderStatus.CONFIRMED
) -> Order:
    lines = [OrderLine(book_id, "Title", "Author", Money(Decimal("19.99")), 3)]
    return Order(uuid4(), user_id, status, lines, "USD", T0 + timedelta(minutes=at), key)


async def test_cart_lines_are_stored_per_user_and_book(uow: UowFactory) -> None:
    me, other = await _user(uow), await _user(uow)
    first, second = await _book(uow), await _book(uow)
    line = CartItem(uuid4(), me, first, 2, T0)
    async with uow() as tx:
        await tx.carts.add(line)
        await tx.carts.add(CartItem(uuid4(), me, second, 1, T0 + timedelta(seconds=1)))
        await tx.carts.add(CartItem(uuid4(), other, first, 5, T0))
        await tx.commit()
    async with uow() as tx:
        with pytest.raises(Conflict):
            await tx.carts.add(CartItem(uuid4(), me, first, 1, T0))
    async with uow() as tx:
        line.quantity = 7
        await tx.carts.update(line)
        await tx.commit()
    async with uow(read_only=True) as tx:
        assert [(i.book_id, i.quantity) for i in await tx.carts.items_of(me)] == [(first, 7), (second, 1)]
    async with uow() as tx:
        await tx.carts.delete(line.id)
        await tx.commit()
    async with uow() as tx:
        assert [i.book_id for i in await tx.carts.items_of(me)] == [second]
        await tx.carts.clear(me)
        await tx.commit()
    async with uow(read_only=True) as tx:
        assert await tx.carts.items_of(me) == []
        assert [i.quantity for i in await tx.carts.items_of(other)] == [5]


async def test_a_cart_is_read_with_its_books_as_they_are_now(uow: UowFactory) -> None:
    me, other = await _user(uow), await _user(uow)
    first, second = await _book(uow, stock=3, title="First"), await _book(uow, stock=0, title="Second")
    async with uow() as tx:
        await tx.carts.add(CartItem(uuid4(), me, second, 1, T0 + timedelta(seconds=1)))
        await tx.carts.add(CartItem(uuid4(), me, first, 2, T0))
        await tx.carts.add(CartItem(uuid4(), other, first, 5, T0))
        await tx.commit()
    async with uow(read_only=True) as tx:
        items, books = await tx.carts.with_books(me)
        assert await tx.carts.with_books(uuid4()) == ([], {})
    assert [(i.book_id, i.quantity, i.user_id) for i in items] == [(first, 2, me), (second, 1, me)]
    assert {book_id: (b.title, b.stock) for book_id, b in books.items()} == {first: ("First", 3), second: ("Second", 0)}


async def test_orders_keep_their_lines_and_money_exactly(uow: UowFactory) -> None:
    me = await _user(uow)
    book = await _book(uow)
    order = _order(me, book, key="k1")
    async with uow() as tx:
        await tx.orders.add(order)
        await tx.commit()
    async with uow(read_only=True) as tx:
        found = await tx.orders.get(order.id)
        by_key = await tx.orders.by_key(me, "k1")
        assert await tx.orders.by_key(me, "other") is None
    assert found is not None
    assert by_key is not None
    assert by_key.id == order.id
    assert (found.status, found.currency, found.idempotency_key, found.created_at) == (
        OrderStatus.CONFIRMED,
        "USD",
        "k1",
        T0,
    )
    assert found.lines == order.lines
    assert str(found.total) == "59.97"


async def test_an_idempotency_key_is_unique_per_user(uow: UowFactory) -> None:
    me, other = await _user(uow), await _user(uow)
    book = await _book(uow)
    async with uow() as tx:
        await tx.orders.add(_order(me, book, key="same"))
        await tx.orders.add(_order(other, book, key="same"))
        await tx.orders.add(_order(me, book))
        await tx.orders.add(_order(me, book))  # no key: no limit
        await tx.commit()
    async with uow() as tx:
        with pytest.raises(Conflict):
            await tx.orders.add(_order(me, book, key="same"))


async def test_orders_are_searched_newest_first_with_filters(uow: UowFactory) -> None:
    me, other = await _user(uow), await _user(uow)
    book = await _book(uow)
    mine = [_order(me, book, at=n) for n in range(3)]
    failed = _order(me, book, at=5, status=OrderStatus.PAYMENT_FAILED)
    theirs = _order(other, book, at=4)
    async with uow() as tx:
        for order in [*mine, failed, theirs]:
            await tx.orders.add(order)
        await tx.commit()
    async with uow(read_only=True) as tx:
        page, total = await tx.orders.search(user_id=me, status=None, limit=2, offset=1)
        assert total == 4
        assert [o.id for o in page] == [mine[2].id, mine[1].id]
        every, total_all = await tx.orders.search(user_id=None, status=OrderStatus.CONFIRMED, limit=10, offset=0)
        assert total_all == 4
        assert [o.id for o in every] == [theirs.id, mine[2].id, mine[1].id, mine[0].id]
        assert all(o.lines for o in every)


async def test_take_stock_takes_only_the_copies_sold_and_no_other_column(uow: UowFactory) -> None:
    first, second = await _book(uow, stock=9, tags=["kept"]), await _book(uow, stock=2)
    async with uow() as tx:
        assert await tx.books.take_stock({second: 2, first: 4}) == {first: 5, second: 0}  # the copies left
        assert await tx.books.take_stock({first: 1}) == {first: 4}
        await tx.commit()
    async with uow(read_only=True) as tx:
        stored = {book.id: book for book in await tx.books.get_many([first, second])}
    assert (stored[first].stock, stored[first].tags, stored[second].stock) == (4, ["kept"], 0)


@pytest.mark.parametrize("short", ["the only book", "one of two"])
async def test_take_stock_refuses_a_book_short_of_copies_and_says_how_many_are_left(
    uow: UowFactory, short: str
) -> None:
    plenty, scarce = await _book(uow, stock=9), await _book(uow, stock=2)
    wanted = {scarce: 3} if short == "the only book" else {plenty: 1, scarce: 3}
    async with uow() as tx:
        with pytest.raises(InsufficientStock, match="2 left, 3 wanted"):
            await tx.books.take_stock(wanted)
    async with uow(read_only=True) as tx:
        stored = {book.id: book.stock for book in await tx.books.get_many([plenty, scarce])}
    assert stored == {plenty: 9, scarce: 2}


async def test_one_waiting_prebooking_per_user_and_book(uow: UowFactory) -> None:
    me, other = await _user(uow), await _user(uow)
    book = await _book(uow, stock=0)
    first = PreBooking(uuid4(), me, book, PreBookingStatus.WAITING, T0)
    async with uow() as tx:
        await tx.prebookings.add(first)
        await tx.prebookings.add(PreBooking(uuid4(), other, book, PreBookingStatus.WAITING, T0))
        await tx.commit()
    async with uow() as tx:
        with pytest.raises(AlreadyPrebooked):
            await tx.prebookings.add(PreBooking(uuid4(), me, book, PreBookingStatus.WAITING, T0))
    async with uow() as tx:
        first.cancel()
        await tx.prebookings.update(first)
        await tx.prebookings.add(PreBooking(uuid4(), me, book, PreBookingStatus.WAITING, T0 + timedelta(hours=1)))
        await tx.commit()
    async with uow(read_only=True) as tx:
        waiting = await tx.prebookings.waiting(book_id=book, lock=False)
        assert sorted(p.user_id for p in waiting) == sorted([me, other])
        assert [p.user_id for p in await tx.prebookings.waiting(book_id=book, user_id=me)] == [me]
        page, total = await tx.prebookings.of_user(me, limit=10, offset=0)
        assert total == 2
        assert [p.status for p in page] == [PreBookingStatus.WAITING, PreBookingStatus.CANCELLED]
        stored = await tx.prebookings.get(first.id)
    assert stored is not None
    assert stored.status is PreBookingStatus.CANCELLED


async def test_the_simulated_gateway_approves_up_to_its_limit() -> None:
    gateway = SimulatedPaymentGateway(Decimal("100.00"))

    def request(amount: str) -> PaymentRequest:
        return PaymentRequest(uuid4(), uuid4(), Money.of(amount), "USD", "key")

    assert (await gateway.charge(request("100.00"))).approved
    declined = await gateway.charge(request("100.01"))
    assert not declined.approved
    assert declined.reason
