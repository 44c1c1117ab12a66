from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

from application.catalog.visibility import visible_book
from application.ports.clock import Clock
from application.ports.shelf import ShelfItem
from application.ports.uow import UowFactory
from domain.shelf import ShelfEntry, ShelfStatus


@dataclass(frozen=True, slots=True)
class AddToShelf:
    user_id: UUID
    book_id: UUID
    status: ShelfStatus = ShelfStatus.WISHLIST


class AddToShelfHandler:
    """Puts a book on the reader's shelf (the wishlist is this with status WISHLIST)."""

    def __init__(self, *, uow: UowFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, cmd: AddToShelf) -> ShelfItem:
        async with self._uow() as uow:
            book = await visible_book(uow, cmd.book_id, cmd.user_id)
            owned = await uow.purchases.has_bought(cmd.user_id, cmd.book_id)
            entry = ShelfEntry.place(
                cmd.user_id, cmd.book_id, cmd.status, now=self._clock.now(), read_id=uuid4(), owned=owned
            )
            await uow.shelf.add(entry)
            uow.track(entry)  # BookShelved: the reader's activity
            review = await uow.reviews.get_live(cmd.user_id, cmd.book_id)
            await uow.commit()
        return ShelfItem(entry, book, review)
