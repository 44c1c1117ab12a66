"""What every unit of work does the same way, whatever stores it: events, outbox hand-off, hooks."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from uuid import UUID

from application.ports.outbox import Publisher
from application.ports.uow import EventHandlers, UnitOfWork
from domain.events import DomainEvent

log = logging.getLogger(__name__)

#: Dispatch rounds before giving up on handlers that keep recording events.
_MAX_ROUNDS = 10


class UnitOfWorkBase:
    """Dispatches recorded events before the commit and publishes new outbox messages after it."""

    def __init__(self, *, handlers: EventHandlers, publisher: Publisher | None) -> None:
        self._handlers = handlers
        self._publisher = publisher
        self._seen: list[Any] = []
        self._hooks: list[Callable[[], Awaitable[None]]] = []
        self._new_outbox: list[UUID] = []
        self._committed = False

    def track(self, aggregate: object) -> None:
        self._seen.append(aggregate)

    def after_commit(self, hook: Callable[[], Awaitable[None]]) -> None:
        self._hooks.append(hook)

    def outbox_added(self, message_id: UUID) -> None:
        self._new_outbox.append(message_id)

    def _reset(self) -> None:
        self._seen.clear()
        self._hooks.clear()
        self._new_outbox.clear()
        self._committed = False

    async def _dispatch(self, uow: UnitOfWork) -> None:
        for _ in range(_MAX_ROUNDS):
            events: list[DomainEvent] = []
            for aggregate in self._seen:
                pending = getattr(aggregate, "events", None)
                if pending:
                    events.extend(pending)
                    pending.clear()
            if not events:
                return
            for event in events:
                for handler in self._handlers.get(type(event), ()):
                    await handler(uow, event)
        raise RuntimeError("event handlers kept recording events")

    async def _after_commit(self) -> None:
        """Runs once the transaction is committed and its connection and locks are released."""
        if not self._committed:
            return
        self._committed = False
        hooks, self._hooks = self._hooks, []
        ids, self._new_outbox = self._new_outbox, []
        if ids and self._publisher is not None:
            hooks.insert(0, lambda: self._publish(ids))
        for hook in hooks:
            try:
                await hook()
            except Exception:  # the commit stands; the outbox relay retries what was not handed on
                log.exception("after-commit hook failed")

    async def _publish(self, ids: Sequence[UUID]) -> None:
        assert self._publisher is not None
        await self._publisher.publish(ids)
