"""Ports of readers' activity and of reviews' history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from domain.activity import Activity, ActivityKind
from domain.reviews import ReviewVersion


@dataclass(frozen=True, slots=True)
class BookRef:
    id: UUID
    title: str
    author: str


@dataclass(frozen=True, slots=True)
class ActivityItem:
    """An entry with its book as it is now (None when it names none, or the book was deleted)."""

    entry: Activity
    book: BookRef | None


class ActivityRepository(Protocol):
    async def add(self, entry: Activity) -> None: ...
    async def add_many(self, entries: Sequence[Activity]) -> None:
        """As `add` each, in one statement."""

    async def page(
        self, user_id: UUID, *, kind: ActivityKind | None, limit: int, offset: int
    ) -> tuple[Sequence[ActivityItem], int]:
        """The user's entries, newest first (ties: the later recorded first)."""


class ReviewHistory(Protocol):
    async def add(self, version: ReviewVersion) -> None: ...
    async def add_many(self, versions: Sequence[ReviewVersion]) -> None:
        """As `add` each, in one statement."""

    async def of_review(self, review_id: UUID) -> list[ReviewVersion]:
        """The versions an edit replaced, oldest first."""
