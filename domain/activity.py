"""A reader's activity: what they did, as entries made from the domain events that record it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar
from uuid import UUID

from domain.events import DomainEvent


class ActivityKind(StrEnum):
    SHELVED = "shelved"
    STATUS_CHANGED = "status-changed"
    PROGRESS = "progress"
    FINISHED = "finished"
    REVIEW_WRITTEN = "review-written"
    REVIEW_EDITED = "review-edited"
    REVIEW_DELETED = "review-deleted"
    BOOK_ADDED = "book-added"
    ORDERED = "ordered"
    PREBOOKED = "prebooked"
    GOAL_SET = "goal-set"
    LIBRARY_IMPORTED = "library-imported"


@dataclass(frozen=True, slots=True)
class Activity:
    """One entry of a user's activity; `book_id` is None when the entry is about no one book."""

    id: UUID
    user_id: UUID
    kind: ActivityKind
    at: datetime
    book_id: UUID | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Done:
    """What an activity event says about itself: who, when, which book, and the kind's details."""

    user_id: UUID
    at: datetime
    book_id: UUID | None
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ActivityEvent(DomainEvent):
    """A domain event that is also an entry of its actor's activity (see application/events.py)."""

    kind: ClassVar[ActivityKind]

    def done(self) -> Done:
        raise NotImplementedError

    def activity(self, entry_id: UUID) -> Activity:
        done = self.done()
        return Activity(entry_id, done.user_id, self.kind, done.at, done.book_id, done.detail)
