"""RelayOutbox: hands committed, unsent outbox rows to the publisher (right after commit, and on a timer)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from application.delivery import mail_ports
from application.deps import Deps
from application.ports.outbox import PublishError, RelayQuery

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RelayOutbox:
    """`ids`: just these, fresh from a commit. None: every row left behind (the timer's sweep).

    `stale_before`: rows handed on before then are known lost (an in-process broker that did not
    outlive its process); by default, rows untouched for the policy's `redispatch_after`.
    """

    ids: tuple[UUID, ...] | None = None
    stale_before: datetime | None = None


class RelayOutboxHandler:
    """Publishes one batch under row locks (SKIP LOCKED), then marks it dispatched; returns how many."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def __call__(self, cmd: RelayOutbox) -> int:
        ports = mail_ports(self._deps)
        policy = ports.policy
        now = self._deps.clock.now()
        query = RelayQuery(
            now=now,
            limit=policy.relay_batch,
            ids=cmd.ids,
            created_before=now - timedelta(seconds=policy.relay_grace),
            stale_before=cmd.stale_before or now - timedelta(seconds=policy.redispatch_after),
        )
        async with self._deps.uow() as uow:
            ids = await uow.outbox.relayable(query)
            if not ids:
                return 0
            # Published while the rows are locked: a second relay skips them, so nothing goes out twice.
            # A crash between publish and commit publishes again later, which delivery shrugs off.
            await ports.publisher.publish(ids)
            await uow.outbox.mark_dispatched(ids, at=now)
            await uow.commit()
        return len(ids)


async def relay_all(deps: Deps, *, stale_before: datetime | None = None) -> int:
    """Sweeps batch after batch until nothing is left behind."""
    total = 0
    batch = mail_ports(deps).policy.relay_batch
    handler = RelayOutboxHandler(deps)
    while True:
        count = await handler(RelayOutbox(stale_before=stale_before))
        total += count
        if count < batch:
            return total


class RelayOnCommit:
    """The units of work's publisher: relays what a commit queued, at once.

    A failure is only logged (the commit stands and the timer's sweep catches up); after one, hand-offs
    are skipped for `quiet` seconds so requests do not each wait on a broker that is down.
    """

    def __init__(self, *, quiet: float = 5.0) -> None:
        self._deps: Deps | None = None
        self._quiet = quiet
        self._quiet_until = 0.0

    def bind(self, deps: Deps) -> None:
        self._deps = deps

    async def publish(self, message_ids: Sequence[UUID]) -> None:
        if self._deps is None or time.monotonic() < self._quiet_until:
            return
        try:
            await RelayOutboxHandler(self._deps)(RelayOutbox(tuple(message_ids)))
        except PublishError as exc:
            self._quiet_until = time.monotonic() + self._quiet
            log.warning("outbox hand-off deferred to the relay timer: %s", exc)
