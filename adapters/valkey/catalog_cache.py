"""The catalog's read-through cache in Valkey, shared by every API process.

Each entry is stored with the generations read before its database read: the global one and its
scope's (the list pages, the genre and tag lists, or one book's detail). A committed write bumps
the scopes it touched, or the global generation for all of them. One MGET (the two generations and
the entry) tells a fresh entry from a stale one, even when a slow reader stores a value it read
before the write committed. Entries expire after `ttl`, which bounds how long a change made outside
the catalog's use cases could be served; scope counters live far longer than any entry, so an
expired counter never brings an old entry back.

The cache is optional: while Valkey does not answer, reads go to the database (a failure pauses the
cache for `pause` seconds, so requests do not each wait on a dead server), and a change that could
not be recorded becomes a bump of the global generation, retried until Valkey takes it, so that no
entry written before the change is served once Valkey is back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, cast

import msgspec
import valkey.asyncio as valkey

from adapters.valkey.client import UNAVAILABLE

TTL = 300
SCOPE_TTL = 7 * 24 * 3600  # renewed on every bump: far longer than any entry lives
#: Seconds the cache is skipped after Valkey failed to answer; how often a lost change is retried.
PAUSE = 5.0
RETRY_LOST_CHANGE = 0.5

log = logging.getLogger(__name__)


class ValkeyCatalogCache:
    def __init__(self, client: valkey.Valkey, prefix: str, *, ttl: int = TTL, pause: float = PAUSE) -> None:
        self._client = client
        self._pause = pause
        self._skip_until = 0.0
        self._lost_change = False
        self._retrying: asyncio.Task[None] | None = None
        self._prefix = f"{prefix}catalog:"
        self._gen_key = f"{self._prefix}gen"
        self._ttl = ttl
        self._encoder = msgspec.msgpack.Encoder()
        self._decoders: dict[Any, msgspec.msgpack.Decoder[Any]] = {}

    def _decoder(self, kind: Any) -> msgspec.msgpack.Decoder[Any]:
        found = self._decoders.get(kind)
        if found is None:
            found = self._decoders[kind] = msgspec.msgpack.Decoder(tuple[int, int, kind])
        return found

    def _scope_key(self, scope: str) -> str:
        return f"{self._prefix}gen:{scope}"

    def _entry_key(self, scope: str, key: str) -> str:
        return f"{self._prefix}{scope}:{key}"

    # -- Valkey down: skip the cache, remember a lost change ------------------------------------------
    def _usable(self) -> bool:
        return not self._lost_change and time.monotonic() >= self._skip_until

    def _failed(self, exc: Exception) -> None:
        if time.monotonic() >= self._skip_until:
            log.warning("catalog cache skipped for %.0fs: Valkey: %s: %s", self._pause, type(exc).__name__, exc)
        self._skip_until = time.monotonic() + self._pause

    def _lost(self) -> None:
        self._lost_change = True
        if self._retrying is None or self._retrying.done():
            self._retrying = asyncio.create_task(self._bump_when_back())

    async def _bump_when_back(self) -> None:
        """Every entry may predate the lost change: make them all stale as soon as Valkey answers."""
        while self._lost_change:
            try:
                await self._client.incr(self._gen_key)
            except UNAVAILABLE:
                await asyncio.sleep(RETRY_LOST_CHANGE)
            else:
                self._lost_change = False

    async def aclose(self) -> None:
        """Stops retrying a lost change (the process is going away; entries expire after `ttl`)."""
        if self._retrying is not None:
            self._retrying.cancel()
            await asyncio.gather(self._retrying, return_exceptions=True)

    # -- the cache -----------------------------------------------------------------------------------
    async def read(self, scope: str, key: str, kind: Any) -> tuple[Any, object]:
        if not self._usable():
            return None, None
        try:
            found = await self._client.mget(self._gen_key, self._scope_key(scope), self._entry_key(scope, key))
        except UNAVAILABLE as exc:
            self._failed(exc)
            return None, None
        generation = (int(found[0] or 0), int(found[1] or 0))
        if found[2] is None:
            return None, generation
        stored_global, stored_scope, value = self._decoder(kind).decode(found[2])
        return (value if (stored_global, stored_scope) == generation else None), generation

    async def write(self, scope: str, key: str, value: Any, generation: object) -> None:
        if generation is None or not self._usable():  # read while Valkey was down: nothing to compare with
            return
        at_global, at_scope = cast(tuple[int, int], generation)  # the token `read` gave
        entry = self._encoder.encode((at_global, at_scope, value))
        try:
            await self._client.set(self._entry_key(scope, key), entry, ex=self._ttl)
        except UNAVAILABLE as exc:
            self._failed(exc)

    async def changed(self, *scopes: str) -> None:
        try:
            await self._record(scopes)
        except UNAVAILABLE as exc:
            self._failed(exc)
            self._lost()

    async def _record(self, scopes: tuple[str, ...]) -> None:
        if not scopes:
            await self._client.incr(self._gen_key)
            return
        async with self._client.pipeline(transaction=False) as pipe:
            for scope in scopes:
                pipe.incr(self._scope_key(scope))
                pipe.expire(self._scope_key(scope), SCOPE_TTL)
            await pipe.execute()
