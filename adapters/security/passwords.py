from __future__ import annotations

import asyncio

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher


class PwdlibPasswordHasher:
    """argon2id for new hashes; bcrypt hashes still verify and are upgraded.

    Hashing is CPU-bound, so it runs in threads (argon2-cffi releases the GIL), at most
    `concurrency` at once so a burst of logins cannot starve the event loop's thread pool.
    """

    def __init__(
        self, *, memory_kib: int = 19_456, time_cost: int = 2, parallelism: int = 1, concurrency: int = 4
    ) -> None:
        argon = Argon2Hasher(memory_cost=memory_kib, time_cost=time_cost, parallelism=parallelism)
        self._hash = PasswordHash((argon, BcryptHasher()))
        self._slots = asyncio.Semaphore(concurrency)
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self._hash.hash, password)

    async def verify(self, password: str, password_hash: str) -> tuple[bool, str | None]:
        async with self._slots:
            return await asyncio.to_thread(self._hash.verify_and_update, password, password_hash)

    async def burn(self) -> None:
        if self._dummy is None:
            self._dummy = await self.hash("folio-timing-equaliser")
        await self.verify("not the password", self._dummy)
