"""Tracing is off unless the standard OTEL_* variables ask for it, and off costs nothing: nothing is loaded."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from entrypoints.tracing import tracing_requested

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("environ", "on"),
    [
        ({}, False),
        ({"OTEL_SERVICE_NAME": "folio"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
        ({"OTEL_TRACES_EXPORTER": "otlp"}, True),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_TRACES_EXPORTER": "none"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "true"}, False),
    ],
)
def test_the_standard_variables_turn_tracing_on(environ: dict[str, str], on: bool) -> None:
    assert tracing_requested(environ) is on


BUILD = textwrap.dedent(
    """
    import os, sys, tempfile
    for key in [k for k in os.environ if k.startswith(("OTEL_", "FOLIO_"))]:
        del os.environ[key]
    os.environ["FOLIO_VAR_DIR"] = tempfile.mkdtemp()
    from entrypoints.http.asgi import create
    app = create()
    from entrypoints.worker.wiring import build_mail
    from entrypoints.settings import load_settings
    wiring = build_mail(load_settings(env_file=None), publisher=None, mailer=None)
    names = [type(m).__name__ for m in wiring.broker.middleware]
    ours = ("opentelemetry.exporter", "opentelemetry.instrumentation.sqlalchemy",
            "opentelemetry.instrumentation.redis", "adapters.dramatiq.tracing")
    from opentelemetry import trace
    provider = type(trace.get_tracer_provider()).__name__
    plugins = [type(p).__name__ for p in app.plugins.init]
    print(sorted(m for m in sys.modules if m.startswith(ours)), provider, "OpenTelemetryPlugin" in plugins,
          "TraceContext" in names)
    """
)


def test_off_no_opentelemetry_module_is_imported_and_no_middleware_added() -> None:
    """(redis-py 8 and Litestar import parts of OpenTelemetry by themselves when it is installed; no
    provider is set, so nothing is recorded, and our exporter, instrumentations and middleware stay out.)"""
    result = subprocess.run(
        [sys.executable, "-c", BUILD], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    modules, provider, plugin, middleware = result.stdout.strip().rsplit(" ", 3)
    assert modules == "[]"
    assert provider == "ProxyTracerProvider"  # the API's no-op: no span is recorded or exported
    assert plugin == "False"
    assert middleware == "False"
