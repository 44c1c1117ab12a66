"""The import actors: thin shells over the RunImport and library-import use cases; any worker may take them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

import dramatiq

from adapters.dramatiq.imports import IMPORT_QUEUE, RUN_IMPORT, RUN_LIBRARY_IMPORT
from entrypoints.heap import collector_eased

if TYPE_CHECKING:
    from entrypoints.worker import ServicesRegistry

#: Both import actors: retried while another worker holds the import, for up to an hour of work.
_OPTIONS: dict[str, Any] = {
    "queue_name": IMPORT_QUEUE,
    "max_retries": 30,
    "min_backoff": 5_000,
    "max_backoff": 60_000,
    "time_limit": 3_600_000,  # an hour: far longer than a 50 MB file takes
}


def declare(broker: dramatiq.Broker, registry: ServicesRegistry) -> None:
    async def run_import(import_id: str) -> None:
        """Runs one import; a finished one is a no-op, a live one elsewhere raises ImportBusy (retried later)."""
        with collector_eased():
            await registry.get().imports.run(UUID(import_id))

    async def run_library_import(import_id: str) -> None:
        """Runs one reader's library import (Goodreads, StoryGraph); the same rules as run_import."""
        with collector_eased():
            await registry.get().library.run(UUID(import_id))

    dramatiq.actor(broker=broker, actor_name=RUN_IMPORT, **_OPTIONS)(run_import)
    dramatiq.actor(broker=broker, actor_name=RUN_LIBRARY_IMPORT, **_OPTIONS)(run_library_import)
