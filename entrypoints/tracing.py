"""OpenTelemetry traces: on when the standard `OTEL_*` variables ask for them, else nothing is loaded.

Each process (a server worker, a Dramatiq worker process, a CLI command) calls `configure_tracing()` once
at start, before it builds engines and brokers. It sets the tracer provider (OTLP over HTTP, configured by
`OTEL_EXPORTER_OTLP_*` the way every OpenTelemetry SDK reads them), and instruments redis-py (Dramatiq's
broker client). Engines are traced one by one (`trace_engine`), the Litestar app by its plugin
(`http_plugins`), Dramatiq messages by `TraceContext` (the context rides in the message options).
Off, none of these modules is imported and no middleware is added.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter
    from sqlalchemy.ext.asyncio import AsyncEngine

_ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
_state: dict[str, Any] = {}


def tracing_requested(environ: Mapping[str, str] | None = None) -> bool:
    """The OTLP endpoint is set (or `OTEL_TRACES_EXPORTER` names an exporter), and the SDK is not disabled."""
    env = os.environ if environ is None else environ
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporter = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter == "none":
        return False
    return bool(exporter) or any(env.get(name, "").strip() for name in _ENDPOINTS)


def tracing_on() -> bool:
    return bool(_state)


def configure_tracing(service: str, *, exporter: SpanExporter | None = None) -> bool:
    """Sets up tracing for this process when requested (or when a test passes its own exporter)."""
    if _state:
        return True
    if exporter is None and not tracing_requested():
        return False
    from opentelemetry import trace
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.sdk.resources import OTELResourceDetector, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "folio"), "folio.process": service})
    provider = TracerProvider(resource=resource.merge(OTELResourceDetector().detect()))
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    RedisInstrumentor().instrument(tracer_provider=provider)
    _state["provider"] = provider
    return True


def trace_engine(engine: AsyncEngine) -> None:
    """SQL spans for the statements of one engine (no-op when tracing is off)."""
    if not _state:
        return
    from opentelemetry import metrics, trace
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.instrumentation.sqlalchemy.version import __version__

    if "connections" not in _state:
        meter = metrics.get_meter("opentelemetry.instrumentation.sqlalchemy", __version__)
        _state["connections"] = meter.create_up_down_counter("db.client.connections.usage", unit="connections")
    tracer = trace.get_tracer("opentelemetry.instrumentation.sqlalchemy", __version__)
    EngineTracer(tracer, engine.sync_engine, _state["connections"])


def http_plugins() -> list[Any]:
    """Litestar's OpenTelemetry plugin when tracing is on: a server span per request, by route."""
    if not _state:
        return []
    from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin

    return [OpenTelemetryPlugin(OpenTelemetryConfig(exclude=["^/health", "^/metrics"]))]


def broker_middleware() -> list[Any]:
    """Dramatiq middleware carrying the trace context from enqueue to processing, when tracing is on."""
    if not _state:
        return []
    from adapters.dramatiq.tracing import TraceContext

    return [TraceContext()]


def flush_traces() -> None:
    provider = _state.get("provider")
    if provider is not None:
        provider.force_flush(5_000)
