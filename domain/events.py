"""Domain events: facts that happened, recorded by aggregates and dispatched when their unit commits."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """Base of all domain events."""


@dataclass(frozen=True, slots=True)
class MailQueued(DomainEvent):
    """A mail was written to the outbox; once committed, it is handed to delivery."""

    message_id: UUID


@dataclass(frozen=True, slots=True)
class BooksChanged(DomainEvent):
    """Committed catalog data changed: the cached reads of `scopes`, or of every scope when empty, are stale."""

    scopes: tuple[str, ...] = ()
