"""Readers' own books, their activity and review history: the use cases over in-memory fakes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from application.activity.queries import ListActivity
from application.catalog.books import CreateBook, PublishBook, UpdateBook
from application.catalog.queries import ListBooks
from application.commerce.cart import AddToCart
from application.commerce.checkout import Checkout
from application.commerce.prebooks import PreBook
from application.reviews.change_review import DeleteReview, ReviseReview
from application.reviews.create_review import CreateReview
from application.shelf.add_to_shelf import AddToShelf
from application.shelf.update_entry import UpdateShelfEntry
from domain.book_policy import Viewer
from domain.catalog import DuplicateBook, NotForSale
from domain.errors import Forbidden, InvalidField, NotFound, RateLimited
from domain.identity import Role, User
from domain.shelf import ShelfStatus
from entrypoints.bootstrap import Services
from tests.support.builders import add_book, add_user
from tests.support.clock import FakeClock
from tests.support.settings import make_settings
from tests.support.wiring import fake_services


def as_viewer(user: User) -> Viewer:
    return Viewer(user.id, user.role)


async def test_a_readers_book_is_private_until_a_moderator_publishes_it(memory_services: Services) -> None:
    s = memory_services
    owner, other, moderator = await add_user(s), await add_user(s), await add_user(s, role=Role.MODERATOR)
    book = await s.catalog.create_book(CreateBook(as_viewer(owner), "Quiet Harbour", "Ann Lee"))
    assert (book.published, book.for_sale, book.added_by and book.added_by.id) == (False, False, owner.id)

    assert (await s.catalog.get_book(book.id, as_viewer(owner))).id == book.id
    with pytest.raises(NotFound):
        await s.catalog.get_book(book.id, as_viewer(other))
    with pytest.raises(NotFound):
        await s.catalog.get_book(book.id, None)
    assert (await s.catalog.list_books(ListBooks()))[1] == 0
    mine, total = await s.catalog.list_books(ListBooks(added_by="me", viewer=as_viewer(owner)))
    assert (total, [b.id for b in mine]) == (1, [book.id])
    assert (await s.catalog.list_books(ListBooks(added_by=str(owner.id), viewer=as_viewer(other))))[1] == 0
    waiting = await s.catalog.list_books(ListBooks(published=False, viewer=as_viewer(moderator)))
    assert waiting[1] == 1

    with pytest.raises(Forbidden):
        await s.catalog.publish_book(PublishBook(as_viewer(owner), book.id))
    await s.catalog.publish_book(PublishBook(as_viewer(moderator), book.id))
    assert (await s.catalog.get_book(book.id, None)).published
    with pytest.raises(Forbidden):  # published: now only the staff change it
        await s.catalog.update_book(UpdateBook(as_viewer(owner), book.id, {"title": "Loud Harbour"}))


async def test_price_and_stock_are_admins_and_only_a_published_book_is_sold(memory_services: Services) -> None:
    s = memory_services
    owner, admin, buyer = await add_user(s), await add_user(s, role=Role.ADMIN), await add_user(s)
    with pytest.raises(Forbidden):
        await s.catalog.create_book(CreateBook(as_viewer(owner), "Priced", "Me", price="1.00"))
    with pytest.raises(InvalidField):
        await s.catalog.create_book(CreateBook(as_viewer(admin), "Unpriced", "Admin"))
    book = await s.catalog.create_book(CreateBook(as_viewer(owner), "Mine", "Me"))
    with pytest.raises(NotForSale):  # an admin may not price it before it is published
        await s.catalog.update_book(UpdateBook(as_viewer(admin), book.id, {"price": "4.00"}))
    with pytest.raises(NotForSale):
        await s.commerce.add_to_cart(AddToCart(owner.id, book.id, 1))
    with pytest.raises(NotFound):  # someone else: not even there
        await s.commerce.add_to_cart(AddToCart(buyer.id, book.id, 1))

    await s.catalog.publish_book(PublishBook(as_viewer(admin), book.id))
    with pytest.raises(NotForSale):
        await s.commerce.prebook(PreBook(buyer.id, book.id))
    await s.catalog.update_book(UpdateBook(as_viewer(admin), book.id, {"price": "4.00", "stock": 2}))
    await s.commerce.add_to_cart(AddToCart(buyer.id, book.id, 1))
    await s.catalog.update_book(UpdateBook(as_viewer(admin), book.id, {"price": None}))  # off sale
    with pytest.raises(NotForSale):
        await s.commerce.checkout(Checkout(buyer.id))


async def test_duplicates_name_the_existing_book_only_to_who_may_see_it(memory_services: Services) -> None:
    s = memory_services
    owner, other = await add_user(s), await add_user(s)
    published = await add_book(s, title="Dune", author="Frank Herbert", isbn="9780306406157")
    with pytest.raises(DuplicateBook) as same_title:
        await s.catalog.create_book(CreateBook(as_viewer(owner), "DUNE", "frank herbert"))
    assert same_title.value.existing_id == published.id
    with pytest.raises(DuplicateBook) as punctuated:  # punctuation, accents and "Last, First" ignored too
        await s.catalog.create_book(CreateBook(as_viewer(owner), "Dune!", "Herbert, Frank"))
    assert punctuated.value.existing_id == published.id
    with pytest.raises(DuplicateBook) as same_isbn:
        await s.catalog.create_book(CreateBook(as_viewer(owner), "Other", "Other", isbn="0-306-40615-2"))
    assert same_isbn.value.existing_id == published.id

    own = await s.catalog.create_book(CreateBook(as_viewer(owner), "Mine", "Me", isbn="978-0-14-044913-6"))
    with pytest.raises(DuplicateBook) as again:
        await s.catalog.create_book(CreateBook(as_viewer(owner), "mine", "ME"))
    assert again.value.existing_id == own.id
    # Another reader may add the same title (the first is private), but the ISBN stays unique,
    # without naming a book they may not see.
    await s.catalog.create_book(CreateBook(as_viewer(other), "Mine", "Me"))
    with pytest.raises(DuplicateBook) as hidden:
        await s.catalog.create_book(CreateBook(as_viewer(other), "Theirs", "Me", isbn="9780140449136"))
    assert hidden.value.existing_id is None


@pytest.fixture
async def limited(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Services]:
    settings = make_settings(tmp_path / "var", rate_limit_books_per_user=3)
    wired = fake_services(settings, clock=clock)
    yield wired
    await wired.aclose()


async def test_readers_add_a_bounded_number_of_books_a_day(limited: Services, clock: FakeClock) -> None:
    reader, admin = as_viewer(await add_user(limited)), as_viewer(await add_user(limited, role=Role.ADMIN))
    for n in range(3):
        await limited.catalog.create_book(CreateBook(reader, f"Book {n}", "Me"))
    with pytest.raises(RateLimited):
        await limited.catalog.create_book(CreateBook(reader, "Book 3", "Me"))
    await limited.catalog.create_book(CreateBook(admin, "Admin's", "Them", price="1.00"))  # admins: no limit
    clock.advance(days=1)
    await limited.catalog.create_book(CreateBook(reader, "Book 3", "Me"))


async def kinds(s: Services, user: User, kind: str | None = None) -> list[str]:
    items, _ = await s.activity.of_user(ListActivity(user.id, kind, limit=100))
    return [item.entry.kind.value for item in items]


async def test_every_recorded_action_is_an_activity_entry_newest_first(memory_services: Services) -> None:
    s = memory_services
    reader = await add_user(s)
    book = await s.catalog.create_book(CreateBook(as_viewer(reader), "Own", "Me"))
    await s.shelf.add(AddToShelf(reader.id, book.id, ShelfStatus.READING))
    await s.shelf.update(UpdateShelfEntry(reader.id, book.id, status=ShelfStatus.COMPLETED))
    review = await s.reviews.create(CreateReview(reader.id, book.id, 3, "ok"))
    await s.reviews.revise(ReviseReview(reader.id, review.review.id, rating=4))
    await s.reviews.delete(DeleteReview(reader.id, review.review.id))
    sold = await add_book(s, price="5.00", stock=1)
    sold_out = await add_book(s, price="5.00", stock=0)
    await s.commerce.add_to_cart(AddToCart(reader.id, sold.id, 1))
    await s.commerce.checkout(Checkout(reader.id))
    await s.commerce.prebook(PreBook(reader.id, sold_out.id))

    assert await kinds(s, reader) == [
        "prebooked", "ordered", "review-deleted", "review-edited", "review-written", "finished", "status-changed",
        "shelved", "book-added",
    ]  # fmt: skip
    assert await kinds(s, reader, "review-edited") == ["review-edited"]
    items, _ = await s.activity.of_user(ListActivity(reader.id, "status-changed"))
    assert (items[0].book and items[0].book.title, items[0].entry.detail) == (
        "Own",
        {"from": "READING", "to": "COMPLETED"},
    )
    with pytest.raises(InvalidField):
        await kinds(s, reader, "nonsense")


async def test_an_edited_review_keeps_what_it_replaced(memory_services: Services, clock: FakeClock) -> None:
    s = memory_services
    reader = await add_user(s)
    book = await add_book(s)
    await s.shelf.add(AddToShelf(reader.id, book.id, ShelfStatus.COMPLETED))
    review = (await s.reviews.create(CreateReview(reader.id, book.id, 2, "meh"))).review
    clock.advance(minutes=1)
    await s.reviews.revise(ReviseReview(reader.id, review.id, rating=3))
    clock.advance(minutes=1)
    await s.reviews.revise(ReviseReview(reader.id, review.id, text="better", set_text=True))
    history = await s.activity.review_history(review.id, None)
    assert [(v.rating, v.text) for v in history] == [(2, "meh"), (3, "meh")]
    assert history[0].replaced_at < history[1].replaced_at
