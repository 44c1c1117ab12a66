"""The reading tracker's ports, run against the in-memory fakes and the SQL adapters alike."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from application.ports.shelf import ShelfSort
from domain.reviews import AlreadyReviewed, Review
from domain.shelf import AlreadyOnShelf, ShelfEntry, ShelfStatus
from entrypoints.bootstrap import Services
from tests.support.builders import T0, add_book, add_user
from tests.support.shelf import record_purchase


async def test_only_a_confirmed_order_of_that_book_by_that_user_is_a_purchase(backend: Services) -> None:
    buyer, other = await add_user(backend), await add_user(backend)
    bought, not_bought, failed = await add_book(backend), await add_book(backend), await add_book(backend)
    await record_purchase(backend, buyer.id, bought.id)
    await record_purchase(backend, buyer.id, failed.id, status="PAYMENT_FAILED")
    async with backend.uow(read_only=True) as uow:
        assert await uow.purchases.has_bought(buyer.id, bought.id)
        assert not await uow.purchases.has_bought(buyer.id, not_bought.id)
        assert not await uow.purchases.has_bought(buyer.id, failed.id)
        assert not await uow.purchases.has_bought(other.id, bought.id)


def _review(user_id: UUID, book_id: UUID, rating: int = 3) -> Review:
    return Review.write(
        uuid4(), book_id=book_id, user_id=user_id, rating=rating, text=None, verified_purchase=False, now=T0
    )


async def test_the_store_itself_keeps_one_live_review_per_user_and_book(backend: Services) -> None:
    user = await add_user(backend)
    book = await add_book(backend)
    first = _review(user.id, book.id)
    async with backend.uow() as uow:
        await uow.reviews.add(first)
        await uow.commit()
    async with backend.uow() as uow:  # no check in code here: the store must refuse it
        with pytest.raises(AlreadyReviewed):
            await uow.reviews.add(_review(user.id, book.id))
    async with backend.uow() as uow:
        stored = await uow.reviews.get(first.id)
        assert stored is not None
        stored.delete(by=user.id, moderator=False, now=T0)
        await uow.reviews.update(stored)
        await uow.reviews.add(_review(user.id, book.id, rating=5))
        await uow.commit()
    async with backend.uow(read_only=True) as uow:
        assert await uow.reviews.get(first.id) is None
        live = await uow.reviews.get_live(user.id, book.id)
        assert live is not None
        assert live.rating == 5
        assert await uow.reviews.count_of_user(user.id) == 1


async def test_one_entry_per_book_and_a_deleted_book_leaves_no_trace(backend: Services) -> None:
    user = await add_user(backend)
    book = await add_book(backend)
    async with backend.uow() as uow:
        await uow.shelf.add(ShelfEntry.place(user.id, book.id, ShelfStatus.READING, now=T0, read_id=uuid4()))
        await uow.reviews.add(_review(user.id, book.id))
        await uow.commit()
    async with backend.uow() as uow:
        with pytest.raises(AlreadyOnShelf):
            await uow.shelf.add(ShelfEntry.place(user.id, book.id, ShelfStatus.WISHLIST, now=T0, read_id=uuid4()))
    async with backend.uow() as uow:
        await uow.books.delete(book.id)
        await uow.commit()
    async with backend.uow(read_only=True) as uow:
        assert await uow.shelf.get(user.id, book.id) is None
        assert (await uow.shelf.page(user.id, status=None, sort=ShelfSort.UPDATED, limit=10, offset=0))[1] == 0
        assert (await uow.reviews.of_user(user.id, limit=10, offset=0))[1] == 0
        assert await uow.reviews.count_of_user(user.id) == 0
