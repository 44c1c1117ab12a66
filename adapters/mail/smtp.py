"""The SMTP mailer: smtplib in a worker thread, STARTTLS, implicit TLS or plain, and a hard deadline."""

from __future__ import annotations

import asyncio
import contextlib
import smtplib
import socket
import ssl
import threading
from dataclasses import dataclass
from email.message import EmailMessage

from adapters.mail.message import build_message
from application.ports.mail import Email, MailError


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int = 587
    user: str | None = None
    password: str | None = None
    security: str = "starttls"  # starttls | tls | none
    timeout: float = 30.0
    sender: str = "Folio <no-reply@folio.local>"


class SmtpMailer:
    """One connection per mail. A send that outlives `timeout` is cut off, so it never outlives its claim."""

    def __init__(self, config: SmtpConfig, *, tls_context: ssl.SSLContext | None = None) -> None:
        if config.security not in {"starttls", "tls", "none"}:
            raise ValueError(f"unknown SMTP security {config.security!r}")
        self._config = config
        self._tls = tls_context or ssl.create_default_context()

    async def send(self, mail: Email) -> None:
        message = build_message(mail, self._config.sender)
        await asyncio.to_thread(self._send, message)

    def _connect(self) -> smtplib.SMTP:
        c = self._config
        try:
            if c.security == "tls":
                return smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=self._tls)
            return smtplib.SMTP(c.host, c.port, timeout=c.timeout)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"cannot connect to SMTP {c.host}:{c.port}: {type(exc).__name__}: {exc}") from exc

    def _send(self, message: EmailMessage) -> None:
        c = self._config
        smtp = self._connect()
        deadline = threading.Timer(c.timeout, _cut_off, args=(smtp,))
        deadline.start()
        try:
            smtp.ehlo()
            if c.security == "starttls":
                smtp.starttls(context=self._tls)
                smtp.ehlo()
            if c.user:
                smtp.login(c.user, c.password or "")
            refused = smtp.send_message(message)
            if refused:
                raise MailError(f"recipient refused: {sorted(refused)}", permanent=True)
        except smtplib.SMTPResponseException as exc:
            permanent = 500 <= exc.smtp_code < 600 and not isinstance(exc, smtplib.SMTPAuthenticationError)
            raise MailError(f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}", permanent=permanent) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise MailError(f"recipient refused: {sorted(exc.recipients)}", permanent=True) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"SMTP failed: {type(exc).__name__}: {exc}") from exc
        finally:
            deadline.cancel()
            _quit(smtp)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _cut_off(smtp: smtplib.SMTP) -> None:
    """Runs on the deadline timer's thread: wakes the blocked send with a socket error."""
    sock = smtp.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()
