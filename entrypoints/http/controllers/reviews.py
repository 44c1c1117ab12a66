from __future__ import annotations

from uuid import UUID

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from application.identity.tokens import Principal
from application.ports.shelf import ReviewSort
from application.reviews.change_review import DeleteReview, ReviseReview
from application.reviews.create_review import CreateReview
from entrypoints.bootstrap import Services
from entrypoints.http.auth import BEARER, as_viewer, requires_user
from entrypoints.http.pagination import Limit, Offset, Page
from entrypoints.http.problems import problem_responses
from entrypoints.http.schemas.shelf import ProfileOut, ReviewIn, ReviewOut, ReviewPatchIn


class BookReviewsController(Controller):
    """A book's public reviews."""

    path = "/books/{book_id:uuid}/reviews"
    tags = ["reviews"]

    @get("/", responses=problem_responses(404, 422))
    async def list_reviews(
        self,
        book_id: FromPath[UUID],
        services: NamedDependency[Services],
        maybe_principal: NamedDependency[Principal | None],
        sort: FromQuery[ReviewSort] = ReviewSort.NEWEST,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> Page[ReviewOut]:
        """Live reviews of the book; `sort` is `-created_at` (default), `-rating` or `rating`."""
        viewer = as_viewer(maybe_principal)
        items, total = await services.reviews.of_book(book_id, viewer=viewer, sort=sort, limit=limit, offset=offset)
        return Page([ReviewOut.of(item) for item in items], total, limit, offset)

    @post("/", guards=[requires_user], security=BEARER, responses=problem_responses(401, 403, 404, 409, 422))
    async def create(
        self,
        book_id: FromPath[UUID],
        data: JSONBody[ReviewIn],
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
    ) -> ReviewOut:
        """The caller's review: needs a verified email and a purchase or a COMPLETED shelf entry."""
        item = await services.reviews.create(CreateReview(principal.user_id, book_id, data.rating, data.text))
        return ReviewOut.of(item)


class ReviewsController(Controller):
    """Changing and deleting one review."""

    path = "/reviews/{review_id:uuid}"
    tags = ["reviews"]
    guards = [requires_user]
    security = BEARER

    @patch("/", responses=problem_responses(401, 403, 404, 422))
    async def revise(
        self,
        review_id: FromPath[UUID],
        data: JSONBody[ReviewPatchIn],
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
    ) -> ReviewOut:
        """The author changes the rating or text; anyone else gets 403 (reviews are public)."""
        cmd = ReviseReview(
            principal.user_id,
            review_id,
            rating=None if data.rating is msgspec.UNSET else data.rating,
            text=None if data.text is msgspec.UNSET else data.text,
            set_text=data.text is not msgspec.UNSET,
        )
        return ReviewOut.of(await services.reviews.revise(cmd))

    @delete("/", responses=problem_responses(401, 403, 404))
    async def remove(
        self, review_id: FromPath[UUID], principal: NamedDependency[Principal], services: NamedDependency[Services]
    ) -> None:
        """Soft-deletes the review (author, MODERATOR or ADMIN); the book's rating figures follow at once."""
        await services.reviews.delete(DeleteReview(principal.user_id, review_id, moderator=principal.is_moderator))


class UserReviewsController(Controller):
    """Reviews seen from their authors: the caller's history and public profiles."""

    path = "/users"
    tags = ["users"]

    @get("/me/reviews", guards=[requires_user], security=BEARER, responses=problem_responses(401, 422))
    async def my_reviews(
        self,
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> Page[ReviewOut]:
        """The caller's live reviews, newest first."""
        items, total = await services.reviews.of_user(principal.user_id, limit=limit, offset=offset)
        return Page([ReviewOut.of(item) for item in items], total, limit, offset)

    @get("/{user_id:uuid}", responses=problem_responses(404))
    async def profile(self, user_id: FromPath[UUID], services: NamedDependency[Services]) -> ProfileOut:
        """A user's public profile: no email."""
        return ProfileOut.of(await services.reviews.profile(user_id))
