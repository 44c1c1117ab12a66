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
from domain.reviews import check_text
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
    """Moves an entry and/or writes the reader's review of that book: the same review as POST /reviews.

    An entry that holds a text of its own (an imported review the rules refused) has it edited or cleared
    by a text sent without a rating (no review rules: nobody else sees it); a rating later makes that text
    the new review's, unless one is sent. Otherwise a text alone is a review, which needs a rating.
    """

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
            review = await uow.reviews.get_live(cmd.user_id, cmd.book_id)
            # Only an entry that has a text of its own (an import's refused review) edits it without a rating.
            own_text = review is None and cmd.rating is None and cmd.set_text and entry.review_text is not None
            new_text = None
            if own_text:
                entry.keep_text(check_text(cmd.review_text), now=now)
            elif cmd.touches_review:
                entry.touch(now=now)
                if review is None:  # a new review takes the entry's own text over, unless a text is sent
                    new_text = cmd.review_text if cmd.set_text else entry.review_text
                    entry.review_text = None
            await uow.shelf.update(entry)
            if cmd.touches_review and not own_text:
                if review is None:
                    if cmd.rating is None:
                        raise InvalidField("rating", "a review needs a rating")
                    review = await create_review(
                        uow,
                        user,
                        book,
                        rating=cmd.rating,
                        text=new_text,
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
                uow.record(BooksChanged(books_changed([book.id], ratings=True)))
            await uow.commit()
        return ShelfItem(entry, book, review)
