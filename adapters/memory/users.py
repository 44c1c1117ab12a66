from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from domain.identity import EmailTaken, Role, User, UsernameTaken

if TYPE_CHECKING:
    from adapters.memory.uow import MemoryUnitOfWork


class MemoryUserRepository:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow
        self._rows: dict[UUID, User] = uow.table("users")

    def _out(self, user: User) -> User:
        found = copy.deepcopy(user)
        self._uow.track(found)
        return found

    async def get(self, user_id: UUID, *, lock: bool = False) -> User | None:
        user = self._rows.get(user_id)
        return None if user is None else self._out(user)

    async def get_by_email(self, email: str) -> User | None:
        return next((self._out(u) for u in self._rows.values() if u.email == email), None)

    async def email_exists(self, email: str) -> bool:
        return any(u.email == email for u in self._rows.values())

    async def username_exists(self, username: str, *, exclude: UUID | None = None) -> bool:
        name = username.lower()
        return any(u.username.lower() == name and u.id != exclude for u in self._rows.values())

    async def add(self, user: User) -> None:
        if await self.email_exists(user.email):
            raise EmailTaken(f"{user.email} is already registered")
        if await self.username_exists(user.username):
            raise UsernameTaken(f"{user.username} is taken")
        self._rows[user.id] = copy.deepcopy(user)
        self._uow.track(user)

    async def update(self, user: User) -> None:
        if any(u.email == user.email and u.id != user.id for u in self._rows.values()):
            raise EmailTaken(f"{user.email} is already registered")
        if await self.username_exists(user.username, exclude=user.id):
            raise UsernameTaken(f"{user.username} is taken")
        self._rows[user.id] = copy.deepcopy(user)

    async def delete(self, user_id: UUID) -> None:
        self._rows.pop(user_id, None)

    async def count_active_admins(self, *, lock: bool = False) -> int:
        return sum(1 for u in self._rows.values() if u.is_active_admin)

    async def search(
        self, *, q: str | None, role: Role | None, is_active: bool | None, limit: int, offset: int
    ) -> tuple[Sequence[User], int]:
        needle = (q or "").lower()
        found = [
            u
            for u in self._rows.values()
            if (not needle or needle in u.email.lower() or needle in u.username.lower())
            and (role is None or u.role is role)
            and (is_active is None or u.is_active is is_active)
        ]
        found.sort(key=lambda u: (-u.created_at.timestamp(), str(u.id)))
        return [copy.deepcopy(u) for u in found[offset : offset + limit]], len(found)
