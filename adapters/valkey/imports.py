"""Import progress in Valkey: one JSON document per import, expiring 7 days after its last change."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from valkey.asyncio import Valkey

from domain.imports import ImportProgress, ImportStatus, RowError

TTL_SECONDS = 7 * 24 * 3600


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse_time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def to_document(progress: ImportProgress) -> dict[str, Any]:
    return {
        "id": str(progress.id),
        "filename": progress.filename,
        "created_at": _time(progress.created_at),
        "total_rows": progress.total_rows,
        "status": progress.status.value,
        "processed_rows": progress.processed_rows,
        "created": progress.created,
        "updated": progress.updated,
        "failed_rows": progress.failed_rows,
        "errors": [[error.line, error.message] for error in progress.errors],
        "started_at": _time(progress.started_at),
        "finished_at": _time(progress.finished_at),
        "heartbeat_at": _time(progress.heartbeat_at),
        "reason": progress.reason,
    }


def from_document(doc: dict[str, Any]) -> ImportProgress:
    created_at = _parse_time(doc["created_at"])
    assert created_at is not None
    return ImportProgress(
        id=UUID(doc["id"]),
        filename=doc["filename"],
        created_at=created_at,
        total_rows=doc["total_rows"],
        status=ImportStatus(doc["status"]),
        processed_rows=doc["processed_rows"],
        created=doc["created"],
        updated=doc["updated"],
        failed_rows=doc["failed_rows"],
        errors=[RowError(line, message) for line, message in doc["errors"]],
        started_at=_parse_time(doc["started_at"]),
        finished_at=_parse_time(doc["finished_at"]),
        heartbeat_at=_parse_time(doc["heartbeat_at"]),
        reason=doc["reason"],
    )


class ValkeyImportProgressStore:
    """Readable from every API process while a worker elsewhere writes it."""

    def __init__(self, client: Valkey, prefix: str) -> None:
        self._client = client
        self._prefix = prefix

    def _key(self, import_id: UUID) -> str:
        return f"{self._prefix}import:{import_id}"

    async def save(self, progress: ImportProgress) -> None:
        await self._client.set(self._key(progress.id), json.dumps(to_document(progress)), ex=TTL_SECONDS)

    async def get(self, import_id: UUID) -> ImportProgress | None:
        raw = await self._client.get(self._key(import_id))
        return None if raw is None else from_document(json.loads(raw))
