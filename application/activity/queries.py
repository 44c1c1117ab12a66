"""Reading activity and review history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from application.ports.activity import ActivityItem
from application.ports.uow import UowFactory
from domain.activity import ActivityKind
from domain.book_policy import BookPolicy, Viewer
from domain.errors import InvalidField, NotFound
from domain.reviews import ReviewVersion


@dataclass(frozen=True, slots=True)
class ListActivity:
    user_id: UUID
    kind: str | None = None
    limit: int = 20
    offset: int = 0


def _kind(raw: str | None) -> ActivityKind | None:
    if raw is None:
        return None
    try:
        return ActivityKind(raw)
    except ValueError:
        raise InvalidField("kind", f"must be one of {', '.join(k.value for k in ActivityKind)}") from None


async def list_activity(uow_factory: UowFactory, cmd: ListActivity) -> tuple[Sequence[ActivityItem], int]:
    kind = _kind(cmd.kind)
    async with uow_factory(read_only=True) as uow:
        if await uow.users.get(cmd.user_id) is None:
            raise NotFound("user")
        return await uow.activity.page(cmd.user_id, kind=kind, limit=cmd.limit, offset=cmd.offset)


async def review_history(uow_factory: UowFactory, review_id: UUID, viewer: Viewer | None) -> list[ReviewVersion]:
    """The earlier versions of a live review on a book the caller may see, oldest first."""
    async with uow_factory(read_only=True) as uow:
        review = await uow.reviews.get(review_id)
        if review is None:
            raise NotFound("review")
        BookPolicy.ensure_visible(await uow.books.get(review.book_id), viewer)
        return await uow.review_history.of_review(review.id)
