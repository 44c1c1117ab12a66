"""The `.eml` file mailer: the embedded default, and the mailer whenever SMTP is not configured."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from adapters.mail.message import build_message
from application.ports.mail import Email, MailError


class FileMailer:
    """Writes each mail to `<directory>/<outbox id>.eml`; a second send of one mail rewrites the same file."""

    def __init__(self, directory: Path, sender: str) -> None:
        self._directory = directory
        self._sender = sender

    async def send(self, mail: Email) -> None:
        data = bytes(build_message(mail, self._sender))
        try:
            await asyncio.to_thread(self._write, f"{mail.id}.eml", data)
        except OSError as exc:
            raise MailError(f"cannot write mail file: {exc}") from exc

    def _write(self, name: str, data: bytes) -> None:
        self._directory.mkdir(parents=True, exist_ok=True)
        target = self._directory / name
        temporary = self._directory / f".{name}.tmp"
        temporary.write_bytes(data)
        os.replace(temporary, target)  # readers never see half a mail
