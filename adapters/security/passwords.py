from __future__ import annotations

import asyncio
import ctypes
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher

#: Seconds without a hash in flight before the heap's free memory goes back to the system.
IDLE_TRIM_SECONDS = 1.0


class GlibcHeap:
    """What a worker needs of glibc's allocator to hand argon2's buffers back once logins stop.

    glibc serves an argon2 buffer (`memory_kib`, megabytes) from the calling thread's arena, after the
    first one raised its mmap threshold, and keeps it when freed (below the trim threshold) for the
    next hash: good during a burst, but `malloc_trim` only returns free memory in the middle of
    arenas, not their tops, so without more every hashing thread held a buffer for good.

    - `fix_thresholds` sets the thresholds glibc would reach after the first buffer anyway, so they
      hold still (setting one turns the dynamic adjustment off).
    - `release_top` (on each hashing thread, when idle) frees a block with the trim threshold
      lowered, which trims that thread's arena top; `trim` trims the main arena and every arena's
      free chunks.
    """

    M_TRIM_THRESHOLD = -1
    M_MMAP_THRESHOLD = -3
    #: glibc's own bounds: the largest mmap threshold, and the trim threshold it starts with.
    MMAP_THRESHOLD_MAX = 32 * 1024 * 1024
    TRIM_THRESHOLD_MIN = 128 * 1024

    def __init__(self, libc: ctypes.CDLL) -> None:
        self._libc = libc
        self._trim_threshold = self.TRIM_THRESHOLD_MIN
        for name, args in (("mallopt", [ctypes.c_int, ctypes.c_int]), ("malloc_trim", [ctypes.c_size_t])):
            getattr(libc, name).argtypes = args
            getattr(libc, name).restype = ctypes.c_int
        libc.malloc.argtypes = [ctypes.c_size_t]
        libc.malloc.restype = ctypes.c_void_p
        libc.free.argtypes = [ctypes.c_void_p]
        libc.free.restype = None

    @classmethod
    def load(cls) -> GlibcHeap | None:
        """None where the C library is another (musl, macOS, Windows)."""
        try:
            if not os.confstr("CS_GNU_LIBC_VERSION"):
                return None
            return cls(ctypes.CDLL("libc.so.6"))
        except (AttributeError, ValueError, OSError):
            return None

    def fix_thresholds(self, buffer_bytes: int) -> None:
        mmap_threshold = min(self.MMAP_THRESHOLD_MAX, buffer_bytes + 1024 * 1024)
        self._trim_threshold = 2 * mmap_threshold
        self._libc.mallopt(self.M_MMAP_THRESHOLD, mmap_threshold)
        self._libc.mallopt(self.M_TRIM_THRESHOLD, self._trim_threshold)

    def release_top(self) -> None:
        self._libc.mallopt(self.M_TRIM_THRESHOLD, self.TRIM_THRESHOLD_MIN)
        try:
            self._libc.free(self._libc.malloc(4 * self.TRIM_THRESHOLD_MIN))
        finally:
            self._libc.mallopt(self.M_TRIM_THRESHOLD, self._trim_threshold)

    def trim(self) -> None:
        self._libc.malloc_trim(0)


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class PwdlibPasswordHasher:
    """argon2id for new hashes; bcrypt hashes still verify and are upgraded.

    Hashing is CPU-bound (argon2-cffi releases the GIL), so it runs off the event loop on a pool of its
    own with one thread per core: more threads would only share the same cores, each with an argon2
    buffer (`memory_kib`) of its own, and the default executor stays free for everything else.

    During a burst each thread reuses its buffer; once no hash has been in flight for
    `IDLE_TRIM_SECONDS`, the buffers go back to the system (on glibc, see `GlibcHeap`).
    """

    def __init__(
        self, *, memory_kib: int = 19_456, time_cost: int = 2, parallelism: int = 1, threads: int | None = None
    ) -> None:
        argon = Argon2Hasher(memory_cost=memory_kib, time_cost=time_cost, parallelism=parallelism)
        self._hash = PasswordHash((argon, BcryptHasher()))
        self._threads = threads or _cores()
        self._pool = ThreadPoolExecutor(max_workers=self._threads, thread_name_prefix="folio-argon2")
        self._in_flight = 0
        self._heap = GlibcHeap.load()
        if self._heap is not None:
            self._heap.fix_thresholds(memory_kib * 1024)
        self._release_later: asyncio.TimerHandle | None = None
        self._releasing: asyncio.Task[None] | None = None
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        return await self._off_loop(self._hash.hash, password)

    async def verify(self, password: str, password_hash: str) -> tuple[bool, str | None]:
        return await self._off_loop(self._hash.verify_and_update, password, password_hash)

    async def burn(self) -> None:
        if self._dummy is None:
            self._dummy = await self.hash("folio-timing-equaliser")
        await self.verify("not the password", self._dummy)

    async def _off_loop[*A, R](self, call: Callable[[*A], R], *args: *A) -> R:
        loop = asyncio.get_running_loop()
        self._in_flight += 1
        try:
            return await loop.run_in_executor(self._pool, call, *args)
        finally:
            self._in_flight -= 1
            if self._in_flight == 0 and self._heap is not None:
                if self._release_later is not None:
                    self._release_later.cancel()
                self._release_later = loop.call_later(IDLE_TRIM_SECONDS, self._release_if_idle, loop)

    def _release_if_idle(self, loop: asyncio.AbstractEventLoop) -> None:
        self._release_later = None
        if self._in_flight == 0 and self._heap is not None and self._releasing is None:
            self._releasing = loop.create_task(self._release(self._heap))  # held: the loop keeps tasks weakly
            self._releasing.add_done_callback(self._released)

    def _released(self, _task: asyncio.Task[None]) -> None:
        self._releasing = None

    async def _release(self, heap: GlibcHeap) -> None:
        """Each pool thread trims its own arena (the barrier puts one task on every thread)."""
        together = threading.Barrier(self._threads, timeout=10)
        one_at_a_time = threading.Lock()

        def release() -> None:
            try:
                together.wait()
            except threading.BrokenBarrierError:  # hashes took threads meanwhile: the next idle spell
                return
            with one_at_a_time:
                heap.release_top()

        loop = asyncio.get_running_loop()
        try:
            await asyncio.gather(*(loop.run_in_executor(self._pool, release) for _ in range(self._threads)))
            await loop.run_in_executor(self._pool, heap.trim)
        except RuntimeError:  # the pool shut down with the interpreter
            return
