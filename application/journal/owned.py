"""The store and the tracker as one product: a confirmed order marks its books `owned` on the buyer's shelf."""

from __future__ import annotations

from application.ports.uow import UnitOfWork
from domain.commerce import OrderConfirmed
from domain.events import DomainEvent


async def mark_owned(uow: UnitOfWork, event: DomainEvent) -> None:
    """In the checkout's transaction. Books not on the shelf are owned once placed there (AddToShelf asks)."""
    assert isinstance(event, OrderConfirmed)
    await uow.shelf.mark_owned(event.user_id, sorted(set(event.book_ids)), at=event.at)
