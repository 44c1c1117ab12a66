"""The read side on PostgreSQL hands its connections out in arrival order, and a wait past the pool's
timeout is the pool's TimeoutError (a 503), not a hang."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from adapters.sql.engine import PoolOptions
from adapters.sql.search_postgres import PostgresCatalogReads
from application.ports.catalog import BookQuery


@pytest.fixture
async def engine(pg_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(pg_url)
    yield engine
    await engine.dispose()


async def test_reads_waiting_for_a_connection_get_it_in_arrival_order(engine: AsyncEngine) -> None:
    reads = PostgresCatalogReads(engine, pool=PoolOptions(size=1))
    finished: list[int] = []

    async def read(n: int) -> None:
        await reads.listing(BookQuery())
        finished.append(n)

    try:
        async with reads._turn():  # the only connection is busy
            waiting = []
            for n in range(5):
                waiting.append(asyncio.create_task(read(n)))
                await asyncio.sleep(0.01)  # each one queued before the next arrives
        late = asyncio.create_task(read(5))  # arrives as the connection comes back: after the others
        await asyncio.gather(*waiting, late)
    finally:
        await reads.dispose()
    assert finished == [0, 1, 2, 3, 4, 5]


async def test_a_read_that_waits_past_the_timeout_is_refused_within_it(engine: AsyncEngine) -> None:
    reads = PostgresCatalogReads(engine, pool=PoolOptions(size=1, timeout=0.3))
    try:
        async with reads._turn():
            started = time.monotonic()
            with pytest.raises(sa_exc.TimeoutError):
                await reads.listing(BookQuery())
            assert time.monotonic() - started < 2
        await reads.listing(BookQuery())  # and the connection serves again once free
    finally:
        await reads.dispose()
