"""Ports of the CSV import: progress records, the stored upload, the bulk writer and the job queue."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.catalog import Book, Genre
from domain.imports import ImportProgress


class ImportProgressStore(Protocol):
    """Keeps progress records where every API process can read them (they expire after 7 days)."""

    async def save(self, progress: ImportProgress) -> None: ...
    async def get(self, import_id: UUID) -> ImportProgress | None: ...


class ImportQueue(Protocol):
    """Hands an import to a worker; returns at once."""

    async def enqueue(self, import_id: UUID) -> None: ...


class ImportFileRepository(Protocol):
    """An uploaded file, kept in numbered chunks until its import is over."""

    async def add_chunk(self, import_id: UUID, seq: int, data: bytes) -> None: ...
    async def chunk(self, import_id: UUID, seq: int) -> bytes | None: ...
    async def delete(self, import_id: UUID) -> None: ...


class BookImportRepository(Protocol):
    """Bulk reads and writes for one batch of imported rows."""

    async def ids_by_isbn(self, isbns: Sequence[str]) -> dict[str, UUID]: ...
    async def existing_keys(self, keys: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which lower-cased (title, author) pairs some book already has."""

    async def genres(self, names: Sequence[str], *, now: datetime) -> dict[str, Genre]:
        """The genres of these names by lower-cased name; missing ones are created."""

    async def insert(self, books: Sequence[Book]) -> None:
        """Inserts new books with their tags; an ISBN taken meanwhile raises ImportConflict.

        New books have no reviews yet: their rating figures are not written."""

    async def update(self, books: Sequence[Book]) -> None: ...
