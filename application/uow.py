"""What every unit of work does the same way, whatever stores it: events before and after the commit."""

from __future__ import annotations

import logging
from typing import Any

from application.ports.uow import Batched, EventHandlers, Subscribers, UnitOfWork
from domain.events import DomainEvent

log = logging.getLogger(__name__)


def _runs(events: list[DomainEvent]) -> list[list[DomainEvent]]:
    """The events cut into runs of consecutive ones of one type, in order."""
    runs: list[list[DomainEvent]] = []
    for event in events:
        if runs and type(runs[-1][0]) is type(event):
            runs[-1].append(event)
        else:
            runs.append([event])
    return runs


#: Dispatch rounds before giving up on handlers that keep recording events.
_MAX_ROUNDS = 10


class UnitOfWorkBase:
    """Dispatches recorded events to in-transaction handlers before the commit, and hands every event
    dispatched to the after-commit subscribers once the commit is done."""

    def __init__(self, *, handlers: EventHandlers, subscribers: Subscribers) -> None:
        self._handlers = handlers
        self._subscribers = subscribers
        self._seen: list[Any] = []
        self._recorded: list[DomainEvent] = []
        self._dispatched: list[DomainEvent] = []
        self._committed = False

    def track(self, aggregate: object) -> None:
        self._seen.append(aggregate)

    def record(self, event: DomainEvent) -> None:
        self._recorded.append(event)

    def _reset(self) -> None:
        self._seen.clear()
        self._recorded.clear()
        self._dispatched.clear()
        self._committed = False

    async def _dispatch(self, uow: UnitOfWork) -> None:
        for _ in range(_MAX_ROUNDS):
            events, self._recorded = self._recorded, []
            for aggregate in self._seen:
                pending = getattr(aggregate, "events", None)
                if pending:
                    events.extend(pending)
                    pending.clear()
            if not events:
                return
            self._dispatched.extend(events)
            for run in _runs(events):
                handlers = self._handlers.get(type(run[0]), ())
                for handler in handlers:
                    if isinstance(handler, Batched):
                        await handler.handle(uow, run)
                for event in run:
                    for handler in handlers:
                        if not isinstance(handler, Batched):
                            await handler(uow, event)
        raise RuntimeError("event handlers kept recording events")

    async def _after_commit(self) -> None:
        """Runs once the transaction is committed and its connection and locks are released."""
        if not self._committed:
            return
        self._committed = False
        dispatched, self._dispatched = self._dispatched, []
        by_type: dict[type[DomainEvent], list[DomainEvent]] = {}
        for event in dispatched:
            by_type.setdefault(type(event), []).append(event)
        for kind, subscribers in self._subscribers.items():
            events = by_type.get(kind)
            if not events:
                continue
            for subscriber in subscribers:
                try:
                    await subscriber(events)
                except Exception:  # the commit stands; the outbox relay re-sends what was not handed on
                    log.exception("after-commit subscriber %r failed", subscriber)
