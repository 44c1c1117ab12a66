"""Hands committed outbox rows to the publisher: right after their commit, and on a timer for those left behind."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from application.ports.clock import Clock
from application.ports.mail import MailPorts
from application.ports.outbox import Publisher, PublishError, RelayQuery
from application.ports.uow import UowFactory
from domain.events import MailQueued

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RelayOutbox:
    """One sweep of the rows left behind (the timer's).

    `stale_before`: rows handed on before then are known lost (an in-process broker that did not
    outlive its process); by default, rows untouched for the policy's `redispatch_after`.
    """

    stale_before: datetime | None = None


class RelayOutboxHandler:
    """Publishes one batch under row locks (SKIP LOCKED), then marks it dispatched; returns how many."""

    def __init__(self, *, uow: UowFactory, clock: Clock, mail: MailPorts) -> None:
        self._uow = uow
        self._clock = clock
        self._ports = mail

    @property
    def batch(self) -> int:
        """The most rows one call hands on."""
        return self._ports.policy.relay_batch

    async def __call__(self, cmd: RelayOutbox) -> int:
        ports = self._ports
        policy = ports.policy
        now = self._clock.now()
        query = RelayQuery(
            now=now,
            limit=policy.relay_batch,
            created_before=now - timedelta(seconds=policy.relay_grace),
            stale_before=cmd.stale_before or now - timedelta(seconds=policy.redispatch_after),
        )
        async with self._uow() as uow:
            ids = await uow.outbox.relayable(query)
            if not ids:
                return 0
            # Published while the rows are locked: a second relay skips them, so nothing goes out twice.
            # A crash between publish and commit publishes again later, which delivery shrugs off.
            await ports.publisher.publish(ids)
            await uow.outbox.mark_dispatched(ids, at=now)
            await uow.commit()
        return len(ids)


async def relay_all(handler: RelayOutboxHandler, *, stale_before: datetime | None = None) -> int:
    """Sweeps batch after batch until nothing is left behind."""
    total = 0
    batch = handler.batch
    while True:
        count = await handler(RelayOutbox(stale_before=stale_before))
        total += count
        if count < batch:
            return total


class PublishQueuedMail:
    """After-commit subscriber to `MailQueued`: hands the committed outbox ids to the publisher at once.

    No transaction of its own: the rows stay unmarked, and the relay timer hands on (and marks) only
    those still unsent after the policy's `relay_grace`. A failure is only logged (the commit stands
    and the timer catches up); after one, hand-offs are skipped for `quiet` seconds so requests do not
    each wait on a broker that is down.
    """

    def __init__(self, publisher: Publisher, *, quiet: float = 5.0) -> None:
        self._publisher = publisher
        self._quiet = quiet
        self._quiet_until = 0.0

    async def __call__(self, events: Sequence[MailQueued]) -> None:
        if time.monotonic() < self._quiet_until:
            return
        try:
            await self._publisher.publish([event.message_id for event in events])
        except PublishError as exc:
            self._quiet_until = time.monotonic() + self._quiet
            log.warning("outbox hand-off deferred to the relay timer: %s", exc)
