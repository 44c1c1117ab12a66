"""In-transaction event handlers of readers' activity and of reviews' history."""

from __future__ import annotations

from application.ports.uow import UnitOfWork
from domain.activity import ActivityEvent
from domain.events import DomainEvent
from domain.ids import uuid7
from domain.reviews import ReviewEdited


async def record_activity(uow: UnitOfWork, event: DomainEvent) -> None:
    """Any ActivityEvent becomes an entry of its actor's activity, in the transaction that made it."""
    assert isinstance(event, ActivityEvent)
    await uow.activity.add(event.activity(uuid7()))


async def keep_replaced_version(uow: UnitOfWork, event: DomainEvent) -> None:
    """An edited review keeps the rating and text it replaced."""
    assert isinstance(event, ReviewEdited)
    await uow.review_history.add(event.replaced)
