"""Repositories: load and store aggregates inside a unit of work."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol
from uuid import UUID

from domain.catalog import Book
from domain.identity import Role, User


class UserRepository(Protocol):
    async def get(self, user_id: UUID, *, lock: bool = False) -> User | None: ...
    async def get_by_email(self, email: str) -> User | None: ...
    async def email_exists(self, email: str) -> bool: ...
    async def username_exists(self, username: str, *, exclude: UUID | None = None) -> bool: ...
    async def add(self, user: User) -> None:
        """Inserts; raises EmailTaken / UsernameTaken if a concurrent insert won the race."""

    async def update(self, user: User) -> None: ...
    async def delete(self, user_id: UUID) -> None: ...
    async def count_active_admins(self, *, lock: bool = False) -> int: ...
    async def search(
        self, *, q: str | None, role: Role | None, is_active: bool | None, limit: int, offset: int
    ) -> tuple[Sequence[User], int]: ...


class BookRepository(Protocol):
    async def get(self, book_id: UUID, *, lock: bool = False) -> Book | None: ...
    async def get_many(self, book_ids: Sequence[UUID], *, lock: bool = False) -> list[Book]:
        """Loads the books that exist, in id order; with `lock`, row locks are taken in that order."""

    async def with_isbns(self, isbns: Sequence[str]) -> list[Book]:
        """The books that have one of these ISBNs (whoever may see them), in one read."""

    async def add(self, book: Book) -> None: ...
    async def add_many(self, books: Sequence[Book]) -> None:
        """Inserts new books of distinct ids and ISBNs at once (as `add` each, in one statement)."""

    async def update(self, book: Book) -> None: ...
    async def take_stock(self, quantities: Mapping[UUID, int]) -> dict[UUID, int]:
        """Takes copies of these books out of stock, each only if that many are left, row locks in book-id
        order; raises InsufficientStock (and the caller's transaction rolls back) if any book is short.
        Gives the copies left of each book (under its row lock: as the commit will leave them)."""

    async def delete(self, book_id: UUID) -> None: ...
    async def isbn_taken(self, isbn: str, *, exclude: UUID | None = None) -> bool: ...
    async def by_isbn(self, isbn: str, *, exclude: UUID | None = None) -> Book | None: ...
    async def match_candidates(self, titles: Sequence[str], authors: Sequence[str]) -> list[Book]:
        """The books whose lower-cased title is one of `titles` or whose lower-cased author is one of
        `authors` (a library import and a reader's duplicate check compare them with domain.library.match_key)."""

    async def has_orders(self, book_id: UUID) -> bool:
        """Whether any order (whatever its status) holds a line of the book."""
