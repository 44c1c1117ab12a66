"""Figures about the database for `/metrics`: connection pool use and the mail outbox backlog."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from adapters.sql.tables import outbox


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
