from __future__ import annotations

from dataclasses import dataclass
from uuid import uuid4

from application.identity.credentials import Credentials
from application.identity.verification import start_verification
from application.ports.uow import UnitOfWork, UowFactory
from domain.identity import (
    EmailTaken,
    Role,
    User,
    UsernameTaken,
    check_full_name,
    check_password,
    check_username,
    normalize_email,
)


@dataclass(frozen=True, slots=True)
class Register:
    email: str
    username: str
    password: str
    full_name: str | None = None


class RegisterHandler:
    """Creates an account with role USER, unverified."""

    def __init__(self, *, uow: UowFactory, credentials: Credentials) -> None:
        self._uow = uow
        self._credentials = credentials

    async def __call__(self, cmd: Register) -> User:
        user = await new_user(self._credentials, cmd)
        async with self._uow() as uow:
            await add_user(uow, user)
            await start_verification(self._credentials, uow, user)
            await uow.commit()
        return user


async def new_user(credentials: Credentials, cmd: Register, *, role: Role = Role.USER, verified: bool = False) -> User:
    """Checks the fields and hashes the password (off the event loop), before any transaction opens."""
    email = normalize_email(cmd.email)
    username = check_username(cmd.username)
    full_name = check_full_name(cmd.full_name)
    check_password(cmd.password)
    password_hash = await credentials.hasher.hash(cmd.password)
    return User(
        uuid4(), email, username, password_hash, credentials.clock.now(), full_name, role=role, is_verified=verified
    )


async def add_user(uow: UnitOfWork, user: User) -> None:
    if await uow.users.email_exists(user.email):
        raise EmailTaken(f"{user.email} is already registered")
    if await uow.users.username_exists(user.username):
        raise UsernameTaken(f"{user.username} is taken")
    await uow.users.add(user)
