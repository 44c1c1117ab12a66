"""The Mailer port, on the `.eml` file mailer and on the SMTP mailer into a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from pathlib import Path
from uuid import uuid4

import pytest

from adapters.mail.files import FileMailer
from adapters.mail.smtp import SmtpConfig, SmtpMailer
from adapters.mail.templates import JinjaMailRenderer
from application.mail import BACK_IN_STOCK, ORDER_CONFIRMATION, PASSWORD_RESET, VERIFY_EMAIL
from application.ports.mail import Email, MailError
from tests.support.mail import NASTY, SAMPLES, eml_files
from tests.support.smtp import SmtpServer, parts, self_signed

SENDER = "Folio <no-reply@folio.test>"
Send = Callable[[Email], Awaitable[list[EmailMessage]]]


@pytest.fixture(params=["file", "smtp"])
def send(request: pytest.FixtureRequest, tmp_path: Path) -> Send:
    if request.param == "file":
        mailer = FileMailer(tmp_path / "mail", SENDER)

        async def via_file(mail: Email) -> list[EmailMessage]:
            await mailer.send(mail)
            return eml_files(tmp_path / "mail")

        return via_file
    server: SmtpServer = request.getfixturevalue("smtp_server")
    smtp = SmtpMailer(SmtpConfig(host=server.host, port=server.port, security="none", timeout=5, sender=SENDER))

    async def via_smtp(mail: Email) -> list[EmailMessage]:
        await smtp.send(mail)
        return server.mailbox.received()

    return via_smtp


def rendered(kind: str, to: str = "ada@example.com") -> Email:
    r = JinjaMailRenderer().render(kind, SAMPLES[kind])
    return Email(uuid4(), to, r.subject, r.text, r.html)


async def test_verification_mail_holds_the_link_in_text_and_html(send: Send) -> None:
    mail = rendered(VERIFY_EMAIL)
    [got] = await send(mail)
    text, html = parts(got)
    assert got["Subject"] == "Verify your email"
    assert got["To"] == "ada@example.com"
    assert got["From"] == SENDER
    assert got["Message-ID"] == f"<{mail.id}@folio.test>"
    link = "http://folio.test/verify-email?token=tok-123"
    assert link in text
    assert f'href="{link}"' in html
    assert NASTY in text  # plain text is not HTML: no escaping there
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; &#34;quoted&#34;" in html
    assert "<b>Bold</b>" not in html


async def test_reset_mail_holds_the_six_digit_code_and_the_page_that_takes_it(send: Send) -> None:
    [got] = await send(rendered(PASSWORD_RESET))
    text, html = parts(got)
    assert got["Subject"] == "Your password reset code"
    assert "042917" in text
    assert "042917" in html
    page = "http://folio.test/reset-password?email=ada%40example.com"
    assert page in text
    assert f'href="{page}"' in html


async def test_order_confirmation_lists_id_lines_and_total(send: Send) -> None:
    [got] = await send(rendered(ORDER_CONFIRMATION))
    text, html = parts(got)
    assert got["Subject"] == "Order confirmation"
    for body in (text, html):
        assert "5b7d8a3e-1f43-4c8e-9a52-0d3c1e2f4a6b" in body
        assert "Dune" in body
        assert "25.00" in body
        assert "9.99" in body
        assert "34.99 USD" in body
    assert "2 x " + NASTY in text
    assert "&lt;b&gt;Bold&lt;/b&gt;" in html
    assert "<b>Bold</b>" not in html


async def test_back_in_stock_names_the_book_in_the_subject(send: Send) -> None:
    [got] = await send(rendered(BACK_IN_STOCK))
    text, html = parts(got)
    assert got["Subject"] == "Back in stock: " + NASTY  # a header is text, not HTML
    assert NASTY in text
    assert "&lt;b&gt;Bold&lt;/b&gt;" in html
    assert "<b>Bold</b>" not in html


async def test_smtp_refusal_is_a_permanent_error_and_a_down_server_a_transient_one(smtp_server: SmtpServer) -> None:
    config = SmtpConfig(host=smtp_server.host, port=smtp_server.port, security="none", timeout=5, sender=SENDER)
    smtp_server.mailbox.refuse_with = "554 no thanks"
    with pytest.raises(MailError) as refused:
        await SmtpMailer(config).send(rendered(PASSWORD_RESET))
    assert refused.value.permanent
    smtp_server.mailbox.refuse_with = "451 try later"
    with pytest.raises(MailError) as later:
        await SmtpMailer(config).send(rendered(PASSWORD_RESET))
    assert not later.value.permanent
    down = SmtpConfig(host="127.0.0.1", port=1, security="none", timeout=2, sender=SENDER)
    with pytest.raises(MailError) as unreachable:
        await SmtpMailer(down).send(rendered(PASSWORD_RESET))
    assert not unreachable.value.permanent
    assert smtp_server.mailbox.received() == []


async def test_a_send_that_hangs_is_cut_off_at_the_deadline(smtp_server: SmtpServer) -> None:
    config = SmtpConfig(host=smtp_server.host, port=smtp_server.port, security="none", timeout=1, sender=SENDER)
    smtp_server.mailbox.hold()  # the server never answers the DATA
    with pytest.raises(MailError):
        await SmtpMailer(config).send(rendered(PASSWORD_RESET))
    assert smtp_server.mailbox.received() == []


@pytest.mark.parametrize("security", ["starttls", "tls"])
async def test_smtp_over_tls_checks_the_certificate_and_delivers(security: str, tmp_path: Path) -> None:
    server_tls, client_tls = self_signed(tmp_path)
    server = SmtpServer(**{"starttls" if security == "starttls" else "implicit_tls": server_tls})
    server.start()
    try:
        config = SmtpConfig(host=server.host, port=server.port, security=security, timeout=5, sender=SENDER)
        with pytest.raises(MailError):  # the system's trust store does not know this certificate
            await SmtpMailer(config).send(rendered(PASSWORD_RESET))
        await SmtpMailer(config, tls_context=client_tls).send(rendered(PASSWORD_RESET))
        [got] = server.mailbox.received()
        assert got["Subject"] == "Your password reset code"
    finally:
        server.stop()


async def test_starttls_required_by_the_server_is_refused_without_it(tmp_path: Path) -> None:
    server_tls, _ = self_signed(tmp_path)
    server = SmtpServer(starttls=server_tls)
    server.start()
    try:
        plain = SmtpConfig(host=server.host, port=server.port, security="none", timeout=5, sender=SENDER)
        with pytest.raises(MailError) as refused:
            await SmtpMailer(plain).send(rendered(PASSWORD_RESET))
        assert "530" in str(refused.value)  # "Must issue a STARTTLS command first"
        assert server.mailbox.received() == []
    finally:
        server.stop()
