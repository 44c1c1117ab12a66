"""Pre-bookings: wait for a sold-out book, cancel, and be told (once) when it is back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from application.catalog.visibility import visible_book
from application.mail import BACK_IN_STOCK, queue_mail
from application.ports.clock import Clock
from application.ports.uow import UnitOfWork, UowFactory
from domain.catalog import BackInStock, Book
from domain.commerce import PreBooking
from domain.errors import NotFound
from domain.events import DomainEvent


@dataclass(frozen=True, slots=True)
class PreBookingView:
    prebooking: PreBooking
    book: Book


@dataclass(frozen=True, slots=True)
class PreBook:
    user_id: UUID
    book_id: UUID


@dataclass(frozen=True, slots=True)
class CancelPreBooking:
    user_id: UUID
    prebooking_id: UUID


class PreBookHandler:
    """Only a sold-out book may be pre-booked, and only once at a time per user."""

    def __init__(self, *, uow: UowFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, cmd: PreBook) -> PreBookingView:
        async with self._uow() as uow:
            book = await visible_book(uow, cmd.book_id, cmd.user_id)
            waiting = await uow.prebookings.waiting(book_id=book.id, user_id=cmd.user_id)
            prebooking = PreBooking.open(
                book, cmd.user_id, waiting=waiting, prebooking_id=uuid4(), now=self._clock.now()
            )
            await uow.prebookings.add(prebooking)
            uow.track(prebooking)  # PreBooked: the reader's activity
            await uow.commit()
        return PreBookingView(prebooking, book)


class CancelPreBookingHandler:
    """Another user's pre-booking is not found."""

    def __init__(self, *, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(self, cmd: CancelPreBooking) -> None:
        async with self._uow() as uow:
            prebooking = await uow.prebookings.get(cmd.prebooking_id)
            if prebooking is None or prebooking.user_id != cmd.user_id:
                raise NotFound("pre-booking")
            prebooking.cancel()
            await uow.prebookings.update(prebooking)
            await uow.commit()


class _At:
    """A clock stopped at the stock change, so the mail and `notified_at` carry its time."""

    def __init__(self, moment: datetime) -> None:
        self._moment = moment

    def now(self) -> datetime:
        return self._moment


async def notify_waiting(uow: UnitOfWork, event: DomainEvent) -> None:
    """On BackInStock, in the restocking transaction: every WAITING pre-booking becomes NOTIFIED and mailed.

    The rows are locked, and a restock that waited for another re-reads them, so a user is told once.
    """
    assert isinstance(event, BackInStock)
    book = await uow.books.get(event.book_id)
    if book is None:
        return
    clock = _At(book.updated_at)
    for prebooking in await uow.prebookings.waiting(book_id=book.id, lock=True):
        if not prebooking.notify(clock.now()):
            continue
        await uow.prebookings.update(prebooking)
        user = await uow.users.get(prebooking.user_id)
        if user is not None:
            data = {"username": user.username, "book_id": str(book.id), "title": book.title}
            await queue_mail(uow, clock, BACK_IN_STOCK, user.email, data)
