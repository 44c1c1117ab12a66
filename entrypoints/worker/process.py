"""A `folio worker` process: the broker module Dramatiq's CLI loads in each worker process.

Importing it configures the broker from settings and declares the actors; the worker's services are
built by `bootstrap()` when the worker boots, on the actors' loop.
"""

from __future__ import annotations

import os

from dramatiq import Broker

from adapters.dramatiq.broker import MAIL_QUEUE, make_broker
from adapters.dramatiq.imports import IMPORT_QUEUE
from adapters.dramatiq.monitor import WorkerCounters
from adapters.dramatiq.publisher import DramatiqPublisher
from entrypoints.bootstrap import bootstrap
from entrypoints.loops import new_event_loop
from entrypoints.serving import DRAMATIQ_PROM_DB
from entrypoints.settings import Settings, load_settings
from entrypoints.tracing import broker_middleware, configure_tracing
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
    broker.add_middleware(WorkerCounters((MAIL_QUEUE, IMPORT_QUEUE)))  # host, pid and counts beside its heartbeat
    for middleware in broker_middleware():  # the trace context of the sender, when tracing is on
        broker.add_middleware(middleware)
    if os.environ.get(DRAMATIQ_PROM_DB):  # set by `folio worker` unless FOLIO_WORKER_METRICS_PORT=0
        from dramatiq.middleware.prometheus import Prometheus

        broker.add_middleware(Prometheus())  # processed, failed, retried, in progress, durations by actor
    # `folio worker` sets FOLIO_WORKER_PROCESSES: the processes sharing its connection budget.
    serve_actors(
        broker,
        lambda: bootstrap(settings, publisher=DramatiqPublisher(broker), workers=settings.worker_processes),
        relay_interval=settings.relay_interval,
    )
    return broker


configure_tracing("worker")  # each worker process, before its broker and engines exist
broker = worker_broker(load_settings())
