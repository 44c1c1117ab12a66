"""Reviews: one live review per reader and book, who may write one, who may change it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from domain.activity import ActivityEvent, ActivityKind, Done
from domain.errors import Conflict, Forbidden, InvalidField
from domain.events import DomainEvent
from domain.identity import User
from domain.shelf import ShelfEntry

RATING_MIN, RATING_MAX = 1, 5
TEXT_MAX = 5000


class AlreadyReviewed(Conflict):
    code = "already-reviewed"
    title = "Book already reviewed"


class NotEligibleToReview(Forbidden):
    code = "not-eligible-to-review"
    title = "Not eligible to review"


def check_rating(rating: int) -> int:
    if not RATING_MIN <= rating <= RATING_MAX:
        raise InvalidField("rating", f"must be between {RATING_MIN} and {RATING_MAX}")
    return rating


def check_text(text: str | None) -> str | None:
    if text is None:
        return None
    if len(text) > TEXT_MAX:
        raise InvalidField("text", f"must be at most {TEXT_MAX} characters")
    return text.strip() or None


def check_eligible(writer: User, *, bought: bool, shelf_entry: ShelfEntry | None, require_verified_email: bool) -> bool:
    """Raises unless `writer` may review the book; returns whether the review is a verified purchase."""
    writer.ensure_verified(required=require_verified_email)
    if bought:
        return True
    if shelf_entry is not None and shelf_entry.is_completed:
        return False
    raise NotEligibleToReview("buy the book or mark it COMPLETED on your shelf first")


@dataclass(frozen=True, slots=True)
class ReviewVersion:
    """A rating and text a review held until an edit replaced them."""

    review_id: UUID
    rating: int
    text: str | None
    replaced_at: datetime


@dataclass(frozen=True, slots=True)
class ReviewWritten(ActivityEvent):
    kind = ActivityKind.REVIEW_WRITTEN
    review_id: UUID
    user_id: UUID
    book_id: UUID
    rating: int
    at: datetime

    def done(self) -> Done:
        return Done(self.user_id, self.at, self.book_id, {"review_id": str(self.review_id), "rating": self.rating})


@dataclass(frozen=True, slots=True)
class ReviewEdited(ActivityEvent):
    """An edit replaced `replaced`: the review's history keeps it (see application/reviews/history.py)."""

    kind = ActivityKind.REVIEW_EDITED
    user_id: UUID
    book_id: UUID
    replaced: ReviewVersion
    rating: int

    def done(self) -> Done:
        detail = {
            "review_id": str(self.replaced.review_id),
            "rating": self.rating,
            "previous_rating": self.replaced.rating,
        }
        return Done(self.user_id, self.replaced.replaced_at, self.book_id, detail)


@dataclass(frozen=True, slots=True)
class ReviewDeleted(ActivityEvent):
    """Recorded for whoever deleted it: its author, or the moderator who took it down."""

    kind = ActivityKind.REVIEW_DELETED
    review_id: UUID
    user_id: UUID
    book_id: UUID
    by_author: bool
    at: datetime

    def done(self) -> Done:
        detail = {"review_id": str(self.review_id), "by_author": self.by_author}
        return Done(self.user_id, self.at, self.book_id, detail)


@dataclass(eq=False, slots=True)
class Review:
    """A reader's rating (and words) on a book. Deleting keeps the record, for audit."""

    id: UUID
    book_id: UUID
    user_id: UUID
    rating: int
    text: str | None
    verified_purchase: bool
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None
    events: list[DomainEvent] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def write(
        cls,
        review_id: UUID,
        *,
        book_id: UUID,
        user_id: UUID,
        rating: int,
        text: str | None,
        verified_purchase: bool,
        now: datetime,
    ) -> Review:
        review = cls(review_id, book_id, user_id, check_rating(rating), check_text(text), verified_purchase, now, now)
        review.events.append(ReviewWritten(review_id, user_id, book_id, review.rating, now))
        return review

    @property
    def is_live(self) -> bool:
        return self.deleted_at is None

    def ensure_owner(self, user_id: UUID) -> None:
        # Reviews are public, so someone else's is readable: changing it is 403, not 404.
        if user_id != self.user_id:
            raise Forbidden("only its author may change a review")

    def revise(self, *, by: UUID, rating: int | None, text: str | None, set_text: bool, now: datetime) -> None:
        """Changes the rating and/or the text (`set_text` tells a cleared text from an untouched one)."""
        self.ensure_owner(by)
        replaced = ReviewVersion(self.id, self.rating, self.text, now)
        if rating is not None:
            self.rating = check_rating(rating)
        if set_text:
            self.text = check_text(text)
        self.updated_at = now
        if (self.rating, self.text) != (replaced.rating, replaced.text):
            self.events.append(ReviewEdited(self.user_id, self.book_id, replaced, self.rating))

    def delete(self, *, by: UUID, moderator: bool, now: datetime) -> None:
        if not moderator and by != self.user_id:
            raise Forbidden("only its author or a moderator may delete a review")
        self.deleted_at = now
        self.updated_at = now
        self.events.append(ReviewDeleted(self.id, by, self.book_id, by == self.user_id, now))
