"""The transactional outbox: messages written with the change that causes them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A mail to send once its transaction commits. `kind` names the template."""

    id: UUID
    kind: str
    recipient: str
    data: Mapping[str, Any]
    created_at: datetime
    sent_at: datetime | None = None
    attempts: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)
    dispatched_at: datetime | None = None
    #: Last time a delivery claimed it; a claim is exclusive until `locked_until`.
    attempted_at: datetime | None = None
    locked_until: datetime | None = None
    #: Dead-lettered: no more tries after this (see `last_error`).
    failed_at: datetime | None = None
    last_error: str | None = None

    @property
    def done(self) -> bool:
        return self.sent_at is not None or self.failed_at is not None


@dataclass(frozen=True, slots=True)
class RelayQuery:
    """Which unsent rows a relay may hand on now: rows left behind, i.e. created before `created_before`
    and never handed on by a relay, or handed on and untouched since `stale_before` (the broker lost
    them), or claimed by a delivery whose claim lapsed without a send or a release (its worker died),
    and not claimed by a delivery in progress at `now`."""

    now: datetime
    limit: int
    created_before: datetime | None = None
    stale_before: datetime | None = None


class Outbox(Protocol):
    async def add(self, message: OutboxMessage) -> None: ...
    async def get(self, message_id: UUID, *, lock: bool = False) -> OutboxMessage | None: ...
    async def pending(self, *, limit: int, older_than: datetime | None = None) -> Sequence[UUID]:
        """Ids of unsent, not dead-lettered messages, oldest first."""

    async def addressed_to(self, recipient: str, *, limit: int) -> Sequence[OutboxMessage]:
        """Messages to one address, sent or not, oldest first (the latest `limit` of them)."""

    async def mark_dispatched(self, message_ids: Sequence[UUID], *, at: datetime) -> None: ...
    async def mark_sent(self, message_id: UUID, *, at: datetime) -> None: ...

    async def relayable(self, query: RelayQuery) -> Sequence[UUID]:
        """Ids to hand on, locked for this transaction; rows another relay holds are skipped."""

    async def claim(self, message_id: UUID, *, at: datetime, until: datetime) -> None:
        """Counts an attempt and reserves the message for one delivery until `until`."""

    async def release(self, message_id: UUID, *, error: str, failed_at: datetime | None = None) -> None:
        """Ends a failed attempt: records the error, frees the claim, dead-letters it if `failed_at`."""

    async def failed(self, *, limit: int, offset: int = 0) -> Sequence[OutboxMessage]:
        """Dead-lettered messages, newest failure first."""

    async def count_failed(self) -> int: ...

    async def requeue(self, message_id: UUID) -> bool:
        """Takes a dead-lettered message back for delivery with fresh attempts; False if it is not one."""


class PublishError(Exception):
    """The publisher could not take the messages now; the relay tries again later."""


class Publisher(Protocol):
    """Hands committed outbox messages to whatever delivers them (Dramatiq, or inline)."""

    async def publish(self, message_ids: Sequence[UUID]) -> None: ...
