from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.catalog.visibility import visible_book
from application.ports.catalog import books_changed
from application.ports.clock import Clock
from application.ports.shelf import ReviewItem
from application.ports.uow import UowFactory
from application.reviews.writing import create_review, writer
from domain.events import BooksChanged


@dataclass(frozen=True, slots=True)
class CreateReview:
    user_id: UUID
    book_id: UUID
    rating: int
    text: str | None = None


class CreateReviewHandler:
    """Writes the caller's one live review of a book and counts its rating on the book."""

    def __init__(self, *, uow: UowFactory, clock: Clock, require_verified_email: bool) -> None:
        self._uow = uow
        self._clock = clock
        self._require_verified_email = require_verified_email

    async def __call__(self, cmd: CreateReview) -> ReviewItem:
        async with self._uow() as uow:
            user = await writer(uow, cmd.user_id)
            book = await visible_book(uow, cmd.book_id, user.id, lock=True)
            review = await create_review(
                uow,
                user,
                book,
                rating=cmd.rating,
                text=cmd.text,
                now=self._clock.now(),
                require_verified_email=self._require_verified_email,
            )
            uow.record(BooksChanged(books_changed([book.id], ratings=True)))
            await uow.commit()
        return ReviewItem(review, user.username)
