"""Token state in process memory: the embedded default's store (one process only) and the tests' fake."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from application.ports.tokens import RefreshRecord
from domain.identity import TokenReused

#: How often expired entries are swept out (by the clock the callers pass).
_SWEEP_EVERY = timedelta(minutes=1)


@dataclass(slots=True)
class _Refresh:
    record: RefreshRecord
    spent: bool = False


@dataclass(slots=True)
class _Code:
    code_hash: str
    tries: int
    expires_at: datetime


class MemoryTokenStore:
    """Every entry carries its expiry; a sweep on writes drops the expired ones, so nothing accumulates.

    Methods never await between reading and writing, so each is atomic on the event loop.
    """

    def __init__(self) -> None:
        self._refresh: dict[str, _Refresh] = {}
        self._families: dict[UUID, datetime] = {}
        self._jtis: dict[str, datetime] = {}
        self._not_before: dict[UUID, tuple[datetime, datetime]] = {}
        self._codes: dict[str, _Code] = {}
        self._once: dict[str, tuple[str, datetime]] = {}
        self._swept: datetime | None = None

    def __len__(self) -> int:
        """Entries held, expired or not (tests check that sweeping keeps this bounded)."""
        maps: list[dict[Any, Any]] = [
            self._refresh,
            self._families,
            self._jtis,
            self._not_before,
            self._codes,
            self._once,
        ]
        return sum(len(m) for m in maps)

    def _sweep(self, now: datetime) -> None:
        if self._swept is not None and now - self._swept < _SWEEP_EVERY:
            return
        self._swept = now
        self._refresh = {k: v for k, v in self._refresh.items() if v.record.expires_at > now}
        self._families = {k: v for k, v in self._families.items() if v > now}
        self._jtis = {k: v for k, v in self._jtis.items() if v > now}
        self._not_before = {k: v for k, v in self._not_before.items() if v[1] > now}
        self._codes = {k: v for k, v in self._codes.items() if v.expires_at > now}
        self._once = {k: v for k, v in self._once.items() if v[1] > now}

    def _family_revoked(self, family_id: UUID, now: datetime) -> bool:
        until = self._families.get(family_id)
        return until is not None and until > now

    def _user_revoked(self, user_id: UUID, issued_at: datetime, now: datetime) -> bool:
        entry = self._not_before.get(user_id)
        return entry is not None and entry[1] > now and issued_at <= entry[0]

    def _live(self, entry: _Refresh | None, now: datetime) -> bool:
        if entry is None or entry.spent or entry.record.expires_at <= now:
            return False
        record = entry.record
        return not (
            self._family_revoked(record.family_id, now) or self._user_revoked(record.user_id, record.issued_at, now)
        )

    async def add_refresh(self, token_hash: str, record: RefreshRecord) -> None:
        self._sweep(record.issued_at)
        self._refresh[token_hash] = _Refresh(record)

    async def find_refresh(self, token_hash: str, *, now: datetime) -> RefreshRecord | None:
        entry = self._refresh.get(token_hash)
        return entry.record if entry is not None and self._live(entry, now) else None

    async def rotate_refresh(
        self, old_hash: str, new_hash: str, *, now: datetime, expires_at: datetime, revoke_until: datetime
    ) -> RefreshRecord | None:
        self._sweep(now)
        entry = self._refresh.get(old_hash)
        if entry is not None and entry.spent and entry.record.expires_at > now:
            self._families[entry.record.family_id] = max(revoke_until, self._families.get(entry.record.family_id, now))
            raise TokenReused("this refresh token was already used; the session is revoked")
        if entry is None or not self._live(entry, now):
            return None
        entry.spent = True
        fresh = replace(entry.record, issued_at=now, expires_at=expires_at)
        self._refresh[new_hash] = _Refresh(fresh)
        return fresh

    async def revoke_family(self, family_id: UUID, *, now: datetime, until: datetime) -> None:
        self._sweep(now)
        self._families[family_id] = max(until, self._families.get(family_id, until))

    async def revoke_access(self, jti: str, *, now: datetime, until: datetime) -> None:
        self._sweep(now)
        self._jtis[jti] = until

    async def revoke_user(self, user_id: UUID, *, at: datetime, until: datetime) -> None:
        self._sweep(at)
        earlier = self._not_before.get(user_id)
        if earlier is not None:
            at, until = max(at, earlier[0]), max(until, earlier[1])
        self._not_before[user_id] = (at, until)

    async def is_revoked(self, *, jti: str, family_id: UUID, user_id: UUID, issued_at: datetime) -> bool:
        if jti in self._jtis or family_id in self._families:
            return True
        entry = self._not_before.get(user_id)
        return entry is not None and issued_at <= entry[0]

    async def add_code(self, key: str, code_hash: str, *, tries: int, now: datetime, expires_at: datetime) -> None:
        self._sweep(now)
        self._codes[key] = _Code(code_hash, tries, expires_at)

    async def use_code(self, key: str, code_hash: str, *, now: datetime) -> bool:
        code = self._codes.get(key)
        if code is None or code.expires_at <= now:
            return False
        if hmac.compare_digest(code.code_hash, code_hash):
            del self._codes[key]
            return True
        code.tries -= 1
        if code.tries <= 0:
            del self._codes[key]
        return False

    async def add_one_time(self, key: str, value: str, *, now: datetime, expires_at: datetime) -> None:
        self._sweep(now)
        self._once[key] = (value, expires_at)

    async def take_one_time(self, key: str, *, now: datetime) -> str | None:
        entry = self._once.pop(key, None)
        if entry is None or entry[1] <= now:
            return None
        return entry[0]
