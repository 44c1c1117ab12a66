"""The import actor: a thin shell over the RunImport use case; any worker on any machine may take it."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

import dramatiq

from adapters.dramatiq.imports import IMPORT_QUEUE, RUN_IMPORT
from entrypoints.heap import collector_eased

if TYPE_CHECKING:
    from entrypoints.worker import ServicesRegistry


def declare(broker: dramatiq.Broker, registry: ServicesRegistry) -> None:
    async def run_import(import_id: str) -> None:
        """Runs one import; a finished one is a no-op, a live one elsewhere raises ImportBusy (retried later)."""
        with collector_eased():
            await registry.get().imports.run(UUID(import_id))

    dramatiq.actor(
        broker=broker,
        actor_name=RUN_IMPORT,
        queue_name=IMPORT_QUEUE,
        max_retries=30,
        min_backoff=5_000,
        max_backoff=60_000,
        time_limit=3_600_000,  # an hour: far longer than a 50 MB file takes
    )(run_import)
