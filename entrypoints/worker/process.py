"""A `folio worker` process: the broker module Dramatiq's CLI loads in each worker process.

Importing it configures the broker from settings and declares the actors; the worker's services are
built by `bootstrap()` when the worker boots, on the actors' loop.
"""

from __future__ import annotations

from dramatiq import Broker

from adapters.dramatiq.broker import make_broker
from adapters.dramatiq.publisher import DramatiqPublisher
from entrypoints.bootstrap import bootstrap
from entrypoints.loops import new_event_loop
from entrypoints.settings import Settings, load_settings
from entrypoints.worker.lifecycle import serve_actors


def worker_broker(settings: Settings) -> Broker:
    if settings.valkey_url is None:
        raise RuntimeError("folio worker needs FOLIO_VALKEY_URL (without it, folio serve runs its own worker)")
    broker = make_broker(
        settings.valkey_url,
        prefix=settings.valkey_prefix,
        min_backoff_ms=settings.mail_retry_backoff * 1000,
        heartbeat_timeout_ms=settings.worker_heartbeat_timeout * 1000,
        loop_factory=new_event_loop,
    )
    serve_actors(
        broker,
        lambda: bootstrap(settings, publisher=DramatiqPublisher(broker)),
        relay_interval=settings.relay_interval,
    )
    return broker


broker = worker_broker(load_settings())
