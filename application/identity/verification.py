"""Email verification: a single-use link token, valid 24 hours.

The token is 256 random bits; only its SHA-256 digest is kept, in the TokenStore, with a TTL of the
token's life. So a database or Valkey dump reveals no usable link, the link works once, nothing
accumulates, and no key that signs other things (the JWT secret) can mint one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from application.identity.credentials import Credentials
from application.identity.limits import within_resend_limit
from application.identity.tokens import hash_secret
from application.mail import VERIFY_EMAIL, queue_mail
from application.ports.uow import UnitOfWork, UowFactory
from domain.identity import InvalidCode, User

_KEY = "verify:"


async def start_verification(credentials: Credentials, uow: UnitOfWork, user: User) -> None:
    """Stores a fresh token and queues the `verify-email` mail in `uow`'s transaction."""
    token = secrets.token_urlsafe(32)
    now = credentials.clock.now()
    expires = now + timedelta(seconds=credentials.policy.verification_ttl)
    await credentials.tokens.add_one_time(_KEY + hash_secret(token), str(user.id), now=now, expires_at=expires)
    link = f"{credentials.policy.public_url}/verify-email?token={token}"
    await queue_mail(uow, credentials.clock, VERIFY_EMAIL, user.email, {"username": user.username, "link": link})


@dataclass(frozen=True, slots=True)
class VerifyEmail:
    token: str


class VerifyEmailHandler:
    """Spends a verification token and marks its account verified."""

    def __init__(self, *, uow: UowFactory, credentials: Credentials) -> None:
        self._uow = uow
        self._credentials = credentials

    async def __call__(self, cmd: VerifyEmail) -> User:
        credentials = self._credentials
        owner = await credentials.tokens.take_one_time(_KEY + hash_secret(cmd.token), now=credentials.clock.now())
        if owner is None:
            raise InvalidCode("this verification link is invalid or has expired")
        async with self._uow() as uow:
            user = await uow.users.get(UUID(owner), lock=True)
            if user is None:
                raise InvalidCode("this verification link is invalid or has expired")
            user.verify_email()
            await uow.users.update(user)
            await uow.commit()
        return user


@dataclass(frozen=True, slots=True)
class ResendVerification:
    email: str


class ResendVerificationHandler:
    """Sends a new link to an unverified account; answers the same whether or not the email is known."""

    def __init__(self, *, uow: UowFactory, credentials: Credentials) -> None:
        self._uow = uow
        self._credentials = credentials

    async def __call__(self, cmd: ResendVerification) -> None:
        credentials = self._credentials
        email = cmd.email.strip().lower()
        if not await within_resend_limit(credentials, email):
            return
        async with self._uow() as uow:
            user = await uow.users.get_by_email(email)
            if user is None or user.is_verified or not user.is_active:
                return
            await start_verification(credentials, uow, user)
            await uow.commit()
