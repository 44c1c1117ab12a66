"""What runs when a domain event is recorded: inside the committing transaction, and after the commit.

The composition root wires both maps into every unit of work; a use case only records events.
"""

from __future__ import annotations

from application.catalog.stale import MarkCatalogStale
from application.commerce.prebooks import notify_waiting
from application.delivery.relay_outbox import PublishQueuedMail
from application.ports.catalog import CatalogCache
from application.ports.outbox import Publisher
from application.ports.uow import EventHandler, Subscriber
from domain.catalog import BackInStock
from domain.events import BooksChanged, DomainEvent, MailQueued


def event_handlers() -> dict[type[DomainEvent], list[EventHandler]]:
    return {
        BackInStock: [notify_waiting],  # commerce: waiting pre-bookings are notified with the restock
    }


def after_commit_subscribers(
    *, publisher: Publisher, catalog_cache: CatalogCache
) -> dict[type[DomainEvent], list[Subscriber]]:
    return {
        MailQueued: [PublishQueuedMail(publisher)],  # delivery takes the committed outbox ids
        BooksChanged: [MarkCatalogStale(catalog_cache)],  # no stale catalog read after the write returns
    }
