"""The SQLite writers' lock holds one writer at a time across event loops, and survives cancelled waiters."""

from __future__ import annotations

import asyncio
import threading

from adapters.sql.write_lock import WriteLock


def test_writers_on_two_loops_never_overlap() -> None:
    lock = WriteLock()
    inside: list[int] = []
    overlaps: list[int] = []

    async def writer(n: int) -> None:
        for _ in range(200):
            await lock.acquire()
            try:
                if inside:
                    overlaps.append(n)
                inside.append(n)
                await asyncio.sleep(0)
                inside.pop()
            finally:
                lock.release()

    async def loop_of(n: int) -> None:
        await asyncio.gather(writer(n), writer(n + 10))

    threads = [threading.Thread(target=asyncio.run, args=(loop_of(n),)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert overlaps == []


async def test_a_cancelled_waiter_does_not_keep_the_lock() -> None:
    lock = WriteLock()
    await lock.acquire()
    waiting = asyncio.create_task(lock.acquire())
    await asyncio.sleep(0)
    lock.release()  # handed to the waiter...
    waiting.cancel()  # ...which is cancelled before it runs
    await asyncio.gather(waiting, return_exceptions=True)
    await asyncio.wait_for(lock.acquire(), timeout=1)  # passed on, not lost
    lock.release()
