"""Server-side token state: refresh-token families, revocations, one-time codes and tokens.

Every method that writes takes `now` from the application's clock: entries expire against that
clock (so tests can move time) and each adapter also drops what it stores once it has expired.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID


@dataclass(frozen=True, slots=True)
class RefreshRecord:
    user_id: UUID
    family_id: UUID
    issued_at: datetime
    expires_at: datetime


class TokenStore(Protocol):
    """Every entry expires with the token it guards, so nothing accumulates."""

    async def add_refresh(self, token_hash: str, record: RefreshRecord) -> None:
        """Stores a live refresh token from `record.issued_at` until `record.expires_at`."""

    async def find_refresh(self, token_hash: str, *, now: datetime) -> RefreshRecord | None:
        """The live (unspent, unexpired, unrevoked) record of a refresh token, else None."""

    async def rotate_refresh(
        self, old_hash: str, new_hash: str, *, now: datetime, expires_at: datetime, revoke_until: datetime
    ) -> RefreshRecord | None:
        """Atomically spends `old_hash` and stores `new_hash` in the same family; returns the new record.

        None for an unknown, expired or revoked token. A spent token presented again revokes its whole
        family until `revoke_until` and raises TokenReused. Of two concurrent rotations of one token,
        exactly one succeeds.
        """

    async def revoke_family(self, family_id: UUID, *, now: datetime, until: datetime) -> None: ...
    async def revoke_access(self, jti: str, *, now: datetime, until: datetime) -> None: ...
    async def revoke_user(self, user_id: UUID, *, at: datetime, until: datetime) -> None:
        """Rejects every token of the user issued up to and including `at`."""

    async def is_revoked(self, *, jti: str, family_id: UUID, user_id: UUID, issued_at: datetime) -> bool: ...

    async def add_code(self, key: str, code_hash: str, *, tries: int, now: datetime, expires_at: datetime) -> None:
        """Stores a one-time code under `key`, replacing any earlier one."""

    async def use_code(self, key: str, code_hash: str, *, now: datetime) -> bool:
        """True (and the code is gone) if it matches; a miss spends a try and the last try burns it."""

    async def add_one_time(self, key: str, value: str, *, now: datetime, expires_at: datetime) -> None: ...
    async def take_one_time(self, key: str, *, now: datetime) -> str | None:
        """The value stored under `key` if unexpired, removing it (single use)."""
