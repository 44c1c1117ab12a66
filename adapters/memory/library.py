"""In-process store of library imports (the embedded default runs one process)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from uuid import UUID

from domain.library import LibraryImport, RowReport


class MemoryLibraryImportStore:
    def __init__(self) -> None:
        self._records: dict[UUID, LibraryImport] = {}
        self._rows: dict[UUID, list[RowReport]] = {}

    async def save(self, record: LibraryImport) -> None:
        self._records[record.id] = replace(record)

    async def get(self, import_id: UUID) -> LibraryImport | None:
        found = self._records.get(import_id)
        return None if found is None else replace(found)

    async def add_rows(self, import_id: UUID, rows: Sequence[RowReport]) -> None:
        self._rows.setdefault(import_id, []).extend(rows)

    async def rows(self, import_id: UUID) -> list[RowReport]:
        return list(self._rows.get(import_id, ()))
