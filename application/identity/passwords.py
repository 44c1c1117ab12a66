"""Checking an account's password, for accounts with and without one."""

from __future__ import annotations

from application.identity.credentials import Credentials
from domain.identity import User


async def check_password_of(credentials: Credentials, user: User, password: str) -> tuple[bool, str | None]:
    """(matches, upgraded hash). An account without a password (made by a provider sign-in) matches
    nothing, as slowly as a wrong password, until reset-password gives it one."""
    if user.password_hash is None:
        await credentials.hasher.burn()
        return False, None
    return await credentials.hasher.verify(password, user.password_hash)
