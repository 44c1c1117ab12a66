"""The store's rules, without I/O: exact money, merge and quantity rules, stock never below zero."""

from __future__ import annotations

from contextlib import suppress
from decimal import Decimal
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.catalog import Book, InsufficientStock
from domain.commerce import (
    AlreadyPrebooked,
    BookInStock,
    Cart,
    CartEmpty,
    Order,
    OrderStatus,
    PreBooking,
    PreBookingStatus,
)
from domain.errors import Conflict, InvalidField, NotFound
from domain.money import Money
from tests.support.builders import T0, a_book

prices = st.integers(0, 99_999_99).map(lambda cents: Decimal(cents) / 100)
quantities = st.integers(1, 100)


def _cart_of(books: list[Book], quantities: list[int]) -> Cart:
    cart = Cart(uuid4())
    for book, qty in zip(books, quantities, strict=True):
        cart.add(book, qty, item_id=uuid4(), now=T0)
    return cart


@given(lines=st.lists(st.tuples(prices, quantities), min_size=1, max_size=12))
def test_cart_and_order_totals_are_exact_decimal_sums(lines: list[tuple[Decimal, int]]) -> None:
    books = [a_book(price=Money(price), stock=100) for price, _ in lines]
    cart = _cart_of(books, [qty for _, qty in lines])
    expected = sum((price * qty for price, qty in lines), Decimal(0))
    by_id = {book.id: book for book in books}

    assert cart.total(by_id).amount == expected
    order = Order.from_cart(cart, by_id, order_id=uuid4(), currency="USD", now=T0)
    assert order.total.amount == expected
    assert sum((line.line_total.amount for line in order.lines), Decimal(0)) == expected
    assert all(line.line_total.amount == line.unit_price.amount * line.quantity for line in order.lines)


def test_a_cent_is_never_lost_to_floats() -> None:
    book = a_book(price="0.10", stock=100)
    cart = _cart_of([book], [3])
    assert str(cart.total({book.id: book})) == "0.30"


@given(stock=st.integers(0, 40), first=quantities, second=quantities)
def test_the_same_book_again_merges_into_one_line_within_stock_and_100(stock: int, first: int, second: int) -> None:
    book = a_book(stock=stock)
    cart = Cart(uuid4())
    if first > stock:
        with pytest.raises(InsufficientStock):
            cart.add(book, first, item_id=uuid4(), now=T0)
        assert cart.items == []
        return
    cart.add(book, first, item_id=uuid4(), now=T0)
    wanted = first + second
    if wanted > 100:
        with pytest.raises(InvalidField):
            cart.add(book, second, item_id=uuid4(), now=T0)
    elif wanted > stock:
        with pytest.raises(InsufficientStock):
            cart.add(book, second, item_id=uuid4(), now=T0)
    else:
        item, created = cart.add(book, second, item_id=uuid4(), now=T0)
        assert not created
        assert item.quantity == wanted
    assert len(cart.items) == 1
    assert cart.items[0].quantity in {first, wanted}


@pytest.mark.parametrize("quantity", [0, -1, 101])
def test_quantity_outside_1_to_100_is_refused(quantity: int) -> None:
    with pytest.raises(InvalidField):
        Cart(uuid4()).add(a_book(stock=500), quantity, item_id=uuid4(), now=T0)


def test_changing_and_removing_lines() -> None:
    book = a_book(stock=5)
    cart = Cart(uuid4())
    item, _ = cart.add(book, 1, item_id=uuid4(), now=T0)
    assert cart.change(item.id, book, 5).quantity == 5
    with pytest.raises(InsufficientStock):
        cart.change(item.id, book, 6)
    cart.remove(item.id)
    with pytest.raises(NotFound):
        cart.remove(item.id)


def test_an_empty_cart_cannot_become_an_order() -> None:
    with pytest.raises(CartEmpty):
        Order.from_cart(Cart(uuid4()), {}, order_id=uuid4(), currency="USD", now=T0)


