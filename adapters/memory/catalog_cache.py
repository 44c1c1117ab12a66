"""The catalog's read-through cache inside one process (the embedded default runs one).

The same rule as the Valkey adapter: every change takes the next number of a sequence, and each scope
remembers the number of its last change; an entry keeps the number current when its database read began
and the scopes it depends on, and is fresh while none of them (nor the whole cache) changed after that.
Values are kept encoded (msgpack) and decoded on each hit, so a caller can never change a cached value
and both adapters accept the same values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec


class MemoryCatalogCache:
    def __init__(self, *, max_entries: int = 10_000) -> None:
        self._entries: dict[str, tuple[int, tuple[str, ...], bytes]] = {}
        self._seq = 0  # the number of the last change
        self._everything = 0  # ... of the last change of every scope at once
        self._scopes: dict[str, int] = {}  # scope: the number of its last change
        self._max = max_entries
        self._encoder = msgspec.msgpack.Encoder()
        self._decoders: dict[Any, msgspec.msgpack.Decoder[Any]] = {}

    def _fresh(self, at: int, scopes: tuple[str, ...]) -> bool:
        changes = self._scopes
        return self._everything <= at and all(changes.get(scope, 0) <= at for scope in scopes)

    async def read(self, key: str, kind: Any) -> tuple[Any, object]:
        found = self._entries.get(key)
        if found is None or not self._fresh(found[0], found[1]):
            return None, self._seq
        decoder = self._decoders.get(kind)
        if decoder is None:
            decoder = self._decoders[kind] = msgspec.msgpack.Decoder(kind)
        return decoder.decode(found[2]), self._seq

    async def write(self, key: str, value: Any, token: object, scopes: Sequence[str] = ()) -> None:
        if not isinstance(token, int) or not self._fresh(token, tuple(scopes)):
            return  # read before a write that has committed since
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[key] = (token, tuple(scopes), self._encoder.encode(value))

    async def changed(self, *scopes: str) -> None:
        self._seq += 1
        if not scopes:
            self._everything = self._seq
            self._entries.clear()
            self._scopes.clear()
            return
        for scope in scopes:
            self._scopes[scope] = self._seq
