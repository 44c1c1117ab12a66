"""Sending mail: rendering a message from its kind and data, and handing it to a mail server."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from application.ports.outbox import Publisher


@dataclass(frozen=True, slots=True)
class RenderedMail:
    subject: str
    text: str
    html: str


@dataclass(frozen=True, slots=True)
class Email:
    """One rendered mail to one recipient; `id` (the outbox id) becomes its Message-ID."""

    id: UUID
    to: str
    subject: str
    text: str
    html: str


class MailError(Exception):
    """A send failed. `permanent` (the server refused the message for good) means: do not try again."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class MailRenderer(Protocol):
    def render(self, kind: str, data: Mapping[str, Any]) -> RenderedMail: ...


class Mailer(Protocol):
    async def send(self, mail: Email) -> None:
        """Delivers the mail or raises `MailError`; returns within the mailer's own deadline."""


@dataclass(frozen=True, slots=True)
class MailPolicy:
    """How hard delivery tries (the settings hold the defaults). Times in seconds."""

    max_attempts: int
    #: A claimed message is reserved this long: longer than one send may take (the mailer's deadline).
    lease: float
    #: Unsent rows younger than this are left to the hand-off right after their commit.
    relay_grace: float
    #: Handed on (or tried) this long ago and still unsent: the broker lost it, hand it on again.
    redispatch_after: float
    relay_batch: int = 500


@dataclass(frozen=True, slots=True)
class MailPorts:
    """What delivery needs besides the unit of work and the clock."""

    mailer: Mailer
    renderer: MailRenderer
    publisher: Publisher
    policy: MailPolicy
