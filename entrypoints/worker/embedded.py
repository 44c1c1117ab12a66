"""The embedded worker: without Valkey, an in-process broker, worker and relay timer live and die with the app.

The HTTP app's lifespan starts it with the services `bootstrap()` built for the app: its actors run on
the app's event loop (Dramatiq's worker threads wait on them there), so they share its pools.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from dramatiq import Broker, Worker
from dramatiq.asyncio import EventLoopThread, set_event_loop_thread
from dramatiq.middleware import Middleware

from entrypoints.worker import ServicesRegistry, install_broker
from entrypoints.worker.relay_timer import relay_forever

if TYPE_CHECKING:
    from entrypoints.bootstrap import Services

log = logging.getLogger(__name__)


class _RunningLoop(EventLoopThread):
    """Dramatiq's loop thread, standing for a loop that already runs (the app's): never started or stopped."""

    def __init__(self, logger: Any, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(logger)
        self.loop.close()  # the asyncio loop the base class made, never run
        self.loop = loop


class _OnRunningLoop(Middleware):
    """Runs the broker's async actors on `loop` instead of a loop thread of their own."""

    loop: asyncio.AbstractEventLoop | None = None

    def before_worker_boot(self, broker: Broker, worker: Any) -> None:
        assert self.loop is not None, "set the loop before the worker starts"
        set_event_loop_thread(_RunningLoop(log, self.loop))

    def after_worker_shutdown(self, broker: Broker, worker: Any) -> None:
        set_event_loop_thread(None)


class EmbeddedWorker:
    """Started and stopped by the app's lifespan; `of(services)` is None when a `folio worker` delivers."""

    def __init__(self, services: Services, *, threads: int) -> None:
        assert services.embedded is not None
        self._services = services
        self._broker, self._publisher = services.embedded
        self._threads = threads
        self._registry = ServicesRegistry()
        self._worker: Worker | None = None
        self._timer: asyncio.Task[None] | None = None
        self._on_loop = _OnRunningLoop()

    @classmethod
    def of(cls, services: Services) -> EmbeddedWorker | None:
        if services.embedded is None:
            return None
        return cls(services, threads=min(services.settings.worker_threads, 4))

    async def start(self) -> None:
        if self._worker is not None:
            return
        services = self._services
        self._registry.set(services)
        self._on_loop.loop = asyncio.get_running_loop()
        self._broker.add_middleware(self._on_loop)
        install_broker(self._broker, self._registry)
        worker = Worker(self._broker, worker_threads=self._threads, worker_timeout=100)
        await asyncio.to_thread(worker.start)
        self._worker = worker
        services.embedded_alive = self.running  # for the operator's view
        self._publisher.accepting = True
        # The broker lives in this process: what an earlier process handed to its own died with it.
        try:
            await services.mail.relay_all(stale_before=services.clock.now())
        except Exception as exc:  # the timer tries again
            log.warning("outbox recovery at start failed: %s: %s", type(exc).__name__, exc)
        self._timer = asyncio.create_task(relay_forever(services.mail, interval=services.settings.relay_interval))
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
        if self._timer is not None:
            self._timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timer
            self._timer = None
        await asyncio.to_thread(worker.stop, 15_000)
        self._broker.middleware.remove(self._on_loop)  # a later start on this broker adds its own
        self._registry.set(None)
        self._services.embedded_alive = lambda: False
