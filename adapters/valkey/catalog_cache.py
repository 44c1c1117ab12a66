"""The catalog's read-through cache in Valkey, shared by every API process.

Each entry is stored with the generations read before its database read: the global one and its
scope's (the list pages, the genre and tag lists, or one book's detail). A committed write bumps
the scopes it touched, or the global generation for all of them. One MGET (the two generations and
the entry) tells a fresh entry from a stale one, even when a slow reader stores a value it read
before the write committed. Entries expire after `ttl`, which bounds how long a change made outside
the catalog's use cases could be served; scope counters live far longer than any entry, so an
expired counter never brings an old entry back.
"""

from __future__ import annotations

from typing import Any, cast

import msgspec
import valkey.asyncio as valkey

TTL = 300
SCOPE_TTL = 7 * 24 * 3600  # renewed on every bump: far longer than any entry lives


class ValkeyCatalogCache:
    def __init__(self, client: valkey.Valkey, prefix: str, *, ttl: int = TTL) -> None:
        self._client = client
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

    async def read(self, scope: str, key: str, kind: Any) -> tuple[Any, object]:
        found = await self._client.mget(self._gen_key, self._scope_key(scope), self._entry_key(scope, key))
        generation = (int(found[0] or 0), int(found[1] or 0))
        if found[2] is None:
            return None, generation
        stored_global, stored_scope, value = self._decoder(kind).decode(found[2])
        return (value if (stored_global, stored_scope) == generation else None), generation

    async def write(self, scope: str, key: str, value: Any, generation: object) -> None:
        at_global, at_scope = cast(tuple[int, int], generation)  # the token `read` gave
        entry = self._encoder.encode((at_global, at_scope, value))
        await self._client.set(self._entry_key(scope, key), entry, ex=self._ttl)

    async def changed(self, *scopes: str) -> None:
        if not scopes:
            await self._client.incr(self._gen_key)
            return
        async with self._client.pipeline(transaction=False) as pipe:
            for scope in scopes:
                pipe.incr(self._scope_key(scope))
                pipe.expire(self._scope_key(scope), SCOPE_TTL)
            await pipe.execute()
