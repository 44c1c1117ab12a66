"""Gives a Dramatiq worker its own services: built on the actors' loop at boot, closed at shutdown.

The relay timer runs on the same loop, beside the actors.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from dramatiq import Broker
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.middleware import Middleware

from adapters.dramatiq.publisher import DramatiqPublisher
from entrypoints.settings import Settings
from entrypoints.worker import set_services
from entrypoints.worker.relay_timer import relay_forever

if TYPE_CHECKING:
    from entrypoints.bootstrap import Services

log = logging.getLogger("folio.worker")


class FolioServices(Middleware):
    """Add it after the AsyncIO middleware: `after_*` hooks run last-added first, so its shutdown runs
    while the loop still runs.

    `recover_lost`: the broker lives in this process, so whatever an earlier process handed to its own
    broker died with it; at boot, hand every unsent row on again.
    """

    def __init__(self, settings: Settings, *, recover_lost: bool = False) -> None:
        self._settings = settings
        self._recover_lost = recover_lost
        self._timer: Future[None] | None = None
        self._services: Services | None = None

    def after_worker_boot(self, broker: Broker, worker: Any) -> None:
        loop = _loop()
        services = asyncio.run_coroutine_threadsafe(self._start(broker), loop).result(timeout=60)
        self._timer = asyncio.run_coroutine_threadsafe(
            relay_forever(services.mail, interval=self._settings.relay_interval), loop
        )

    async def _start(self, broker: Broker) -> Services:
        from entrypoints.bootstrap import bootstrap

        # `folio worker` sets FOLIO_WORKER_PROCESSES: the processes sharing its connection budget.
        services = bootstrap(
            self._settings, publisher=DramatiqPublisher(broker), workers=self._settings.worker_processes
        )
        self._services = services
        set_services(services)
        if self._recover_lost:
            try:
                await services.mail.relay_all(stale_before=services.deps.clock.now())
            except Exception as exc:  # the timer tries again
                log.warning("outbox recovery at boot failed: %s: %s", type(exc).__name__, exc)
        return services

    def after_worker_shutdown(self, broker: Broker, worker: Any) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        services, self._services = self._services, None
        if services is not None:
            asyncio.run_coroutine_threadsafe(services.aclose(), _loop()).result(timeout=30)
            set_services(None)


def _loop() -> asyncio.AbstractEventLoop:
    thread = get_event_loop_thread()
    if thread is None:
        raise RuntimeError("the AsyncIO middleware has not started its loop")
    return thread.loop
