"""The review use cases and queries, one method each, every call on a fresh unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.ports.clock import Clock
from application.ports.shelf import ReviewItem, ReviewSort
from application.ports.uow import UowFactory
from application.reviews.change_review import DeleteReview, DeleteReviewHandler, ReviseReview, ReviseReviewHandler
from application.reviews.create_review import CreateReview, CreateReviewHandler
from domain.book_policy import BookPolicy, Viewer
from domain.errors import NotFound


@dataclass(frozen=True, slots=True)
class PublicProfile:
    """What anyone may see of a user: no email, no role."""

    id: UUID
    username: str
    created_at: datetime
    review_count: int


class ReviewsService:
    def __init__(self, *, uow: UowFactory, clock: Clock, require_verified_email: bool) -> None:
        self._uow = uow
        self._create = CreateReviewHandler(uow=uow, clock=clock, require_verified_email=require_verified_email)
        self._revise = ReviseReviewHandler(uow=uow, clock=clock, require_verified_email=require_verified_email)
        self._delete = DeleteReviewHandler(uow=uow, clock=clock)

    async def create(self, cmd: CreateReview) -> ReviewItem:
        return await self._create(cmd)

    async def revise(self, cmd: ReviseReview) -> ReviewItem:
        return await self._revise(cmd)

    async def delete(self, cmd: DeleteReview) -> None:
        await self._delete(cmd)

    async def of_book(
        self,
        book_id: UUID,
        *,
        viewer: Viewer | None = None,
        sort: ReviewSort = ReviewSort.NEWEST,
        limit: int = 20,
        offset: int = 0,
    ) -> tuple[Sequence[ReviewItem], int]:
        async with self._uow(read_only=True) as uow:
            BookPolicy.ensure_visible(await uow.books.get(book_id), viewer)  # unpublished: its readers only
            return await uow.reviews.of_book(book_id, sort=sort, limit=limit, offset=offset)

    async def of_user(self, user_id: UUID, *, limit: int = 20, offset: int = 0) -> tuple[Sequence[ReviewItem], int]:
        async with self._uow(read_only=True) as uow:
            return await uow.reviews.of_user(user_id, limit=limit, offset=offset)

    async def profile(self, user_id: UUID) -> PublicProfile:
        async with self._uow(read_only=True) as uow:
            user = await uow.users.get(user_id)
            if user is None:
                raise NotFound("user")
            count = await uow.reviews.count_of_user(user_id)
        return PublicProfile(user.id, user.username, user.created_at, count)
