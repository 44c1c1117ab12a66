"""Figures about the database for `/metrics` and the worker status: pool use, the outbox backlog, imports."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from adapters.sql.tables import import_files, outbox
from application.ports.operations import OutboxFigures


def pool_use(engine: AsyncEngine) -> dict[str, float]:
    """This process's pool: connections lent out, idle, and its configured size (0 when unpooled)."""
    pool = engine.sync_engine.pool
    if isinstance(pool, QueuePool):
        return {
            "in_use": float(pool.checkedout()),
            "idle": float(pool.checkedin()),
            "size": float(pool.size()),
            "overflow": float(max(pool.overflow(), 0)),
        }
    return {"in_use": 0.0, "idle": 0.0, "size": 0.0, "overflow": 0.0}


async def outbox_backlog(engine: AsyncEngine) -> float:
    """Mails whose transaction committed but that are not yet sent (uses the partial unsent index)."""
    async with engine.connect() as conn:
        count = (
            await conn.execute(select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None)))
        ).scalar()
    return float(count or 0)


class SqlBacklogs:
    """The operator's view of the store: outbox backlog and imports whose file is still held."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def outbox(self) -> OutboxFigures:
        unsent = outbox.c.sent_at.is_(None)
        failed = outbox.c.failed_at.is_not(None)
        query = select(
            func.count().filter(unsent & outbox.c.failed_at.is_(None)), func.count().filter(unsent & failed)
        ).where(unsent)  # both counts walk the partial unsent index
        async with self._engine.connect() as conn:
            pending, dead = (await conn.execute(query)).one()
        return OutboxFigures(pending=int(pending or 0), failed=int(dead or 0))

    async def imports_in_progress(self, *, limit: int) -> Sequence[UUID]:
        """An import keeps its uploaded chunks until it is over (the primary key leads with the import id)."""
        query = select(import_files.c.import_id).group_by(import_files.c.import_id).limit(limit)
        async with self._engine.connect() as conn:
            return [row[0] for row in await conn.execute(query)]
