from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from domain.library import LibraryImport, RowReport


class LibraryImportAccepted(msgspec.Struct):
    id: UUID
    status: str
    format: str


class LibraryRowOut(msgspec.Struct):
    """One row of the file: how its book was found (`match`) and what it did to the shelf (`result`)."""

    line: int
    title: str | None
    author: str | None
    isbn: str | None
    match: str
    book_id: UUID | None
    result: str
    message: str | None


class LibraryImportOut(msgspec.Struct):
    """Where a library import stands, with a report line per row; `reason` says why a failed one failed."""

    id: UUID
    status: str
    format: str
    dry_run: bool
    total_rows: int
    processed_rows: int
    added: int
    updated: int
    unchanged: int
    books_created: int
    failed_rows: int
    rows: list[LibraryRowOut]
    started_at: datetime | None
    finished_at: datetime | None
    reason: str | None

    @classmethod
    def of(cls, record: LibraryImport, rows: list[RowReport]) -> LibraryImportOut:
        return cls(
            id=record.id,
            status=record.status.value,
            format=record.format.value,
            dry_run=record.dry_run,
            total_rows=record.total_rows,
            processed_rows=record.processed_rows,
            added=record.added,
            updated=record.updated,
            unchanged=record.unchanged,
            books_created=record.books_created,
            failed_rows=record.failed_rows,
            rows=[
                LibraryRowOut(
                    row.line,
                    row.title,
                    row.author,
                    row.isbn,
                    row.match.value,
                    row.book_id,
                    row.result.value,
                    row.message,
                )
                for row in rows
            ],
            started_at=record.started_at,
            finished_at=record.finished_at,
            reason=record.reason,
        )
