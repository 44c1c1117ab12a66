"""ASGI entry for servers: `entrypoints.http.asgi:create` (a factory, so nothing is built at import)."""

from __future__ import annotations

from litestar import Litestar

from entrypoints.bootstrap import bootstrap
from entrypoints.heap import settle_heap
from entrypoints.http.app import create_app
from entrypoints.logs import configure_logging
from entrypoints.settings import load_settings
from entrypoints.tracing import configure_tracing


def create() -> Litestar:
    """Runs in every server worker process: its own logging, pools and clients."""
    settings = load_settings()
    configure_logging(settings)
    configure_tracing("api")  # before bootstrap builds engines and brokers; nothing when OTEL_* is unset
    app = create_app(bootstrap(settings, workers=settings.workers))  # `folio serve` sets FOLIO_WORKERS
    settle_heap()
    return app
