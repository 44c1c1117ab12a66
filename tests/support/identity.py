"""Identity test helpers: read the mails the use cases queue (the outbox) and sign in as an admin."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

from litestar.testing import AsyncTestClient

from application.ports.outbox import OutboxMessage
from domain.identity import Role
from entrypoints.bootstrap import Services
from tests.support.builders import add_user
from tests.support.http import session_for


async def mails(services: Services, kind: str, to: str) -> list[OutboxMessage]:
    """Mails of `kind` to `to` in the outbox, delivered or not (a running worker may have sent them), oldest first."""
    async with services.uow(read_only=True) as uow:
        found = await uow.outbox.addressed_to(to, limit=10_000)
    return [m for m in found if m.kind == kind]


async def verification_token(services: Services, email: str) -> str:
    sent = await mails(services, "verify-email", email)
    assert sent, f"no verification mail to {email}"
    link = str(sent[-1].data["link"])
    assert link.startswith(f"{services.settings.public_url.rstrip('/')}/verify-email?token=")
    return parse_qs(urlparse(link).query)["token"][0]


async def reset_code(services: Services, email: str) -> str:
    sent = await mails(services, "password-reset", email)
    assert sent, f"no reset mail to {email}"
    code = str(sent[-1].data["code"])
    assert len(code) == 6
    assert code.isdigit()
    return code


async def admin_session(
    client: AsyncTestClient[Any], services: Services, name: str = "root"
) -> tuple[str, dict[str, str]]:
    """An admin's id and Authorization header."""
    admin = await add_user(services, name, role=Role.ADMIN)
    return str(admin.id), await session_for(client, admin.email)
