"""Readers' activity (their own, and any user's for admins) and reviews' history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from application.activity.queries import ListActivity
from application.identity.tokens import Principal
from application.ports.activity import ActivityItem
from domain.reviews import ReviewVersion
from entrypoints.bootstrap import Services
from entrypoints.http.auth import BEARER, as_viewer, requires_admin, requires_user
from entrypoints.http.pagination import Limit, Offset
from entrypoints.http.problems import problem_responses

Kind = Annotated[str | None, QueryParameter(max_length=32, description="One kind of entry, e.g. `shelved`")]


class ActivityBookOut(msgspec.Struct):
    id: UUID
    title: str
    author: str


class ActivityOut(msgspec.Struct):
    id: UUID
    kind: str
    at: datetime
    book: ActivityBookOut | None
    detail: dict[str, Any]

    @classmethod
    def of(cls, item: ActivityItem) -> ActivityOut:
        e, b = item.entry, item.book
        book = None if b is None else ActivityBookOut(b.id, b.title, b.author)
        return cls(e.id, e.kind.value, e.at, book, e.detail)


class ActivityPage(msgspec.Struct):
    items: list[ActivityOut]
    total: int
    limit: int
    offset: int


class ReviewVersionOut(msgspec.Struct):
    rating: int
    text: str | None
    replaced_at: datetime

    @classmethod
    def of(cls, version: ReviewVersion) -> ReviewVersionOut:
        return cls(version.rating, version.text, version.replaced_at)


async def _page(services: Services, user_id: UUID, kind: str | None, limit: int, offset: int) -> ActivityPage:
    items, total = await services.activity.of_user(ListActivity(user_id, kind, limit, offset))
    return ActivityPage([ActivityOut.of(item) for item in items], total, limit, offset)


class MyActivityController(Controller):
    path = "/users/me/activity"
    tags = ["activity"]
    guards = [requires_user]
    security = BEARER

    @get("/", responses=problem_responses(401, 422))
    async def my_activity(
        self,
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
        kind: Kind = None,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> ActivityPage:
        """The caller's own activity, newest first; `kind` keeps one kind of entry."""
        return await _page(services, principal.user_id, kind, limit, offset)


class AdminActivityController(Controller):
    path = "/admin/users/{user_id:uuid}/activity"
    tags = ["admin"]
    guards = [requires_admin]
    security = BEARER

    @get("/", responses=problem_responses(401, 403, 404, 422))
    async def user_activity(
        self,
        user_id: FromPath[UUID],
        services: NamedDependency[Services],
        kind: Kind = None,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> ActivityPage:
        """Any user's activity, newest first (admins)."""
        return await _page(services, user_id, kind, limit, offset)


class ReviewHistoryController(Controller):
    path = "/reviews/{review_id:uuid}/history"
    tags = ["reviews"]

    @get("/", responses=problem_responses(404))
    async def review_history(
        self,
        review_id: FromPath[UUID],
        services: NamedDependency[Services],
        maybe_principal: NamedDependency[Principal | None],
    ) -> list[ReviewVersionOut]:
        """A live review's earlier versions, oldest first: each rating and text an edit replaced."""
        found = await services.activity.review_history(review_id, as_viewer(maybe_principal))
        return [ReviewVersionOut.of(version) for version in found]


ACTIVITY_ROUTES = [MyActivityController, AdminActivityController, ReviewHistoryController]
