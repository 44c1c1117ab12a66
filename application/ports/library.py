"""Ports of bringing a library: where a reader's import and its per-row report are kept."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from domain.library import LibraryImport, RowReport


class LibraryImportStore(Protocol):
    """Keeps each import and its report where every API process reads them (they expire after 7 days)."""

    async def save(self, record: LibraryImport) -> None: ...
    async def get(self, import_id: UUID) -> LibraryImport | None: ...
    async def add_rows(self, import_id: UUID, rows: Sequence[RowReport]) -> None:
        """Appends to the import's report, in file order."""

    async def rows(self, import_id: UUID) -> list[RowReport]: ...
