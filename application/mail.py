"""Queues an email in the outbox, inside the caller's transaction.

Kinds and their data (the templates rely on these keys):
- `verify-email`: {username, link}
- `password-reset`: {username, code, link} (`link`: the page that takes the code)
- `order-confirmation`: {username, order_id, lines: [{title, quantity, unit_price, line_total}], total, currency}
- `back-in-stock`: {username, book_id, title}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID, uuid4

from application.ports.clock import Clock
from application.ports.outbox import OutboxMessage
from application.ports.uow import UnitOfWork
from domain.events import MailQueued

VERIFY_EMAIL = "verify-email"
PASSWORD_RESET = "password-reset"
ORDER_CONFIRMATION = "order-confirmation"
BACK_IN_STOCK = "back-in-stock"
MAIL_KINDS = frozenset({VERIFY_EMAIL, PASSWORD_RESET, ORDER_CONFIRMATION, BACK_IN_STOCK})


async def queue_mail(uow: UnitOfWork, clock: Clock, kind: str, to: str, data: Mapping[str, Any]) -> UUID:
    """Writes the mail to the outbox; it is sent once, and only if, the transaction commits."""
    if kind not in MAIL_KINDS:
        raise ValueError(f"unknown mail kind {kind!r}")
    message = OutboxMessage(id=uuid4(), kind=kind, recipient=to, data=dict(data), created_at=clock.now())
    await uow.outbox.add(message)
    uow.record(MailQueued(message.id))  # handed to delivery right after the commit
    return message.id
