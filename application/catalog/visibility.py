"""Reading a book on behalf of someone: the BookPolicy's visibility, for every use case that takes a book id."""

from __future__ import annotations

from uuid import UUID

from application.ports.uow import UnitOfWork
from domain.book_policy import BookPolicy, Viewer
from domain.catalog import Book


async def viewer_of(uow: UnitOfWork, user_id: UUID) -> Viewer | None:
    user = await uow.users.get(user_id)
    return None if user is None else Viewer(user.id, user.role)


async def visible_book(uow: UnitOfWork, book_id: UUID, user_id: UUID, *, lock: bool = False) -> Book:
    """The book, or NotFound where `user_id` may not see it (someone else's unpublished book)."""
    book = await uow.books.get(book_id, lock=lock)
    if book is None or book.published:
        return BookPolicy.ensure_visible(book, None)
    return BookPolicy.ensure_visible(book, await viewer_of(uow, user_id))
