"""The catalog's read-through cache inside one process (the embedded default runs one).

The same generations as the Valkey adapter. Values are kept encoded (msgpack) and decoded on each
hit, so a caller can never change a cached value and both adapters accept the same values.
"""

from __future__ import annotations

from typing import Any

import msgspec


class MemoryCatalogCache:
    def __init__(self, *, max_entries: int = 10_000) -> None:
        self._entries: dict[tuple[str, str], tuple[tuple[int, int], bytes]] = {}
        self._global = 0
        self._scopes: dict[str, int] = {}
        self._max = max_entries
        self._encoder = msgspec.msgpack.Encoder()
        self._decoders: dict[Any, msgspec.msgpack.Decoder[Any]] = {}

    def _generation(self, scope: str) -> tuple[int, int]:
        return self._global, self._scopes.get(scope, 0)

    async def read(self, scope: str, key: str, kind: Any) -> tuple[Any, object]:
        generation = self._generation(scope)
        found = self._entries.get((scope, key))
        if found is None or found[0] != generation:
            return None, generation
        decoder = self._decoders.get(kind)
        if decoder is None:
            decoder = self._decoders[kind] = msgspec.msgpack.Decoder(kind)
        return decoder.decode(found[1]), generation

    async def write(self, scope: str, key: str, value: Any, generation: object) -> None:
        if generation != self._generation(scope):
            return  # read before a write that has committed since
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[(scope, key)] = (self._generation(scope), self._encoder.encode(value))

    async def changed(self, *scopes: str) -> None:
        if not scopes:
            self._global += 1
            self._entries.clear()
            return
        for scope in scopes:
            self._scopes[scope] = self._scopes.get(scope, 0) + 1
