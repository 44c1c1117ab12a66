"""DeliverMail: renders and sends one outbox message, at most once per claim, and never again once sent."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from uuid import UUID

from application.ports.clock import Clock
from application.ports.mail import Email, MailError, MailPorts
from application.ports.outbox import OutboxMessage
from application.ports.uow import UowFactory

log = logging.getLogger(__name__)

_MAX_ERROR = 1000


class Outcome(StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"  # already sent, dead-lettered, or unknown: nothing to do
    BUSY = "busy"  # another delivery holds the claim: try again once it lapses
    RETRY = "retry"  # this attempt failed; try again later
    DEAD = "dead"  # failed for good: dead-lettered


@dataclass(frozen=True, slots=True)
class DeliverMail:
    outbox_id: UUID


@dataclass(frozen=True, slots=True)
class Delivery:
    outcome: Outcome
    retry_in: float | None = None


class DeliverMailHandler:
    """Claims the row (short transaction), sends outside any transaction, then marks it sent."""

    def __init__(self, *, uow: UowFactory, clock: Clock, mail: MailPorts) -> None:
        self._uow = uow
        self._clock = clock
        self._ports = mail

    async def __call__(self, cmd: DeliverMail) -> Delivery:
        claimed = await self._claim(cmd.outbox_id)
        if isinstance(claimed, Delivery):
            return claimed
        try:
            rendered = self._ports.renderer.render(claimed.kind, claimed.data)
            mail = Email(claimed.id, claimed.recipient, rendered.subject, rendered.text, rendered.html)
            await self._ports.mailer.send(mail)
        except MailError as exc:
            return await self._failed(claimed, str(exc), permanent=exc.permanent)
        except Exception as exc:  # a template or data bug: counted like a failed send, kept for the operator
            log.exception("mail %s could not be rendered or sent", claimed.id)
            return await self._failed(claimed, f"{type(exc).__name__}: {exc}", permanent=False)
        async with self._uow() as uow:
            await uow.outbox.mark_sent(claimed.id, at=self._clock.now())
            await uow.commit()
        return Delivery(Outcome.SENT)

    async def _claim(self, outbox_id: UUID) -> OutboxMessage | Delivery:
        now = self._clock.now()
        async with self._uow() as uow:
            message = await uow.outbox.get(outbox_id, lock=True)
            if message is None or message.done:
                return Delivery(Outcome.SKIPPED)
            if message.locked_until is not None and message.locked_until > now:
                return Delivery(Outcome.BUSY, retry_in=(message.locked_until - now).total_seconds())
            await uow.outbox.claim(outbox_id, at=now, until=now + timedelta(seconds=self._ports.policy.lease))
            await uow.commit()
        return message

    async def _failed(self, message: OutboxMessage, error: str, *, permanent: bool) -> Delivery:
        attempts = message.attempts + 1
        dead = permanent or attempts >= self._ports.policy.max_attempts
        now = self._clock.now()
        async with self._uow() as uow:
            await uow.outbox.release(message.id, error=error[:_MAX_ERROR], failed_at=now if dead else None)
            await uow.commit()
        if dead:
            log.error(
                "mail dead-lettered: outbox_id=%s kind=%s attempts=%d error=%s (list: folio mail failed)",
                message.id,
                message.kind,
                attempts,
                error,
            )
            return Delivery(Outcome.DEAD)
        log.warning("mail send failed, will retry: outbox_id=%s attempt=%d error=%s", message.id, attempts, error)
        return Delivery(Outcome.RETRY)
