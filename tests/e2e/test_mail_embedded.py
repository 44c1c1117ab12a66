"""The embedded default (no Valkey): the app's own in-process worker delivers mail to var/mail/."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from litestar.testing import AsyncTestClient

from application.mail import PASSWORD_RESET, VERIFY_EMAIL, queue_mail
from domain.identity import Role
from entrypoints.bootstrap import Services
from entrypoints.http.app import create_app
from tests.e2e.test_conventions import assert_problem
from tests.support.builders import add_user
from tests.support.http import API, session_for
from tests.support.mail import SAMPLES, eml_files, queue_committed, with_id
from tests.support.smtp import await_until


async def test_a_committed_mail_lands_in_var_mail_once(client: AsyncTestClient[Any], services: Services) -> None:
    mail_dir = services.settings.mail_dir
    message_id = await queue_committed(services, VERIFY_EMAIL, "ada@example.com")
    [mail] = await await_until(lambda: with_id(eml_files(mail_dir), message_id))
    assert mail["Subject"] == "Verify your email"
    assert mail["To"] == "ada@example.com"
    assert "http://folio.test/verify-email?token=tok-123" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    for _ in range(100):
        stored = await services.mail.get(message_id)
        if stored is not None and stored.sent_at is not None:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("never marked sent")
    assert len(eml_files(mail_dir)) == 1


async def test_an_admin_sends_a_failed_mail_again_through_the_api(
    client: AsyncTestClient[Any], services: Services
) -> None:
    admin = await add_user(services, role=Role.ADMIN)
    headers = await session_for(client, admin.email)
    message_id = await _dead_letter(services)

    listed = await client.get(f"{API}/admin/mail/failed", headers=headers)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["total"] == 1
    assert body["items"][0]["id"] == str(message_id)
    assert body["items"][0]["last_error"] == "550 mailbox unavailable"

    retried = await client.post(f"{API}/admin/mail/failed/{message_id}/retry", headers=headers)
    assert retried.status_code == 202, retried.text
    [mail] = await await_until(lambda: with_id(eml_files(services.settings.mail_dir), message_id))
    assert mail["Subject"] == "Your password reset code"
    again = await client.post(f"{API}/admin/mail/failed/{message_id}/retry", headers=headers)
    assert_problem(again, 404, "not-found")


async def test_failed_mail_is_for_admins_only(client: AsyncTestClient[Any], services: Services) -> None:
    user = await add_user(services)
    response = await client.get(f"{API}/admin/mail/failed", headers=await session_for(client, user.email))
    assert_problem(response, 403, "forbidden")


async def _dead_letter(services: Services) -> UUID:
    """A mail whose delivery failed for good (as after its last attempt)."""
    async with services.uow() as uow:
        message_id = await queue_mail(uow, services.clock, PASSWORD_RESET, "ada@example.com", SAMPLES[PASSWORD_RESET])
        await uow.outbox.release(message_id, error="550 mailbox unavailable", failed_at=services.clock.now())
        await uow.commit()
    return message_id


async def test_registering_through_the_api_mails_a_working_verification_link(
    client: AsyncTestClient[Any], services: Services
) -> None:
    """The whole embedded path: HTTP registration -> outbox -> in-process worker -> var/mail -> verify."""
    response = await client.post(
        f"{API}/auth/register",
        json={"email": "grace@example.com", "username": "grace", "password": "a-long-enough-passphrase"},
    )
    assert response.status_code == 201, response.text
    [mail] = await await_until(
        lambda: [m for m in eml_files(services.settings.mail_dir) if m["To"] == "grace@example.com"] or None
    )
    assert mail["Subject"] == "Verify your email"
    body = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    prefix = "http://folio.test/verify-email?token="
    assert prefix in body
    token = body.split(prefix, 1)[1].split()[0]
    verified = await client.post(f"{API}/auth/verify-email", json={"token": token})
    assert verified.status_code == 200, verified.text
    assert verified.json()["is_verified"] is True


async def test_an_app_started_again_still_delivers_its_mail(services: Services) -> None:
    """A second lifespan of one app (a test client opened twice, an ASGI server's restart) declares the
    worker's actors anew on the same broker, for its own services, and its mail still lands."""
    app = create_app(services)
    for round_ in ("first", "second"):
        async with AsyncTestClient(app=app):
            message_id = await queue_committed(services, VERIFY_EMAIL, f"{round_}@example.com")
            mail_dir, sent = services.settings.mail_dir, message_id
            [mail] = await await_until(lambda: with_id(eml_files(mail_dir), sent))  # noqa: B023 (awaited here)
            assert mail["To"] == f"{round_}@example.com"
