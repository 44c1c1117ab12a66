"""Mail helpers for tests: sample data per mail kind, queueing, and reading the `.eml` mailbox."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from uuid import UUID

from application.mail import BACK_IN_STOCK, ORDER_CONFIRMATION, PASSWORD_RESET, VERIFY_EMAIL, queue_mail
from entrypoints.bootstrap import Services

#: User-provided text that must come out escaped in HTML.
NASTY = '<b>Bold</b> & "quoted"'

SAMPLES: dict[str, dict[str, Any]] = {
    VERIFY_EMAIL: {"username": NASTY, "link": "http://folio.test/verify-email?token=tok-123"},
    PASSWORD_RESET: {
        "username": "ada",
        "code": "042917",
        "link": "http://folio.test/reset-password?email=ada%40example.com",
    },
    ORDER_CONFIRMATION: {
        "username": "ada",
        "order_id": "5b7d8a3e-1f43-4c8e-9a52-0d3c1e2f4a6b",
        "lines": [
            {"title": NASTY, "quantity": 2, "unit_price": "12.50", "line_total": "25.00"},
            {"title": "Dune", "quantity": 1, "unit_price": "9.99", "line_total": "9.99"},
        ],
        "total": "34.99",
        "currency": "USD",
    },
    BACK_IN_STOCK: {"username": "ada", "book_id": "0b1e0c7e-8d43-4f3e-b8a5-0a4f0c2f6b11", "title": NASTY},
}


async def queue_committed(services: Services, kind: str = PASSWORD_RESET, to: str = "ada@example.com") -> UUID:
    """Queues one mail in a committed transaction, as a use case would."""
    async with services.uow() as uow:
        message_id = await queue_mail(uow, services.clock, kind, to, SAMPLES[kind])
        await uow.commit()
    return message_id


def eml_files(directory: Path) -> list[EmailMessage]:
    """The mails the file mailer wrote."""
    if not directory.is_dir():
        return []
    found = []
    for path in sorted(directory.glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def with_id(messages: list[EmailMessage], outbox_id: UUID) -> list[EmailMessage]:
    """The messages whose Message-ID was derived from this outbox id."""
    return [m for m in messages if str(outbox_id) in str(m["Message-ID"])]
