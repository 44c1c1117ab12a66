"""What runs when a domain event is recorded: inside the committing transaction, and after the commit.

The composition root wires both maps into every unit of work; a use case only records events.
"""

from __future__ import annotations

from application.catalog.stale import MarkCatalogStale
from application.delivery.relay_outbox import PublishQueuedMail
from application.ports.catalog import CatalogCache
from application.ports.outbox import Publisher
from application.ports.uow import Batched, EventHandler, Subscriber
from domain.events import BooksChanged, DomainEvent, MailQueued


def event_handlers() -> dict[type[DomainEvent], list[EventHandler | Batched]]:
    # Imported here, not with this module: `folio books import` wires `catalog_import_handlers` alone.
    from application.activity.record import keep_replaced_version, record_activity
    from application.commerce.prebooks import notify_waiting
    from application.journal.owned import mark_owned
    from domain.catalog import BackInStock, BookAdded
    from domain.commerce import OrderConfirmed, PreBooked
    from domain.journal import GoalSet, ReadFinished, ReadingProgressed
    from domain.library import LibraryImported
    from domain.reviews import ReviewDeleted, ReviewEdited, ReviewWritten
    from domain.shelf import BookShelved, ShelfStatusChanged

    return {
        BackInStock: [notify_waiting],  # commerce: waiting pre-bookings are notified with the restock
        # activity: a new kind is an ActivityEvent and one line here
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
        LibraryImported: [record_activity],  # bring your library: one entry per real run
    }


def catalog_import_handlers() -> dict[type[DomainEvent], list[EventHandler | Batched]]:
    """`event_handlers()`' entries for what a CSV import records, for a process that only imports (the
    command line): a restock notifies the waiting pre-bookings, whose mails are MailQueued; BooksChanged
    and MailQueued have subscribers only. Importing every other handler and event cost a one-row
    `folio books import` 30-50 ms of CPU. tests/unit/application/test_import_events.py holds the two
    maps to the same handlers for every kind an import records."""
    from application.commerce.prebooks import notify_waiting
    from domain.catalog import BackInStock

    return {BackInStock: [notify_waiting]}


def after_commit_subscribers(
    *, publisher: Publisher, catalog_cache: CatalogCache
) -> dict[type[DomainEvent], list[Subscriber]]:
    return {
        MailQueued: [PublishQueuedMail(publisher)],  # delivery takes the committed outbox ids
        BooksChanged: [MarkCatalogStale(catalog_cache)],  # no stale catalog read after the write returns
    }
