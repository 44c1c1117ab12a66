from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from application.ports.outbox import OutboxMessage


class FailedMailOut(msgspec.Struct):
    id: UUID
    kind: str
    recipient: str
    attempts: int
    created_at: datetime
    failed_at: datetime | None
    last_error: str | None

    @classmethod
    def of(cls, m: OutboxMessage) -> FailedMailOut:
        return cls(m.id, m.kind, m.recipient, m.attempts, m.created_at, m.failed_at, m.last_error)


class FailedMailPage(msgspec.Struct):
    """`Page[FailedMailOut]` spelled out: Litestar's OpenAPI generation fails on the generic `Page[T]`."""

    items: list[FailedMailOut]
    total: int
    limit: int
    offset: int
