"""Library imports in Valkey: the record as one JSON document, its report as a list of JSON rows."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from valkey.asyncio import Valkey

from domain.imports import ImportStatus
from domain.library import LibraryFormat, LibraryImport, MatchedBy, RowReport, RowResult

TTL_SECONDS = 7 * 24 * 3600
_TIMES = ("created_at", "started_at", "finished_at", "heartbeat_at")
_COUNTS = ("total_rows", "processed_rows", "added", "updated", "unchanged", "books_created", "failed_rows")


def to_document(record: LibraryImport) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": str(record.id),
        "user_id": str(record.user_id),
        "format": record.format.value,
        "dry_run": record.dry_run,
        "status": record.status.value,
        "reason": record.reason,
    }
    for name in _TIMES:
        value = getattr(record, name)
        doc[name] = None if value is None else value.isoformat()
    for name in _COUNTS:
        doc[name] = getattr(record, name)
    return doc


def from_document(doc: dict[str, Any]) -> LibraryImport:
    times = {name: None if doc[name] is None else datetime.fromisoformat(doc[name]) for name in _TIMES}
    created_at = times.pop("created_at")
    assert created_at is not None
    record = LibraryImport(
        id=UUID(doc["id"]),
        user_id=UUID(doc["user_id"]),
        format=LibraryFormat(doc["format"]),
        dry_run=doc["dry_run"],
        created_at=created_at,
        status=ImportStatus(doc["status"]),
        reason=doc["reason"],
    )
    for name, value in times.items():
        setattr(record, name, value)
    for name in _COUNTS:
        setattr(record, name, doc[name])
    return record


def _row(row: RowReport) -> str:
    book_id = None if row.book_id is None else str(row.book_id)
    cells = [row.line, row.title, row.author, row.isbn, row.match.value, book_id, row.result.value, row.message]
    return json.dumps(cells)


def _parse_row(raw: bytes | str) -> RowReport:
    line, title, author, isbn, match, book_id, result, message = json.loads(raw)
    book = None if book_id is None else UUID(book_id)
    return RowReport(line, title, author, isbn, MatchedBy(match), book, RowResult(result), message)


class ValkeyLibraryImportStore:
    """Readable from every API process while a worker elsewhere writes it."""

    def __init__(self, client: Valkey, prefix: str) -> None:
        self._client = client
        self._prefix = prefix

    def _key(self, import_id: UUID) -> str:
        return f"{self._prefix}library-import:{import_id}"

    async def save(self, record: LibraryImport) -> None:
        await self._client.set(self._key(record.id), json.dumps(to_document(record)), ex=TTL_SECONDS)

    async def get(self, import_id: UUID) -> LibraryImport | None:
        raw = await self._client.get(self._key(import_id))
        return None if raw is None else from_document(json.loads(raw))

    async def add_rows(self, import_id: UUID, rows: Sequence[RowReport]) -> None:
        if not rows:
            return
        key = self._key(import_id) + ":rows"
        async with self._client.pipeline(transaction=False) as pipe:
            pipe.rpush(key, *[_row(row) for row in rows])
            pipe.expire(key, TTL_SECONDS)
            await pipe.execute()

    async def rows(self, import_id: UUID) -> list[RowReport]:
        raw: list[bytes] = await self._client.lrange(self._key(import_id) + ":rows", 0, -1)  # type: ignore[misc]
        return [_parse_row(item) for item in raw]
