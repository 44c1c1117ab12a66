from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from adapters.sql.tables import outbox
from application.ports.outbox import OutboxMessage, RelayQuery


def _to_message(row: RowMapping) -> OutboxMessage:
    return OutboxMessage(
        id=row["id"],
        kind=row["kind"],
        recipient=row["recipient"],
        data=row["data"],
        created_at=row["created_at"],
        sent_at=row["sent_at"],
        attempts=row["attempts"],
        dispatched_at=row["dispatched_at"],
        attempted_at=row["attempted_at"],
        locked_until=row["locked_until"],
        failed_at=row["failed_at"],
        last_error=row["last_error"],
    )


def _relayable(query: RelayQuery) -> ColumnElement[bool]:
    c = outbox.c
    open_ = and_(c.sent_at.is_(None), c.failed_at.is_(None))
    never = c.dispatched_at.is_(None)
    left_behind = and_(never, c.created_at < query.created_before) if query.created_before is not None else never
    conditions = [left_behind]
    if query.stale_before is not None:
        conditions.append(
            and_(
                c.dispatched_at < query.stale_before,
                or_(c.attempted_at.is_(None), c.attempted_at < query.stale_before),
            )
        )
    # Claimed, then neither sent nor released (a failed send releases) once the claim lapsed: the worker
    # died mid-send. Handed on again once: the new dispatch is later than the lapsed claim.
    conditions.append(and_(c.locked_until.is_not(None), c.dispatched_at < c.locked_until))
    unclaimed = or_(c.locked_until.is_(None), c.locked_until < query.now)
    return and_(open_, unclaimed, or_(*conditions))


class SqlOutbox:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, message: OutboxMessage) -> None:
        await self._conn.execute(
            insert(outbox).values(
                id=message.id,
                kind=message.kind,
                recipient=message.recipient,
                data=dict(message.data),
                created_at=message.created_at,
            )
        )

    async def get(self, message_id: UUID, *, lock: bool = False) -> OutboxMessage | None:
        query = select(outbox).where(outbox.c.id == message_id)
        if lock:
            query = query.with_for_update()
        row = (await self._conn.execute(query)).mappings().first()
        return None if row is None else _to_message(row)

    async def pending(self, *, limit: int, older_than: datetime | None = None) -> Sequence[UUID]:
        query = select(outbox.c.id).where(outbox.c.sent_at.is_(None), outbox.c.failed_at.is_(None))
        if older_than is not None:
            query = query.where(outbox.c.created_at < older_than)
        query = query.order_by(outbox.c.created_at).limit(limit)
        return list((await self._conn.execute(query)).scalars())

    async def addressed_to(self, recipient: str, *, limit: int) -> Sequence[OutboxMessage]:
        query = (
            select(outbox)
            .where(outbox.c.recipient == recipient)
            .order_by(outbox.c.created_at.desc(), outbox.c.id.desc())
            .limit(limit)
        )
        rows = (await self._conn.execute(query)).mappings().all()
        return [_to_message(row) for row in reversed(rows)]

    async def relayable(self, query: RelayQuery) -> Sequence[UUID]:
        statement = (
            select(outbox.c.id)
            .where(_relayable(query))
            .order_by(outbox.c.created_at)
            .limit(query.limit)
            .with_for_update(skip_locked=True)
        )
        return list((await self._conn.execute(statement)).scalars())

    async def mark_dispatched(self, message_ids: Sequence[UUID], *, at: datetime) -> None:
        if message_ids:
            await self._conn.execute(update(outbox).where(outbox.c.id.in_(list(message_ids))).values(dispatched_at=at))

    async def claim(self, message_id: UUID, *, at: datetime, until: datetime) -> None:
        await self._conn.execute(
            update(outbox)
            .where(outbox.c.id == message_id)
            .values(attempts=outbox.c.attempts + 1, attempted_at=at, locked_until=until)
        )

    async def mark_sent(self, message_id: UUID, *, at: datetime) -> None:
        await self._conn.execute(
            update(outbox).where(outbox.c.id == message_id).values(sent_at=at, locked_until=None, last_error=None)
        )

    async def release(self, message_id: UUID, *, error: str, failed_at: datetime | None = None) -> None:
        await self._conn.execute(
            update(outbox)
            .where(outbox.c.id == message_id)
            .values(locked_until=None, last_error=error, failed_at=failed_at)
        )

    async def failed(self, *, limit: int, offset: int = 0) -> Sequence[OutboxMessage]:
        query = (
            select(outbox)
            .where(outbox.c.failed_at.is_not(None), outbox.c.sent_at.is_(None))
            .order_by(outbox.c.failed_at.desc(), outbox.c.id)
            .limit(limit)
            .offset(offset)
        )
        return [_to_message(row) for row in (await self._conn.execute(query)).mappings()]

    async def count_failed(self) -> int:
        query = (
            select(func.count()).select_from(outbox).where(outbox.c.failed_at.is_not(None), outbox.c.sent_at.is_(None))
        )
        return int((await self._conn.execute(query)).scalar_one())

    async def requeue(self, message_id: UUID) -> bool:
        result = await self._conn.execute(
            update(outbox)
            .where(outbox.c.id == message_id, outbox.c.failed_at.is_not(None), outbox.c.sent_at.is_(None))
            .values(failed_at=None, attempts=0, dispatched_at=None, locked_until=None)
        )
        return bool(result.rowcount)
