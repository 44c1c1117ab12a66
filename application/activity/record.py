"""In-transaction event handlers of readers' activity and of reviews' history."""

from __future__ import annotations

from collections.abc import Sequence

from application.ports.uow import Batched, UnitOfWork
from domain.activity import ActivityEvent
from domain.events import DomainEvent
from domain.ids import uuid7
from domain.reviews import ReviewEdited


async def _record_activity(uow: UnitOfWork, events: Sequence[DomainEvent]) -> None:
    entries = []
    for event in events:
        assert isinstance(event, ActivityEvent)
        entries.append(event.activity(uuid7()))
    await uow.activity.add_many(entries)


async def _keep_replaced_versions(uow: UnitOfWork, events: Sequence[DomainEvent]) -> None:
    versions = []
    for event in events:
        assert isinstance(event, ReviewEdited)
        versions.append(event.replaced)
    await uow.review_history.add_many(versions)


#: Any ActivityEvent becomes an entry of its actor's activity, in the transaction that made it.
record_activity = Batched(_record_activity)
#: An edited review keeps the rating and text it replaced.
keep_replaced_version = Batched(_keep_replaced_versions)
