from __future__ import annotations

from uuid import UUID

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from application.identity.tokens import Principal
from application.ports.shelf import ShelfSort
from application.shelf.add_to_shelf import AddToShelf
from application.shelf.remove_from_shelf import RemoveFromShelf
from application.shelf.update_entry import UpdateShelfEntry
from domain.shelf import ShelfStatus
from entrypoints.bootstrap import Services
from entrypoints.http.auth import BEARER, requires_user
from entrypoints.http.pagination import Limit, Offset, Page
from entrypoints.http.problems import problem_responses
from entrypoints.http.schemas.shelf import ShelfAddIn, ShelfEntryOut, ShelfPatchIn, WishlistIn


async def _page(
    services: Services,
    principal: Principal,
    status: ShelfStatus | None,
    limit: int,
    offset: int,
    sort: ShelfSort = ShelfSort.UPDATED,
) -> Page[ShelfEntryOut]:
    items, total = await services.shelf.page(principal.user_id, status=status, sort=sort, limit=limit, offset=offset)
    return Page([ShelfEntryOut.of(item) for item in items], total, limit, offset)


class ShelfController(Controller):
    """The caller's reading shelf."""

    path = "/my-library"
    tags = ["shelf"]
    guards = [requires_user]
    security = BEARER

    @get("/", responses=problem_responses(401, 422))
    async def list_entries(
        self,
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
        status: FromQuery[ShelfStatus | None] = None,
        sort: FromQuery[ShelfSort] = ShelfSort.UPDATED,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> Page[ShelfEntryOut]:
        """The caller's shelf entries, optionally of one status; last changed first unless `sort` says
        `title`, `-rating` (the caller's rating, unrated last) or `-date_added`."""
        return await _page(services, principal, status, limit, offset, sort)

    @post("/{book_id:uuid}", responses=problem_responses(401, 404, 409, 422))
    async def add(
        self,
        book_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
        data: JSONBody[ShelfAddIn | None] = None,
    ) -> ShelfEntryOut:
        """Puts a book on the shelf (status WISHLIST unless told); 409 `already-on-shelf`."""
        status = ShelfStatus.WISHLIST if data is None else data.status
        return ShelfEntryOut.of(await services.shelf.add(AddToShelf(principal.user_id, book_id, status)))

    @patch("/{book_id:uuid}", responses=problem_responses(401, 403, 404, 409, 422))
    async def update(
        self,
        book_id: FromPath[UUID],
        data: JSONBody[ShelfPatchIn],
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
    ) -> ShelfEntryOut:
        """Moves the entry and/or writes the caller's review of the book (same rules as POST /books/{id}/reviews)."""
        cmd = UpdateShelfEntry(
            principal.user_id,
            book_id,
            status=None if data.status is msgspec.UNSET else data.status,
            rating=None if data.rating is msgspec.UNSET else data.rating,
            review_text=None if data.review_text is msgspec.UNSET else data.review_text,
            set_text=data.review_text is not msgspec.UNSET,
        )
        return ShelfEntryOut.of(await services.shelf.update(cmd))

    @delete("/{book_id:uuid}", responses=problem_responses(401, 404))
    async def remove(
        self, book_id: FromPath[UUID], principal: NamedDependency[Principal], services: NamedDependency[Services]
    ) -> None:
        """Takes the book off the shelf; a review of it stays."""
        await services.shelf.remove(RemoveFromShelf(principal.user_id, book_id))


class WishlistController(Controller):
    """The caller's wishlist: a view of the shelf entries with status WISHLIST."""

    path = "/wishlist"
    tags = ["shelf"]
    guards = [requires_user]
    security = BEARER

    @get("/", responses=problem_responses(401, 422))
    async def list_wishes(
        self,
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> Page[ShelfEntryOut]:
        """The caller's shelf entries with status WISHLIST, newest first."""
        return await _page(services, principal, ShelfStatus.WISHLIST, limit, offset)

    @post("/", responses=problem_responses(401, 404, 409, 422))
    async def add(
        self, data: JSONBody[WishlistIn], principal: NamedDependency[Principal], services: NamedDependency[Services]
    ) -> ShelfEntryOut:
        """Puts a book on the shelf with status WISHLIST."""
        item = await services.shelf.add(AddToShelf(principal.user_id, data.book_id, ShelfStatus.WISHLIST))
        return ShelfEntryOut.of(item)

    @delete("/{book_id:uuid}", responses=problem_responses(401, 404))
    async def remove(
        self, book_id: FromPath[UUID], principal: NamedDependency[Principal], services: NamedDependency[Services]
    ) -> None:
        """Takes a wished book off the shelf (an entry READING or COMPLETED is not on the wishlist: 404)."""
        await services.shelf.remove(RemoveFromShelf(principal.user_id, book_id, only_status=ShelfStatus.WISHLIST))
