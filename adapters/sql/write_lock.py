"""The SQLite writers' lock: one writer at a time, whichever event loop each writer runs on.

An `asyncio.Lock` belongs to the first loop that waits on it; a process may drive its units of work
from more than one loop (the app's and a test's), so waiters are woken on their own loops instead.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque


class WriteLock:
    """A FIFO lock for coroutines of any loop; on release it is handed to the oldest waiter."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._locked = False
        self._waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = deque()

    async def acquire(self) -> None:
        loop = asyncio.get_running_loop()
        with self._mutex:
            if not self._locked:
                self._locked = True
                return
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append((loop, waiter))
        try:
            await waiter
        except asyncio.CancelledError:
            with self._mutex:
                if (loop, waiter) in self._waiters:  # not handed over yet: just leave the queue
                    self._waiters.remove((loop, waiter))
                    raise
            if waiter.done() and not waiter.cancelled():  # handed over, then cancelled: pass it on
                self.release()
            raise  # else the hand-over sees the cancelled waiter and passes it on

    def release(self) -> None:
        with self._mutex:
            if not self._waiters:
                self._locked = False
                return
            loop, waiter = self._waiters.popleft()
        loop.call_soon_threadsafe(self._hand_over, waiter)

    def _hand_over(self, waiter: asyncio.Future[None]) -> None:
        if waiter.cancelled():
            self.release()
        else:
            waiter.set_result(None)
