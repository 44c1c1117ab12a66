from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from application.ports.outbox import OutboxMessage, RelayQuery

if TYPE_CHECKING:
    from adapters.memory.uow import MemoryUnitOfWork


def _relayable(m: OutboxMessage, query: RelayQuery) -> bool:
    if m.done:
        return False
    if m.locked_until is not None and m.locked_until >= query.now:
        return False
    if m.dispatched_at is None:
        return query.created_before is None or m.created_at < query.created_before
    if m.locked_until is not None and m.dispatched_at < m.locked_until:
        return True  # claimed, then neither sent nor released: its worker died mid-send
    stale = query.stale_before
    return stale is not None and m.dispatched_at < stale and (m.attempted_at is None or m.attempted_at < stale)


class MemoryOutbox:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow
        self._rows: dict[UUID, OutboxMessage] = uow.table("outbox")

    def _change(self, message_id: UUID, **values: Any) -> None:
        if message_id in self._rows:
            self._rows[message_id] = dataclasses.replace(self._rows[message_id], **values)

    async def add(self, message: OutboxMessage) -> None:
        self._rows[message.id] = message

    async def get(self, message_id: UUID, *, lock: bool = False) -> OutboxMessage | None:
        return self._rows.get(message_id)

    async def pending(self, *, limit: int, older_than: datetime | None = None) -> Sequence[UUID]:
        rows = sorted(
            (m for m in self._rows.values() if not m.done and (older_than is None or m.created_at < older_than)),
            key=lambda m: m.created_at,
        )
        return [m.id for m in rows[:limit]]

    async def addressed_to(self, recipient: str, *, limit: int) -> Sequence[OutboxMessage]:
        rows = sorted((m for m in self._rows.values() if m.recipient == recipient), key=lambda m: m.created_at)
        return rows[-limit:] if limit > 0 else []

    async def relayable(self, query: RelayQuery) -> Sequence[UUID]:
        rows = sorted((m for m in self._rows.values() if _relayable(m, query)), key=lambda m: m.created_at)
        return [m.id for m in rows[: query.limit]]

    async def mark_dispatched(self, message_ids: Sequence[UUID], *, at: datetime) -> None:
        for message_id in message_ids:
            self._change(message_id, dispatched_at=at)

    async def claim(self, message_id: UUID, *, at: datetime, until: datetime) -> None:
        message = self._rows.get(message_id)
        if message is not None:
            self._change(message_id, attempts=message.attempts + 1, attempted_at=at, locked_until=until)

    async def mark_sent(self, message_id: UUID, *, at: datetime) -> None:
        self._change(message_id, sent_at=at, locked_until=None, last_error=None)

    async def release(self, message_id: UUID, *, error: str, failed_at: datetime | None = None) -> None:
        self._change(message_id, locked_until=None, last_error=error, failed_at=failed_at)

    async def failed(self, *, limit: int, offset: int = 0) -> Sequence[OutboxMessage]:
        rows = [m for m in self._rows.values() if m.failed_at is not None and m.sent_at is None]
        rows.sort(key=lambda m: (-m.failed_at.timestamp() if m.failed_at else 0, str(m.id)))
        return rows[offset : offset + limit]

    async def count_failed(self) -> int:
        return sum(1 for m in self._rows.values() if m.failed_at is not None and m.sent_at is None)

    async def requeue(self, message_id: UUID) -> bool:
        message = self._rows.get(message_id)
        if message is None or message.failed_at is None or message.sent_at is not None:
            return False
        self._change(message_id, failed_at=None, attempts=0, dispatched_at=None, locked_until=None)
        return True
