from __future__ import annotations

from dataclasses import dataclass

from application.identity.credentials import Credentials
from application.identity.limits import limit_login
from application.identity.passwords import check_password_of
from application.identity.tokens import Tokens, issue_tokens
from application.ports.uow import UowFactory
from domain.identity import InvalidCredentials


@dataclass(frozen=True, slots=True)
class Login:
    email: str
    password: str
    client_address: str = "unknown"


class LoginHandler:
    """Checks a password and starts a session. Unknown email and wrong password look the same."""

    def __init__(self, *, uow: UowFactory, credentials: Credentials) -> None:
        self._uow = uow
        self._credentials = credentials

    async def __call__(self, cmd: Login) -> Tokens:
        credentials = self._credentials
        email = cmd.email.strip().lower()
        await limit_login(credentials, email, cmd.client_address)
        async with self._uow(read_only=True) as uow:
            user = await uow.users.get_by_email(email)
        if user is None:
            await credentials.hasher.burn()
            raise InvalidCredentials("wrong email or password")
        matches, upgraded = await check_password_of(credentials, user, cmd.password)
        if not matches:
            raise InvalidCredentials("wrong email or password")
        user.ensure_can_sign_in()
        if upgraded is not None:
            async with self._uow() as uow:
                fresh = await uow.users.get(user.id, lock=True)
                if fresh is not None:
                    fresh.password_hash = upgraded
                    await uow.users.update(fresh)
                    await uow.commit()
        return await issue_tokens(credentials, user)
