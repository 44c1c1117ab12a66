"""The SMTP mailer: aiosmtplib on the event loop, STARTTLS, implicit TLS or plain, and a hard deadline."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass

import aiosmtplib

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

    def _client(self) -> aiosmtplib.SMTP:
        c = self._config
        return aiosmtplib.SMTP(
            hostname=c.host,
            port=c.port,
            username=c.user or None,
            password=(c.password or "") if c.user else None,
            timeout=c.timeout,  # each command's own bound; the deadline below bounds the whole send
            use_tls=c.security == "tls",
            start_tls=c.security == "starttls",  # required when asked for, never attempted otherwise
            tls_context=self._tls,
        )

    async def send(self, mail: Email) -> None:
        c = self._config
        message = build_message(mail, c.sender)
        client = self._client()
        try:
            async with asyncio.timeout(c.timeout):
                await client.connect()
                refused, _ = await client.send_message(message)
                if refused:
                    raise MailError(f"recipient refused: {sorted(refused)}", permanent=True)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise MailError(f"recipient refused: {[r.recipient for r in exc.recipients]}", permanent=True) from exc
        except aiosmtplib.SMTPResponseException as exc:
            permanent = 500 <= exc.code < 600 and not isinstance(exc, aiosmtplib.SMTPAuthenticationError)
            raise MailError(f"SMTP {exc.code}: {exc.message}", permanent=permanent) from exc
        except TimeoutError as exc:  # before OSError, its base class
            raise MailError(f"SMTP {c.host}:{c.port} did not finish within {c.timeout:g}s") from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise MailError(f"SMTP {c.host}:{c.port} failed: {type(exc).__name__}: {exc}") from exc
        finally:
            await _quit(client)


async def _quit(client: aiosmtplib.SMTP) -> None:
    if not client.is_connected:
        return
    try:
        async with asyncio.timeout(2):
            await client.quit()
    except (aiosmtplib.SMTPException, OSError, TimeoutError):
        with contextlib.suppress(Exception):
            client.close()
