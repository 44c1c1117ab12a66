"""The store and the tracker as one product: a confirmed order marks its books `owned` on the buyer's shelf."""

from __future__ import annotations

from application.ports.uow import UnitOfWork
from domain.commerce import OrderConfirmed
from domain.events import DomainEvent


async def mark_owned(uow: UnitOfWork, event: DomainEvent) -> None:
    """In the checkout's transaction. Books not on the shelf are owned once placed there (AddToShelf asks)."""
    assert isinstance(event, OrderConfirmed)
    for book_id in sorted(set(event.book_ids)):
        entry = await uow.shelf.get(event.user_id, book_id, lock=True)
        if entry is not None and not entry.owned:
            entry.mark_owned(now=event.at)
            await uow.shelf.update(entry)
