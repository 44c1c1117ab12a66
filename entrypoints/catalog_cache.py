"""Which catalog cache a process writes through: light to import, for the composition root and the
command line's import alike (the adapter's module is imported only when it is the one chosen)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from application.ports.catalog import CatalogCache, NoCatalogCache

if TYPE_CHECKING:
    from valkey.asyncio import Valkey

    from entrypoints.settings import Settings


def catalog_cache(
    settings: Settings,
    valkey: Valkey | None,
    closers: list[Callable[[], Awaitable[None]]],
    *,
    in_process: bool = True,
) -> CatalogCache:
    """Valkey when configured (shared by every process; its closer joins `closers`, to run before the
    client's), else in-process; none with FOLIO_CATALOG_CACHE=false, nor in-process with
    `in_process=False` (a process no reader asks, such as `folio books import`)."""
    if not settings.catalog_cache:
        return NoCatalogCache()
    if valkey is not None:
        from adapters.valkey.catalog_cache import ValkeyCatalogCache

        # Entries kept in front of Valkey only where readers ask (not by `folio books import`).
        local = settings.catalog_cache_local_mb * 1024 * 1024 if in_process else 0
        shared = ValkeyCatalogCache(valkey, settings.valkey_prefix, local_bytes=local)
        closers.append(shared.aclose)
        return shared
    if not in_process:
        return NoCatalogCache()
    from adapters.memory.catalog_cache import MemoryCatalogCache

    return MemoryCatalogCache()
