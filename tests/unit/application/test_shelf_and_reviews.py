from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from application.reviews.create_review import CreateReview
from application.reviews.writing import withdraw_reviews_of
from application.shelf.add_to_shelf import AddToShelf
from application.shelf.update_entry import UpdateShelfEntry
from domain.errors import InvalidField
from domain.identity import EmailNotVerified
from domain.reviews import AlreadyReviewed, NotEligibleToReview
from domain.shelf import AlreadyOnShelf, ShelfStatus
from entrypoints.bootstrap import Services
from entrypoints.settings import Settings
from tests.support.builders import add_book, add_user
from tests.support.clock import FakeClock
from tests.support.settings import make_settings
from tests.support.shelf import Op, finish, play, record_purchase, review, stored_and_recomputed
from tests.support.wiring import fake_services

OPS = st.lists(
    st.tuples(st.integers(0, 2), st.sampled_from(["create", "update", "delete", "moderate"]), st.integers(1, 5)),
    max_size=20,
)


@settings(max_examples=60)
@given(ops=OPS)
async def test_stored_figures_equal_those_of_the_live_reviews(test_settings: Settings, ops: list[Op]) -> None:
    # A fresh store per example: the memory unit of work copies the whole store on each write.
    services = fake_services(test_settings, clock=FakeClock())
    readers = [await add_user(services) for _ in range(3)]
    book = await add_book(services)
    for user in readers:
        await finish(services, user.id, book.id)
    live = await play(services, readers, book.id, ops)
    stored, recomputed = await stored_and_recomputed(services, book.id)
    assert stored == recomputed
    assert sum(stored) == len(live)


async def test_shelf_moves_then_rates_through_one_review(memory_services: Services, clock: FakeClock) -> None:
    user = await add_user(memory_services)
    book = await add_book(memory_services)
    await memory_services.shelf.add(AddToShelf(user.id, book.id))
    with pytest.raises(AlreadyOnShelf):
        await memory_services.shelf.add(AddToShelf(user.id, book.id, ShelfStatus.READING))
    with pytest.raises(NotEligibleToReview):
        await memory_services.shelf.update(UpdateShelfEntry(user.id, book.id, rating=3))
    with pytest.raises(InvalidField):
        await memory_services.shelf.update(UpdateShelfEntry(user.id, book.id, ShelfStatus.COMPLETED, set_text=True))
    clock.advance(seconds=60)
    item = await memory_services.shelf.update(UpdateShelfEntry(user.id, book.id, ShelfStatus.COMPLETED, rating=3))
    assert item.review is not None
    assert item.entry.updated_at > item.entry.date_added
    clock.advance(seconds=60)
    rerated = await memory_services.shelf.update(UpdateShelfEntry(user.id, book.id, rating=4))
    assert rerated.entry.updated_at > item.entry.updated_at
    assert rerated.book.rating_counts == (0, 0, 0, 1, 0)
    with pytest.raises(AlreadyReviewed):
        await memory_services.reviews.create(CreateReview(user.id, book.id, 5))
    mine, total = await memory_services.reviews.of_user(user.id)
    assert total == 1
    assert mine[0].review.id == item.review.id


async def test_an_entrys_own_text_is_edited_without_a_rating_until_a_rating_makes_it_the_review(
    memory_services: Services,
) -> None:
    user = await add_user(memory_services)
    book = await add_book(memory_services)
    await memory_services.shelf.add(AddToShelf(user.id, book.id))
    with pytest.raises(InvalidField):  # no text of its own: a text alone is a review, which needs a rating
        await memory_services.shelf.update(UpdateShelfEntry(user.id, book.id, review_text="Maybe.", set_text=True))
    async with memory_services.uow() as uow:  # as an import leaves a review the rules refused
        entry = await uow.shelf.get(user.id, book.id, lock=True)
        assert entry is not None
        entry.keep_text("Imported.", now=memory_services.clock.now())
        await uow.shelf.update(entry)
        await uow.commit()
    # no review rules for the entry's own text: a wished book is not reviewable, its text is the reader's
    item = await memory_services.shelf.update(UpdateShelfEntry(user.id, book.id, review_text=" Maybe. ", set_text=True))
    assert (item.entry.review_text, item.review) == ("Maybe.", None)
    listed, _ = await memory_services.shelf.page(user.id, status=None, limit=10, offset=0)
    assert listed[0].entry.review_text == "Maybe."
    with pytest.raises(NotEligibleToReview):
        await memory_services.shelf.update(UpdateShelfEntry(user.id, book.id, rating=4))
    stored = await memory_services.shelf.page(user.id, status=None, limit=10, offset=0)
    assert stored[0][0].entry.review_text == "Maybe."  # a refused rating loses nothing
    rated = await memory_services.shelf.update(UpdateShelfEntry(user.id, book.id, ShelfStatus.COMPLETED, rating=4))
    assert rated.review is not None
    assert (rated.review.rating, rated.review.text, rated.entry.review_text) == (4, "Maybe.", None)
    edited = await memory_services.shelf.update(UpdateShelfEntry(user.id, book.id, review_text="Yes.", set_text=True))
    assert edited.review is not None
    assert (edited.review.text, edited.entry.review_text) == ("Yes.", None)  # with a review, the review's text


async def test_a_purchase_makes_a_verified_review(memory_services: Services) -> None:
    user = await add_user(memory_services)
    book = await add_book(memory_services)
    await record_purchase(memory_services, user.id, book.id)
    item = await memory_services.reviews.create(CreateReview(user.id, book.id, 5))
    assert item.review.verified_purchase


@pytest.fixture
async def lenient_services(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Services]:
    settings_ = make_settings(tmp_path / "var", require_verified_email="false")
    services = fake_services(settings_, clock=clock)
    yield services
    await services.aclose()


async def test_unverified_readers_write_only_when_the_policy_allows(
    memory_services: Services, lenient_services: Services
) -> None:
    for services, allowed in ((memory_services, False), (lenient_services, True)):
        user = await add_user(services, verified=False)
        book = await add_book(services)
        await finish(services, user.id, book.id)
        if allowed:
            assert (await services.reviews.create(CreateReview(user.id, book.id, 4))).review.rating == 4
        else:
            with pytest.raises(EmailNotVerified):
                await services.reviews.create(CreateReview(user.id, book.id, 4))


async def test_withdrawing_a_users_reviews_takes_their_ratings_off_the_books(
    memory_services: Services, clock: FakeClock
) -> None:
    leaving, staying = await add_user(memory_services), await add_user(memory_services)
    first, second = await add_book(memory_services), await add_book(memory_services)
    await review(memory_services, leaving.id, first.id, 5)
    await review(memory_services, leaving.id, second.id, 1)
    await review(memory_services, staying.id, first.id, 3)
    async with memory_services.uow() as uow:
        assert await withdraw_reviews_of(uow, leaving.id, now=clock.now()) == 2
        await uow.users.delete(leaving.id)
        await uow.commit()
    for book_id, expected in ((first.id, (0, 0, 1, 0, 0)), (second.id, (0, 0, 0, 0, 0))):
        stored, recomputed = await stored_and_recomputed(memory_services, book_id)
        assert stored == recomputed == expected
