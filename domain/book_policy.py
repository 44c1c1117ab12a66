"""Who may see, change, publish, price and delete a book: the rules of readers' own books."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.catalog import Book
from domain.errors import Conflict, Forbidden, NotFound
from domain.identity import Role


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is asking: a signed-in user and their role (anonymous callers are None)."""

    id: UUID
    role: Role

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_staff(self) -> bool:
        """MODERATOR or ADMIN: reviews readers' books (publishes, edits, deletes them)."""
        return self.role in (Role.MODERATOR, Role.ADMIN)


class BookPolicy:
    """The catalog is curated: readers never write published books; a reader's unpublished book is
    private to them and to the staff, and everyone else is told it does not exist."""

    @staticmethod
    def may_see(book: Book, viewer: Viewer | None) -> bool:
        if book.published:
            return True
        return viewer is not None and (viewer.is_staff or book.is_added_by(viewer.id))

    @classmethod
    def ensure_visible(cls, book: Book | None, viewer: Viewer | None) -> Book:
        if book is None or not cls.may_see(book, viewer):
            raise NotFound("book")
        return book

    @classmethod
    def may_change(cls, book: Book, viewer: Viewer | None) -> bool:
        if viewer is None or not cls.may_see(book, viewer):
            return False
        return viewer.is_staff or (not book.published and book.is_added_by(viewer.id))

    @classmethod
    def ensure_may_change(cls, book: Book | None, viewer: Viewer | None) -> Book:
        """404 where the viewer may not see the book, 403 where they see it but may not change it."""
        book = cls.ensure_visible(book, viewer)
        if not cls.may_change(book, viewer):
            raise Forbidden("only moderators and admins change a published book")
        return book

    @staticmethod
    def ensure_may_price(viewer: Viewer | None, *, field: str) -> None:
        """Price and stock are the store's: ADMIN only."""
        if viewer is None or not viewer.is_admin:
            raise Forbidden(f"only admins set a book's {field}")

    @classmethod
    def ensure_may_delete(cls, book: Book | None, viewer: Viewer | None, *, has_orders: bool) -> Book:
        book = cls.ensure_may_change(book, viewer)
        assert viewer is not None
        if has_orders and not viewer.is_admin:
            raise Conflict("the book has orders: only an admin may delete it")
        return book

    @staticmethod
    def ensure_may_publish(book: Book, viewer: Viewer | None) -> None:
        if viewer is None or not viewer.is_staff:
            raise Forbidden("only moderators and admins publish books")
