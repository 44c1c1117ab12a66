from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.identity import Role


class PasswordHasher(Protocol):
    """Hashes and checks passwords; the slow work runs off the event loop."""

    async def hash(self, password: str) -> str: ...
    async def verify(self, password: str, password_hash: str) -> tuple[bool, str | None]:
        """Returns (matches, a new hash when the stored one should be upgraded)."""

    async def burn(self) -> None:
        """Spends the time a verify would, so an unknown email answers as slowly as a known one."""


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: UUID
    role: Role
    jti: str
    session_id: UUID
    issued_at: datetime
    expires_at: datetime


class AccessTokens(Protocol):
    """Signs and checks access tokens (JWT)."""

    def issue(self, claims: AccessClaims) -> str: ...
    def decode(self, token: str) -> AccessClaims | None:
        """Returns None for anything that is not a valid, unexpired token of ours."""