def test_one_short_line_refuses_the_whole_cart_and_takes_nothing() -> None:
    plenty, scarce = a_book(stock=10), a_book(stock=2)
    cart = _cart_of([plenty, scarce], [3, 2])
    scarce.stock = 1  # someone bought one in between
    with pytest.raises(InsufficientStock):
        Order.from_cart(cart, {plenty.id: plenty, scarce.id: scarce}, order_id=uuid4(), currency="USD", now=T0)
    assert (plenty.stock, scarce.stock) == (10, 1)


def test_the_order_keeps_the_price_it_was_bought_at() -> None:
    book = a_book(price="12.50", stock=3)
    cart = _cart_of([book], [2])
    order = Order.from_cart(cart, {book.id: book}, order_id=uuid4(), currency="EUR", now=T0)
    order.confirm({book.id: book})
    book.price = Money.of("99.99")
    assert (str(order.lines[0].unit_price), str(order.total), order.currency) == ("12.50", "25.00", "EUR")
    assert book.stock == 1


def test_a_declined_order_takes_no_stock_and_cannot_be_confirmed_later() -> None:
    book = a_book(stock=3)
    order = Order.from_cart(_cart_of([book], [2]), {book.id: book}, order_id=uuid4(), currency="USD", now=T0)
    order.fail_payment()
    assert order.status is OrderStatus.PAYMENT_FAILED
    with pytest.raises(Conflict):
        order.confirm({book.id: book})
    assert book.stock == 3


@given(
    stocks=st.lists(st.integers(0, 30), min_size=1, max_size=4),
    carts=st.lists(st.lists(st.tuples(st.integers(0, 3), st.integers(1, 12)), min_size=1, max_size=4), max_size=12),
    data=st.data(),
)
def test_any_interleaving_of_checkouts_never_takes_stock_below_zero(
    stocks: list[int], carts: list[list[tuple[int, int]]], data: st.DataObject
) -> None:
    books = [a_book(stock=s) for s in stocks]
    by_id = {book.id: book for book in books}
    order_of_arrival = data.draw(st.permutations(range(len(carts))))
    sold = dict.fromkeys(by_id, 0)
    for index in order_of_arrival:
        cart = Cart(uuid4())
        for book_index, qty in carts[index]:
            book = books[book_index % len(books)]
            with suppress(InsufficientStock):  # a cart line is refused when added, as the API does
                cart.add(book, qty, item_id=uuid4(), now=T0)
        with suppress(InsufficientStock, CartEmpty):
            before = {book.id: book.stock for book in books}
            order = Order.from_cart(cart, by_id, order_id=uuid4(), currency="USD", now=T0)
            order.confirm(by_id)
            for line in order.lines:
                sold[line.book_id] += line.quantity
                assert by_id[line.book_id].stock == before[line.book_id] - line.quantity
    for book, initial in zip(books, stocks, strict=True):
        assert book.stock >= 0
        assert book.stock + sold[book.id] == initial


def test_only_a_sold_out_book_can_be_prebooked_once_at_a_time() -> None:
    user = uuid4()
    with pytest.raises(BookInStock):
        PreBooking.open(a_book(stock=1), user, waiting=[], prebooking_id=uuid4(), now=T0)
    book = a_book(stock=0)
    first = PreBooking.open(book, user, waiting=[], prebooking_id=uuid4(), now=T0)
    with pytest.raises(AlreadyPrebooked):
        PreBooking.open(book, user, waiting=[first], prebooking_id=uuid4(), now=T0)
    first.cancel()
    again = PreBooking.open(book, user, waiting=[], prebooking_id=uuid4(), now=T0)
    assert again.status is PreBookingStatus.WAITING


def test_a_prebooking_is_notified_only_once() -> None:
    prebooking = PreBooking.open(a_book(stock=0), uuid4(), waiting=[], prebooking_id=uuid4(), now=T0)
    assert prebooking.notify(T0)
    assert not prebooking.notify(T0)
    assert (prebooking.status, prebooking.notified_at) == (PreBookingStatus.NOTIFIED, T0)
