"""Which use-case code runs, inside the committing transaction, when a domain event is recorded."""

from __future__ import annotations

from application.activity.record import keep_replaced_version, record_activity
from application.commerce.prebooks import notify_waiting
from application.journal.owned import mark_owned
from application.ports.uow import EventHandler
from domain.catalog import BackInStock, BookAdded
from domain.commerce import OrderConfirmed, PreBooked
from domain.events import DomainEvent
from domain.journal import GoalSet, ReadFinished, ReadingProgressed
from domain.library import LibraryImported
from domain.reviews import ReviewDeleted, ReviewEdited, ReviewWritten
from domain.shelf import BookShelved, ShelfStatusChanged


def event_handlers() -> dict[type[DomainEvent], list[EventHandler]]:
    return {
        BackInStock: [notify_waiting],  # commerce: waiting pre-bookings are notified with the restock
        # activity (issue 17): a new kind is an ActivityEvent and one line here
        BookShelved: [record_activity],
        ShelfStatusChanged: [record_activity],
        ReviewWritten: [record_activity],
        ReviewEdited: [record_activity, keep_replaced_version],
        ReviewDeleted: [record_activity],
        BookAdded: [record_activity],
        OrderConfirmed: [record_activity, mark_owned],  # and the buyer's shelf entries of its books are owned
        PreBooked: [record_activity],
        ReadingProgressed: [record_activity],
        ReadFinished: [record_activity],
        GoalSet: [record_activity],
        LibraryImported: [record_activity],  # bring your library (issue 19): one entry per real run
    }
