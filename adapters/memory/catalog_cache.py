"""The catalog's read-through cache inside one process (the embedded default runs one)."""

from __future__ import annotations

import copy
from typing import Any


class MemoryCatalogCache:
    def __init__(self, *, max_entries: int = 10_000) -> None:
        self._entries: dict[str, tuple[int, Any]] = {}
        self._generation = 0
        self._max = max_entries

    async def read(self, key: str, kind: Any) -> tuple[Any, int]:
        found = self._entries.get(key)
        if found is None or found[0] != self._generation:
            return None, self._generation
        return copy.deepcopy(found[1]), self._generation

    async def write(self, key: str, value: Any, generation: int) -> None:
        if generation != self._generation:
            return
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[key] = (generation, copy.deepcopy(value))

    async def changed(self) -> None:
        self._generation += 1
        self._entries.clear()
