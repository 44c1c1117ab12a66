"""The catalog's read-through cache in Valkey, shared by every API process.

Each entry is stored with the catalog generation read before its database read; a catalog write
bumps the generation after its commit. One MGET (generation + entry) tells a fresh entry from a
stale one, even when a slow reader stores a value it read before the write committed. Entries also
expire, which bounds how long a change made outside the catalog's use cases could be served.
"""

from __future__ import annotations

from typing import Any

import msgspec
import valkey.asyncio as valkey

TTL = 300


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
            found = self._decoders[kind] = msgspec.msgpack.Decoder(tuple[int, kind])
        return found

    async def read(self, key: str, kind: Any) -> tuple[Any, int]:
        gen_raw, raw = await self._client.mget(self._gen_key, self._prefix + key)
        generation = int(gen_raw or 0)
        if raw is None:
            return None, generation
        stored, value = self._decoder(kind).decode(raw)
        return (value if stored == generation else None), generation

    async def write(self, key: str, value: Any, generation: int) -> None:
        await self._client.set(self._prefix + key, self._encoder.encode((generation, value)), ex=self._ttl)

    async def changed(self) -> None:
        await self._client.incr(self._gen_key)
