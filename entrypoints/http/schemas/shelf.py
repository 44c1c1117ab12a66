from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from application.ports.shelf import ReviewItem, ShelfItem
from application.reviews.service import PublicProfile
from domain.reviews import RATING_MAX, RATING_MIN, TEXT_MAX
from domain.shelf import ShelfStatus
from entrypoints.http.schemas.catalog import BookOut
from entrypoints.http.schemas.journal import ProgressOut

Rating = Annotated[int, msgspec.Meta(ge=RATING_MIN, le=RATING_MAX, description="Stars, 1 to 5")]
ReviewText = Annotated[str, msgspec.Meta(max_length=TEXT_MAX)]


class ShelfAddIn(msgspec.Struct):
    status: ShelfStatus = ShelfStatus.WISHLIST


class ShelfPatchIn(msgspec.Struct):
    """Absent fields stay as they are; `review_text: null` clears the text. With a review (written now or
    before) the text is the review's; without one it is the entry's own text, kept until a rating makes it
    the review."""

    status: ShelfStatus | msgspec.UnsetType = msgspec.UNSET
    rating: Rating | msgspec.UnsetType = msgspec.UNSET
    review_text: ReviewText | msgspec.UnsetType | None = msgspec.UNSET


class WishlistIn(msgspec.Struct):
    book_id: UUID


class ShelfEntryOut(msgspec.Struct):
    book: BookOut
    status: ShelfStatus
    rating: int | None
    review_text: str | None
    owned: bool
    read_count: int
    progress: ProgressOut | None
    date_added: datetime
    updated_at: datetime

    @classmethod
    def of(cls, item: ShelfItem) -> ShelfEntryOut:
        review = item.review
        return cls(
            book=BookOut.of(item.book),
            status=item.entry.status,
            rating=None if review is None else review.rating,
            review_text=item.entry.review_text if review is None else review.text,
            owned=item.entry.owned,
            read_count=item.entry.read_count,
            progress=ProgressOut.of(item.entry.progress),
            date_added=item.entry.date_added,
            updated_at=item.entry.updated_at,
        )


class ReviewIn(msgspec.Struct):
    rating: Rating
    text: ReviewText | None = None


class ReviewPatchIn(msgspec.Struct):
    """Absent fields stay as they are; `text: null` clears the text."""

    rating: Rating | msgspec.UnsetType = msgspec.UNSET
    text: ReviewText | msgspec.UnsetType | None = msgspec.UNSET


class ReviewerOut(msgspec.Struct):
    id: UUID
    username: str


class ReviewOut(msgspec.Struct):
    id: UUID
    book_id: UUID
    user: ReviewerOut
    rating: int
    text: str | None
    verified_purchase: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, item: ReviewItem) -> ReviewOut:
        r = item.review
        return cls(
            r.id, r.book_id, ReviewerOut(r.user_id, item.username), r.rating, r.text, r.verified_purchase,
            r.created_at, r.updated_at,
        )  # fmt: skip


class ProfileOut(msgspec.Struct):
    id: UUID
    username: str
    created_at: datetime
    review_count: int

    @classmethod
    def of(cls, profile: PublicProfile) -> ProfileOut:
        return cls(profile.id, profile.username, profile.created_at, profile.review_count)
