"""A `folio worker` process's services: built on the actors' loop at boot, closed at shutdown.

The relay timer runs on the same loop, beside the actors.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from dramatiq import Broker
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.middleware import Middleware

from adapters.dramatiq.broker import PatientAsyncIO
from entrypoints.worker import ServicesRegistry, install_broker
from entrypoints.worker.relay_timer import relay_forever

if TYPE_CHECKING:
    from entrypoints.bootstrap import Services

log = logging.getLogger("folio.worker")


class FolioServices(Middleware):
    """Add it after the AsyncIO middleware: `after_*` hooks run last-added first, so its shutdown runs
    while the loop still runs.

    `build` makes the services on the actors' loop (what they hold, connections, is bound to it) and is
    called once per worker boot; `registry` gives them to the actors until shutdown.
    """

    def __init__(self, registry: ServicesRegistry, build: Callable[[], Services], *, relay_interval: float) -> None:
        self._registry = registry
        self._build = build
        self._relay_interval = relay_interval
        self._timer: Future[None] | None = None
        self._services: Services | None = None

    def after_worker_boot(self, broker: Broker, worker: Any) -> None:
        loop = _loop()
        services = asyncio.run_coroutine_threadsafe(self._start(), loop).result(timeout=60)
        self._timer = asyncio.run_coroutine_threadsafe(
            relay_forever(services.mail, interval=self._relay_interval), loop
        )

    async def _start(self) -> Services:
        services = self._build()
        self._services = services
        self._registry.set(services)
        return services

    def after_worker_shutdown(self, broker: Broker, worker: Any) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        services, self._services = self._services, None
        if services is not None:
            asyncio.run_coroutine_threadsafe(services.aclose(), _loop()).result(timeout=30)
            self._registry.set(None)


def serve_actors(broker: Broker, build: Callable[[], Services], *, relay_interval: float) -> None:
    """Declares the actors on `broker`, calling services that `build` makes when its worker boots."""
    registry = ServicesRegistry()
    broker.add_middleware(FolioServices(registry, build, relay_interval=relay_interval), after=PatientAsyncIO)
    install_broker(broker, registry)


def _loop() -> asyncio.AbstractEventLoop:
    thread = get_event_loop_thread()
    if thread is None:
        raise RuntimeError("the AsyncIO middleware has not started its loop")
    return thread.loop
