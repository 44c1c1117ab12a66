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
from application.ports.clock import Clock
from application.ports.mail import MailPorts
from application.ports.outbox import OutboxMessage
from application.ports.uow import UowFactory


class MailService:
    def __init__(self, *, uow: UowFactory, clock: Clock, mail: MailPorts) -> None:
        self._uow = uow
        self.ports = mail
        self._relay = RelayOutboxHandler(uow=uow, clock=clock, mail=mail)
        self._deliver = DeliverMailHandler(uow=uow, clock=clock, mail=mail)
        self._failed = ListFailedMailHandler(uow=uow)
        self._retry = RetryFailedMailHandler(uow=uow)

    async def relay(self, cmd: RelayOutbox) -> int:
        return await self._relay(cmd)

    async def relay_all(self, *, stale_before: datetime | None = None) -> int:
        return await relay_all(self._relay, stale_before=stale_before)

    async def deliver(self, cmd: DeliverMail) -> Delivery:
        return await self._deliver(cmd)

    async def failed(self, cmd: ListFailedMail) -> tuple[Sequence[OutboxMessage], int]:
        return await self._failed(cmd)

    async def retry(self, cmd: RetryFailedMail) -> None:
        return await self._retry(cmd)

    async def get(self, outbox_id: UUID) -> OutboxMessage | None:
        async with self._uow(read_only=True) as uow:
            return await uow.outbox.get(outbox_id)
