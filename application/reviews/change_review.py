from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.ports.catalog import books_changed
from application.ports.clock import Clock
from application.ports.shelf import ReviewItem
from application.ports.uow import UnitOfWork, UowFactory
from application.reviews.writing import locked_book, revise_review, writer
from domain.catalog import Book
from domain.errors import NotFound
from domain.events import BooksChanged
from domain.reviews import Review


@dataclass(frozen=True, slots=True)
class ReviseReview:
    user_id: UUID
    review_id: UUID
    rating: int | None = None
    text: str | None = None
    set_text: bool = False


@dataclass(frozen=True, slots=True)
class DeleteReview:
    user_id: UUID
    review_id: UUID
    moderator: bool = False


async def _locked(uow: UnitOfWork, review_id: UUID) -> tuple[Review, Book]:
    """The review, read again once its book is locked: a racing change is seen, never lost."""
    found = await uow.reviews.get(review_id)
    if found is None:
        raise NotFound("review")
    book = await locked_book(uow, found.book_id)
    review = await uow.reviews.get(review_id)
    if review is None:
        raise NotFound("review")
    return review, book


class ReviseReviewHandler:
    """The author changes the rating or the text; the book's figures follow."""

    def __init__(self, *, uow: UowFactory, clock: Clock, require_verified_email: bool) -> None:
        self._uow = uow
        self._clock = clock
        self._require_verified_email = require_verified_email

    async def __call__(self, cmd: ReviseReview) -> ReviewItem:
        async with self._uow() as uow:
            user = await writer(uow, cmd.user_id)
            review, book = await _locked(uow, cmd.review_id)
            await revise_review(
                uow,
                user,
                book,
                review,
                rating=cmd.rating,
                text=cmd.text,
                set_text=cmd.set_text,
                now=self._clock.now(),
                require_verified_email=self._require_verified_email,
            )
            uow.record(BooksChanged(books_changed([book.id], ratings=True)))
            await uow.commit()
        return ReviewItem(review, user.username)


class DeleteReviewHandler:
    """Soft-deletes a review (author, moderator or admin) and takes its rating off the book."""

    def __init__(self, *, uow: UowFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, cmd: DeleteReview) -> None:
        async with self._uow() as uow:
            review, book = await _locked(uow, cmd.review_id)
            review.delete(by=cmd.user_id, moderator=cmd.moderator, now=self._clock.now())
            book.remove_rating(review.rating)
            await uow.reviews.update(review)
            uow.track(review)  # ReviewDeleted: the deleter's activity
            await uow.reviews.store_ratings(book)
            uow.record(BooksChanged(books_changed([book.id], ratings=True)))
            await uow.commit()
