from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from domain.imports import ImportProgress


class ImportAccepted(msgspec.Struct):
    id: UUID
    status: str


class ImportErrorOut(msgspec.Struct):
    line: int
    message: str


class ImportOut(msgspec.Struct):
    """Where an import stands; `reason` says why a failed one failed."""

    id: UUID
    status: str
    filename: str
    total_rows: int
    processed_rows: int
    created: int
    updated: int
    failed_rows: int
    errors: list[ImportErrorOut]
    started_at: datetime | None
    finished_at: datetime | None
    reason: str | None

    @classmethod
    def of(cls, progress: ImportProgress) -> ImportOut:
        return cls(
            id=progress.id,
            status=progress.status.value,
            filename=progress.filename,
            total_rows=progress.total_rows,
            processed_rows=progress.processed_rows,
            created=progress.created,
            updated=progress.updated,
            failed_rows=progress.failed_rows,
            errors=[ImportErrorOut(error.line, error.message) for error in progress.errors],
            started_at=progress.started_at,
            finished_at=progress.finished_at,
            reason=progress.reason,
        )
