"""The import queue on Dramatiq: a message naming the `run_import` actor, taken by any worker."""

from __future__ import annotations

import asyncio
from uuid import UUID

import dramatiq

#: The actor `entrypoints/worker/import_actors.py` declares, and its queue.
RUN_IMPORT = "run_import"
#: A reader's library import (Goodreads, StoryGraph): the same queue, its own actor.
RUN_LIBRARY_IMPORT = "run_library_import"
IMPORT_QUEUE = "imports"


class DramatiqImportQueue:
    """Enqueues by actor name, so the API needs no actor imported (nor the worker's code)."""

    def __init__(
        self, broker: dramatiq.Broker, *, queue_name: str = IMPORT_QUEUE, actor_name: str = RUN_IMPORT
    ) -> None:
        self.broker = broker
        self._broker = broker
        self._queue_name = queue_name
        self._actor_name = actor_name
        broker.declare_queue(queue_name)  # a no-op when the worker's actor declared it already

    async def enqueue(self, import_id: UUID) -> None:
        message: dramatiq.Message[None] = dramatiq.Message(
            queue_name=self._queue_name,
            actor_name=self._actor_name,
            args=(str(import_id),),
            kwargs={},
            options={},
        )
        # The broker's client blocks: keep the event loop free.
        await asyncio.to_thread(self._broker.enqueue, message)
