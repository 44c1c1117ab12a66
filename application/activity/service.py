"""Readers' activity and reviews' history, one method each."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from application.activity.queries import ListActivity, list_activity, review_history
from application.ports.activity import ActivityItem
from application.ports.uow import UowFactory
from domain.book_policy import Viewer
from domain.reviews import ReviewVersion


class ActivityService:
    def __init__(self, *, uow: UowFactory) -> None:
        self._uow = uow

    async def of_user(self, cmd: ListActivity) -> tuple[Sequence[ActivityItem], int]:
        return await list_activity(self._uow, cmd)

    async def review_history(self, review_id: UUID, viewer: Viewer | None) -> list[ReviewVersion]:
        return await review_history(self._uow, review_id, viewer)
