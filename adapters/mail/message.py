"""Builds the MIME message both mailers send: text and HTML alternatives, a Message-ID from the outbox id."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from application.ports.mail import Email


def message_id(mail: Email, sender: str) -> str:
    """Stable across retries, so a mail that does get sent twice is recognisably one mail."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "folio.local"
    return f"<{mail.id}@{domain}>"


def build_message(mail: Email, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = mail.subject
    message["From"] = sender
    message["To"] = mail.to
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id(mail, sender)
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message
