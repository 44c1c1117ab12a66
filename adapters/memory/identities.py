"""Linked provider identities in memory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from domain.linked_identities import IdentityTaken, LinkedIdentity

if TYPE_CHECKING:
    from adapters.memory.uow import MemoryUnitOfWork


class MemoryLinkedIdentityRepository:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._rows: dict[tuple[str, str], LinkedIdentity] = uow.table("linked_identities")

    async def get(self, provider: str, subject: str) -> LinkedIdentity | None:
        return self._rows.get((provider, subject))

    async def of_user(self, user_id: UUID) -> Sequence[LinkedIdentity]:
        found = [link for link in self._rows.values() if link.user_id == user_id]
        return sorted(found, key=lambda link: (link.linked_at, link.provider))

    async def add(self, identity: LinkedIdentity) -> None:
        key = (identity.provider, identity.subject)
        if key in self._rows:
            raise IdentityTaken(f"this {identity.provider} identity is linked already")
        self._rows[key] = identity

    async def remove(self, user_id: UUID, provider: str) -> bool:
        keys = [k for k, link in self._rows.items() if link.user_id == user_id and link.provider == provider]
        for key in keys:
            del self._rows[key]
        return bool(keys)

    async def remove_all(self, user_id: UUID) -> None:
        for key in [k for k, link in self._rows.items() if link.user_id == user_id]:
            del self._rows[key]
