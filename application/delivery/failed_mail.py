"""The dead letters: mail that failed for good, listed for an operator and sent again on request."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from application.ports.outbox import OutboxMessage
from application.ports.uow import UowFactory
from domain.errors import NotFound
from domain.events import MailQueued


@dataclass(frozen=True, slots=True)
class ListFailedMail:
    limit: int = 100
    offset: int = 0


class ListFailedMailHandler:
    def __init__(self, *, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(self, cmd: ListFailedMail) -> tuple[Sequence[OutboxMessage], int]:
        async with self._uow(read_only=True) as uow:
            return await uow.outbox.failed(limit=cmd.limit, offset=cmd.offset), await uow.outbox.count_failed()


@dataclass(frozen=True, slots=True)
class RetryFailedMail:
    outbox_id: UUID


class RetryFailedMailHandler:
    """Gives a dead letter fresh attempts and hands it on; NotFound if it is not a dead letter."""

    def __init__(self, *, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(self, cmd: RetryFailedMail) -> None:
        async with self._uow() as uow:
            if not await uow.outbox.requeue(cmd.outbox_id):
                raise NotFound("failed mail")
            uow.record(MailQueued(cmd.outbox_id))  # handed on after the commit, or by the relay timer
            await uow.commit()
