"""Linked provider identities in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.tables import linked_identities as table
from domain.linked_identities import IdentityTaken, LinkedIdentity


def _to_identity(row: RowMapping) -> LinkedIdentity:
    return LinkedIdentity(row["user_id"], row["provider"], row["subject"], row["email"], row["linked_at"])


class SqlLinkedIdentityRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, provider: str, subject: str) -> LinkedIdentity | None:
        query = select(table).where(table.c.provider == provider, table.c.subject == subject)
        row = (await self._conn.execute(query)).mappings().first()
        return None if row is None else _to_identity(row)

    async def of_user(self, user_id: UUID) -> Sequence[LinkedIdentity]:
        query = select(table).where(table.c.user_id == user_id).order_by(table.c.linked_at, table.c.provider)
        return [_to_identity(row) for row in (await self._conn.execute(query)).mappings()]

    async def add(self, identity: LinkedIdentity) -> None:
        values = {
            "provider": identity.provider,
            "subject": identity.subject,
            "user_id": identity.user_id,
            "email": identity.email,
            "linked_at": identity.linked_at,
        }
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(insert(table).values(values))
        except IntegrityError:
            raise IdentityTaken(f"this {identity.provider} identity is linked already") from None

    async def remove(self, user_id: UUID, provider: str) -> bool:
        result = await self._conn.execute(delete(table).where(table.c.user_id == user_id, table.c.provider == provider))
        return bool(result.rowcount)

    async def remove_all(self, user_id: UUID) -> None:
        await self._conn.execute(delete(table).where(table.c.user_id == user_id))
