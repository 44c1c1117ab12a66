"""The embedded worker: without Valkey, an in-process broker, worker and relay timer live and die with the app.

Its actors run on a loop thread of their own with services of their own (as a `folio worker` process
would): nothing bound to the app's event loop is shared with them.
"""

from __future__ import annotations

import asyncio
import logging

from dramatiq import Broker, Worker

from adapters.dramatiq.broker import MAIL_QUEUE, PatientAsyncIO
from adapters.dramatiq.imports import IMPORT_QUEUE
from adapters.dramatiq.monitor import WorkerCounters
from adapters.dramatiq.publisher import DramatiqPublisher
from entrypoints.loops import new_event_loop
from entrypoints.settings import Settings
from entrypoints.worker import install_broker
from entrypoints.worker.lifecycle import FolioServices

log = logging.getLogger(__name__)


class EmbeddedWorker:
    """Started by the app's lifespan (`Services.start`), stopped by `Services.aclose`."""

    def __init__(self, settings: Settings, broker: Broker, publisher: DramatiqPublisher, *, threads: int) -> None:
        self._settings = settings
        self.broker = broker
        self._publisher = publisher  # the app's: it hands on only while this worker runs
        self._threads = threads
        self._worker: Worker | None = None
        self.counters = WorkerCounters((MAIL_QUEUE, IMPORT_QUEUE))  # for the operator's view
        broker.add_middleware(self.counters)
        broker.add_middleware(PatientAsyncIO(new_event_loop))
        broker.add_middleware(FolioServices(settings, recover_lost=True), after=PatientAsyncIO)

    async def start(self) -> None:
        if self._worker is not None:
            return
        install_broker(self.broker)
        worker = Worker(self.broker, worker_threads=self._threads, worker_timeout=100)
        await asyncio.to_thread(worker.start)
        self._worker = worker
        self._publisher.accepting = True
        log.info("embedded mail worker started (%d threads)", self._threads)

    def running(self) -> bool:
        """Started, and none of its threads has died."""
        worker = self._worker
        if worker is None:
            return False
        threads = [*worker.workers, *worker.consumers.values()]
        return all(thread.is_alive() for thread in threads)

    async def stop(self) -> None:
        worker, self._worker = self._worker, None
        if worker is None:
            return
        self._publisher.accepting = False
        await asyncio.to_thread(worker.stop, 15_000)
