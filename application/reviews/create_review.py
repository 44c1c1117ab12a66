from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.catalog.visibility import visible_book
from application.deps import Deps
from application.ports.catalog import books_changed
from application.ports.shelf import ReviewItem
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

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def __call__(self, cmd: CreateReview) -> ReviewItem:
        async with self._deps.uow() as uow:
            user = await writer(uow, cmd.user_id)
            book = await visible_book(uow, cmd.book_id, user.id, lock=True)
            review = await create_review(
                self._deps, uow, user, book, rating=cmd.rating, text=cmd.text, now=self._deps.clock.now()
            )
            uow.record(BooksChanged(books_changed([book.id])))  # ratings
            await uow.commit()
        return ReviewItem(review, user.username)
