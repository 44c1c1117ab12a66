"""Readers' own books: who sees, changes, publishes and prices them, and that none is sold unpriced."""

from __future__ import annotations

from contextlib import suppress
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.book_policy import BookPolicy, Viewer
from domain.catalog import Book, Contributor, NotForSale
from domain.commerce import Cart, Order
from domain.errors import DomainError, Forbidden, NotFound
from domain.identity import Role
from domain.money import Money
from tests.support.builders import T0, a_book

OWNER = Viewer(uuid4(), Role.USER)
OTHER = Viewer(uuid4(), Role.USER)
MODERATOR = Viewer(uuid4(), Role.MODERATOR)
ADMIN = Viewer(uuid4(), Role.ADMIN)


def readers_book(**fields: object) -> Book:
    return a_book(price=None, published=False, added_by=Contributor(OWNER.id, "owner"), stock=0, **fields)


def test_an_unpublished_book_is_seen_by_its_reader_and_the_staff_only() -> None:
    book = readers_book()
    assert [BookPolicy.may_see(book, v) for v in (OWNER, MODERATOR, ADMIN, OTHER, None)] == [
        True, True, True, False, False,
    ]  # fmt: skip
    with pytest.raises(NotFound):
        BookPolicy.ensure_visible(book, OTHER)
    with pytest.raises(NotFound):
        BookPolicy.ensure_may_change(book, OTHER)  # 404, not 403: no existence leak


def test_its_reader_changes_it_until_it_is_published_then_only_the_staff() -> None:
    book = readers_book()
    assert BookPolicy.ensure_may_change(book, OWNER) is book
    book.publish(now=T0)
    for viewer in (OWNER, OTHER):
        with pytest.raises(Forbidden):
            BookPolicy.ensure_may_change(book, viewer)
    for viewer in (MODERATOR, ADMIN):
        assert BookPolicy.may_change(book, viewer)


def test_only_the_staff_publish_and_only_admins_price() -> None:
    book = readers_book()
    for viewer in (OWNER, OTHER, None):
        with pytest.raises(Forbidden):
            BookPolicy.ensure_may_publish(book, viewer)
    BookPolicy.ensure_may_publish(book, MODERATOR)
    for viewer in (OWNER, MODERATOR, None):
        with pytest.raises(Forbidden):
            BookPolicy.ensure_may_price(viewer, field="price")
    BookPolicy.ensure_may_price(ADMIN, field="price")


def test_a_book_with_orders_is_deleted_by_an_admin_only() -> None:
    book = readers_book()
    BookPolicy.ensure_may_delete(book, OWNER, has_orders=False)
    with pytest.raises(DomainError) as raised:
        BookPolicy.ensure_may_delete(book, MODERATOR, has_orders=True)
    assert raised.value.code == "conflict"
    BookPolicy.ensure_may_delete(book, ADMIN, has_orders=True)


def test_an_unpublished_book_cannot_be_priced() -> None:
    book = readers_book()
    with pytest.raises(NotForSale):
        book.set_price(Money.of("5.00"), now=T0)
    book.publish(now=T0)
    book.set_price(Money.of("5.00"), now=T0)
    assert book.for_sale


# Every action anyone can take on a reader's book, as the use cases apply them (the policy first).
ACTIONS = st.lists(
    st.sampled_from(["reader-prices", "moderator-publishes", "admin-prices", "admin-off-sale", "restock", "buy"]),
    max_size=30,
)


@given(actions=ACTIONS, quantity=st.integers(1, 3))
def test_no_sequence_of_actions_puts_an_unpriced_or_unpublished_book_into_an_order(
    actions: list[str], quantity: int
) -> None:
    book = readers_book()
    cart = Cart(OTHER.id)
    orders: list[Order] = []
    for action in actions:
        with suppress(DomainError):
            if action == "reader-prices":
                BookPolicy.ensure_may_price(OWNER, field="price")
                book.set_price(Money.of("3.00"), now=T0)
            elif action == "moderator-publishes":
                BookPolicy.ensure_may_publish(book, MODERATOR)
                book.publish(now=T0)
            elif action == "admin-prices":
                BookPolicy.ensure_may_price(ADMIN, field="price")
                book.set_price(Money.of("7.50"), now=T0)
            elif action == "admin-off-sale":
                book.set_price(None, now=T0)
            elif action == "restock":
                book.set_stock(book.stock + 5, now=T0)
            else:
                BookPolicy.ensure_visible(book, OTHER)
                cart.add(book, quantity, item_id=uuid4(), now=T0)
                order = Order.from_cart(cart, {book.id: book}, order_id=uuid4(), currency="USD", now=T0)
                order.confirm({book.id: book})
                orders.append(order)
                assert book.published  # at the moment it was sold
                assert book.price is not None
        assert book.price is None or book.published  # priced implies published, always
    for order in orders:
        assert all(line.unit_price == Money.of("7.50") for line in order.lines)  # only the admin's price
