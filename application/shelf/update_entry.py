from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

from application.ports.catalog import books_changed
from application.ports.clock import Clock
from application.ports.shelf import ShelfItem
from application.ports.uow import UowFactory
from application.reviews.writing import create_review, locked_book, revise_review, writer
from domain.errors import InvalidField, NotFound
from domain.events import BooksChanged
from domain.shelf import ShelfStatus


@dataclass(frozen=True, slots=True)
class UpdateShelfEntry:
    user_id: UUID
    book_id: UUID
    status: ShelfStatus | None = None
    rating: int | None = None
    review_text: str | None = None
    set_text: bool = False

    @property
    def touches_review(self) -> bool:
        return self.rating is not None or self.set_text


class UpdateShelfEntryHandler:
    """Moves an entry and/or writes the reader's review of that book: the same review as POST /reviews."""

    def __init__(self, *, uow: UowFactory, clock: Clock, require_verified_email: bool) -> None:
        self._uow = uow
        self._clock = clock
        self._require_verified_email = require_verified_email

    async def __call__(self, cmd: UpdateShelfEntry) -> ShelfItem:
        now = self._clock.now()
        async with self._uow() as uow:
            user = await writer(uow, cmd.user_id)
            # A review changes the book's figures: lock the book before anything else (fixed lock order).
            book = await locked_book(uow, cmd.book_id) if cmd.touches_review else await uow.books.get(cmd.book_id)
            entry = await uow.shelf.get(cmd.user_id, cmd.book_id, lock=True)
            if book is None or entry is None:
                raise NotFound("shelf entry")
            if cmd.status is not None:
                entry.move_to(cmd.status, now=now, read_id=uuid4())
                uow.track(entry)  # ShelfStatusChanged: the reader's activity
            if cmd.touches_review:
                entry.touch(now=now)
            await uow.shelf.update(entry)
            review = await uow.reviews.get_live(cmd.user_id, cmd.book_id)
            if cmd.touches_review:
                if review is None:
                    if cmd.rating is None:
                        raise InvalidField("rating", "a review needs a rating")
                    text = cmd.review_text if cmd.set_text else None
                    review = await create_review(
                        uow,
                        user,
                        book,
                        rating=cmd.rating,
                        text=text,
                        now=now,
                        require_verified_email=self._require_verified_email,
                    )
                else:
                    await revise_review(
                        uow,
                        user,
                        book,
                        review,
                        rating=cmd.rating,
                        text=cmd.review_text,
                        set_text=cmd.set_text,
                        now=now,
                        require_verified_email=self._require_verified_email,
                    )
                uow.record(BooksChanged(books_changed([book.id])))  # ratings
            await uow.commit()
        return ShelfItem(entry, book, review)
