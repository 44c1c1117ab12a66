"""Which use-case code runs, inside the committing transaction, when a domain event is recorded."""

from __future__ import annotations

from application.commerce.prebooks import notify_waiting
from application.journal.owned import mark_owned
from application.ports.uow import EventHandler
from domain.catalog import BackInStock
from domain.commerce import OrderConfirmed
from domain.events import DomainEvent


def event_handlers() -> dict[type[DomainEvent], list[EventHandler]]:
    return {
        BackInStock: [notify_waiting],  # commerce: waiting pre-bookings are notified with the restock
        OrderConfirmed: [mark_owned],  # reading journal: the buyer's shelf entries of its books are owned
    }
