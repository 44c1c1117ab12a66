"""The operator's view of the in-process store: outbox backlog and imports whose file is still held."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from adapters.memory.uow import MemoryStore
from application.ports.operations import OutboxFigures
from application.ports.outbox import OutboxMessage


class MemoryBacklogs:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def outbox(self) -> OutboxFigures:
        rows: list[OutboxMessage] = list(self._store.tables.get("outbox", {}).values())
        unsent = [m for m in rows if m.sent_at is None]
        failed = sum(1 for m in unsent if m.failed_at is not None)
        return OutboxFigures(pending=len(unsent) - failed, failed=failed)

    async def imports_in_progress(self, *, limit: int) -> Sequence[UUID]:
        chunks: dict[tuple[UUID, int], bytes] = self._store.tables.get("import_files", {})
        return list(dict.fromkeys(import_id for import_id, _ in chunks))[:limit]
