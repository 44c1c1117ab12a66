"""Mail delivery: the outbox relay, the idempotent send, and the dead letters an operator looks at."""

from __future__ import annotations

from application.deps import Deps
from application.ports.mail import MailPorts


def mail_ports(deps: Deps) -> MailPorts:
    if deps.mail is None:
        raise RuntimeError("mail delivery is not wired: bootstrap() builds it")
    return deps.mail
