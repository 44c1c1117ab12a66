"""Domain events: facts that happened, recorded by aggregates and dispatched when their unit commits."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """Base of all domain events."""
