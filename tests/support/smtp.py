"""A real SMTP server for tests: aiosmtpd on loopback, keeping what it accepts."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
import threading
import time
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.processes import free_port


class Mailbox:
    """The aiosmtpd handler. `hold()` makes the next DATA wait (a send in progress) until `release()`."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()
        self._hold = threading.Event()
        self.holding = threading.Event()  # set while a held DATA waits
        self._released = threading.Event()
        self.refuse_with: str | None = None  # e.g. "451 try later": answer every DATA with it

    def hold(self) -> None:
        self._released.clear()
        self._hold.set()

    def release(self) -> None:
        self._released.set()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self._hold.is_set():
            self._hold.clear()
            self.holding.set()
            try:
                # The client may die meanwhile; then aiosmtpd cancels this coroutine and nothing is accepted.
                await asyncio.to_thread(self._released.wait)
            finally:
                self.holding.clear()
            if server.transport is None:  # the client died meanwhile: the mail was never accepted
                return "451 client gone"
        if self.refuse_with:
            return self.refuse_with
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.messages.append(message)
        return "250 OK"

    def received(self) -> list[EmailMessage]:
        with self._lock:
            return list(self.messages)

    def wait_for(self, count: int, *, timeout: float = 10.0) -> list[EmailMessage]:
        """Waits until at least `count` messages arrived; returns them all."""
        return wait_until(lambda: self.received() if len(self.received()) >= count else None, timeout=timeout)


class SmtpServer:
    """`starttls`: offers STARTTLS with this context and requires it; `implicit_tls`: TLS from the first byte."""

    def __init__(self, *, starttls: ssl.SSLContext | None = None, implicit_tls: ssl.SSLContext | None = None) -> None:
        self.mailbox = Mailbox()
        self.port = free_port()
        self.host = "127.0.0.1"
        tls: dict[str, Any] = {}
        if starttls is not None:
            tls = {"tls_context": starttls, "require_starttls": True}
        if implicit_tls is not None:
            tls = {"ssl_context": implicit_tls}
        self._controller = Controller(self.mailbox, hostname=self.host, port=self.port, **tls)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self.mailbox.release()
        self._controller.stop()

    def env(self, *, timeout: int = 5) -> dict[str, str]:
        """`FOLIO_*` settings that send to this server."""
        return {
            "FOLIO_SMTP_HOST": self.host,
            "FOLIO_SMTP_PORT": str(self.port),
            "FOLIO_SMTP_TLS": "none",
            "FOLIO_SMTP_TIMEOUT": str(timeout),
        }


def self_signed(directory: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A certificate for 127.0.0.1 made with openssl: the server's context, and a client's that trusts it."""
    cert, key = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    return server, ssl.create_default_context(cafile=str(cert))


def wait_until[T](probe: Callable[[], T | None], *, timeout: float = 10.0, every: float = 0.05) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting after {timeout}s")
        time.sleep(every)


async def await_until[T](probe: Callable[[], T | None], *, within: float = 10.0, every: float = 0.05) -> T:
    """`wait_until` for async tests: lets the event loop run meanwhile."""
    deadline = time.monotonic() + within
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting after {within}s")
        await asyncio.sleep(every)


def parts(message: EmailMessage) -> tuple[str, str]:
    """The plain text and HTML bodies of a multipart/alternative mail."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None, "expected a text part"
    assert html is not None, "expected an HTML part"
    return text.get_content(), html.get_content()
