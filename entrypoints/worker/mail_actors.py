"""Mail actors: thin and idempotent, they call the delivery use case with an outbox id."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from uuid import UUID

import dramatiq
from dramatiq import Retry

from adapters.dramatiq.broker import DELIVER_MAIL, MAIL_QUEUE
from application.delivery.deliver_mail import DeliverMail, Outcome
from application.delivery.service import MailService

if TYPE_CHECKING:
    from entrypoints.worker import ServicesRegistry

log = logging.getLogger(__name__)


async def deliver_mail(mail: MailService, outbox_id: str) -> None:
    try:
        message_id = UUID(outbox_id)
    except ValueError:
        log.error("deliver_mail got a malformed outbox id %r; dropped", outbox_id)
        return
    delivery = await mail.deliver(DeliverMail(message_id))  # no-op if already sent
    if delivery.outcome is Outcome.BUSY:  # another delivery holds it: look again when its claim lapses
        raise Retry(delay=int((delivery.retry_in or 1.0) * 1000) + 250)
    if delivery.outcome is Outcome.RETRY:  # backoff from the Retries middleware
        raise Retry()


def declare(broker: dramatiq.Broker, registry: ServicesRegistry) -> None:
    async def deliver_mail_actor(outbox_id: str) -> None:
        await deliver_mail(registry.get().mail, outbox_id)

    dramatiq.actor(broker=broker, actor_name=DELIVER_MAIL, queue_name=MAIL_QUEUE)(deliver_mail_actor)
