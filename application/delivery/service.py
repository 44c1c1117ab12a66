"""The mail delivery use cases, one method each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from application.delivery.deliver_mail import DeliverMail, DeliverMailHandler, Delivery
from application.delivery.failed_mail import (
    ListFailedMail,
    ListFailedMailHandler,
    RetryFailedMail,
    RetryFailedMailHandler,
)
from application.delivery.relay_outbox import RelayOutbox, RelayOutboxHandler, relay_all
from application.deps import Deps
from application.ports.outbox import OutboxMessage


class MailService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def relay(self, cmd: RelayOutbox) -> int:
        return await RelayOutboxHandler(self._deps)(cmd)

    async def relay_all(self, *, stale_before: datetime | None = None) -> int:
        return await relay_all(self._deps, stale_before=stale_before)

    async def deliver(self, cmd: DeliverMail) -> Delivery:
        return await DeliverMailHandler(self._deps)(cmd)

    async def failed(self, cmd: ListFailedMail) -> tuple[Sequence[OutboxMessage], int]:
        return await ListFailedMailHandler(self._deps)(cmd)

    async def retry(self, cmd: RetryFailedMail) -> None:
        return await RetryFailedMailHandler(self._deps)(cmd)

    async def get(self, outbox_id: UUID) -> OutboxMessage | None:
        async with self._deps.uow(read_only=True) as uow:
            return await uow.outbox.get(outbox_id)
