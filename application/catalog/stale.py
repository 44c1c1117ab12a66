"""After-commit subscriber to `BooksChanged`: the catalog cache forgets what the committed writes touched."""

from __future__ import annotations

from collections.abc import Sequence

from application.ports.catalog import CatalogCache
from domain.events import BooksChanged


class MarkCatalogStale:
    """One `changed(...)` per unit of work: the union of its events' scopes, or every scope if one names none."""

    def __init__(self, cache: CatalogCache) -> None:
        self._cache = cache

    async def __call__(self, events: Sequence[BooksChanged]) -> None:
        if any(not event.scopes for event in events):
            await self._cache.changed()
            return
        await self._cache.changed(*sorted({scope for event in events for scope in event.scopes}))
