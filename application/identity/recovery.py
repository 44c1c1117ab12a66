"""Password recovery: a 6-digit code by mail, valid 15 minutes, burnt after 5 wrong tries."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from application.identity.credentials import Credentials
from application.identity.limits import limit_forgot, limit_reset
from application.identity.tokens import hash_secret, revoke_user_tokens
from application.mail import PASSWORD_RESET, queue_mail
from application.ports.uow import UowFactory
from domain.identity import InvalidCode, check_password


def _code_key(email: str) -> str:
    return "reset:" + hash_secret(email)


def _code_digest(email: str, code: str) -> str:
    # Salted with the address so one digest cannot be matched against every account's code at once.
    return hash_secret(f"{email}\n{code.strip()}")


@dataclass(frozen=True, slots=True)
class ForgotPassword:
    email: str
    client_address: str = "unknown"


class ForgotPasswordHandler:
    """Mails a reset code to a known, active account; answers the same whether or not it exists."""

    def __init__(self, *, uow: UowFactory, credentials: Credentials) -> None:
        self._uow = uow
        self._credentials = credentials

    async def __call__(self, cmd: ForgotPassword) -> None:
        credentials = self._credentials
        email = cmd.email.strip().lower()
        await limit_forgot(credentials, email, cmd.client_address)
        async with self._uow() as uow:
            user = await uow.users.get_by_email(email)
            if user is None or not user.is_active:
                return
            code = f"{secrets.randbelow(1_000_000):06d}"
            now = credentials.clock.now()
            await credentials.tokens.add_code(
                _code_key(email),
                _code_digest(email, code),
                tries=credentials.policy.reset_code_tries,
                now=now,
                expires_at=now + timedelta(seconds=credentials.policy.reset_code_ttl),
            )
            link = f"{credentials.policy.public_url}/reset-password?{urlencode({'email': user.email})}"
            data = {"username": user.username, "code": code, "link": link}
            await queue_mail(uow, credentials.clock, PASSWORD_RESET, user.email, data)
            await uow.commit()


@dataclass(frozen=True, slots=True)
class ResetPassword:
    email: str
    code: str
    new_password: str
    client_address: str = "unknown"


class ResetPasswordHandler:
    """Spends the code, sets the new password and revokes every session of the account."""

    def __init__(self, *, uow: UowFactory, credentials: Credentials) -> None:
        self._uow = uow
        self._credentials = credentials

    async def __call__(self, cmd: ResetPassword) -> None:
        credentials = self._credentials
        email = cmd.email.strip().lower()
        await limit_reset(credentials, email, cmd.client_address)
        check_password(cmd.new_password)  # before the code, so a weak password spends no try
        if not await credentials.tokens.use_code(
            _code_key(email), _code_digest(email, cmd.code), now=credentials.clock.now()
        ):
            raise InvalidCode("the code is wrong or has expired")
        new_hash = await credentials.hasher.hash(cmd.new_password)
        async with self._uow() as uow:
            user = await uow.users.get_by_email(email)
            if user is None:
                raise InvalidCode("the code is wrong or has expired")
            user = await uow.users.get(user.id, lock=True) or user
            user.password_hash = new_hash
            user.verify_email()  # the code reached this mailbox: the address is proven
            await uow.users.update(user)
            await uow.commit()
        await revoke_user_tokens(credentials, user.id)
