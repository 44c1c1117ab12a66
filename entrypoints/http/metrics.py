"""Prometheus metrics: requests by route template and status, plus gauges read at scrape time.

Several server processes: `folio serve` points PROMETHEUS_MULTIPROC_DIR at a fresh directory before any
worker starts, every worker writes its counters there, and whichever worker answers `/metrics` merges
them (prometheus-client's multiprocess mode). Without that variable (tests, one process) each app keeps
its own registry.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from application.ports.operations import RequestFigures
from entrypoints.bootstrap import Services
from entrypoints.probes import Reading

log = logging.getLogger("folio.metrics")

CONTENT_TYPE = "text/plain; version=0.0.4"  # Litestar adds the charset
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "<unmatched>"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_PROBE_TIMEOUT = 2.0
_MAX_SERIES = 4096


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


class HttpMetrics:
    """Request counter and latency histogram; labels are bounded (route template, never the raw path)."""

    def __init__(self) -> None:
        disable_created_metrics()  # `_created` series double the output and no dashboard reads them
        self.multiprocess = multiprocess_dir() is not None
        # In multiprocess mode values live in files, so the metrics need no registry of their own.
        self.registry: CollectorRegistry | None = None if self.multiprocess else CollectorRegistry()
        labels = ("method", "route", "status")
        self.requests = Counter("folio_http_requests", "HTTP requests answered", labels, registry=self.registry)
        self.latency = Histogram(
            "folio_http_request_duration_seconds",
            "Time to answer an HTTP request",
            labels,
            buckets=_BUCKETS,
            registry=self.registry,
        )
        answers = Counter(
            "folio_http_cached_reads",
            "Public catalog reads looked up in the catalog cache before routing, by result",
            ("result",),
            registry=self.registry,
        )
        self.cache_hits, self.cache_misses = answers.labels("hit"), answers.labels("miss")
        self.rates = SlidingRates(self)
        #: The labelled series of each (method, route, status) seen: found once, not on every request.
        self._series: dict[tuple[str, str | None, int], tuple[Counter, Histogram]] = {}

    def observe(self, method: str, route: str | None, status: int, seconds: float) -> None:
        series = self._series.get((method, route, status))
        if series is None:
            labels = (method if method in _METHODS else "OTHER", route or UNMATCHED, str(status))
            series = (self.requests.labels(*labels), self.latency.labels(*labels))
            if len(self._series) < _MAX_SERIES:  # methods and statuses are the client's: keep the table bounded
                self._series[(method, route, status)] = series
        series[0].inc()
        series[1].observe(seconds)

    def _registry(self) -> CollectorRegistry:
        if self.registry is not None:
            return self.registry
        merged = CollectorRegistry()
        MultiProcessCollector(merged)  # every server process of this machine
        return merged

    def request_figures(self) -> bytes:
        return generate_latest(self._registry())

    def request_totals(self) -> tuple[int, int]:
        """Requests answered so far and how many of them were 5xx (all server processes of this machine)."""
        total = errors = 0.0
        for family in self._registry().collect():
            if family.name != "folio_http_requests":
                continue
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    total += sample.value
                    if sample.labels.get("status", "").startswith("5"):
                        errors += sample.value
        return int(total), int(errors)


class SlidingRates:
    """Request and 5xx rates over the last minute, from two readings of the request counter."""

    def __init__(self, metrics: HttpMetrics, *, window: float = 60.0) -> None:
        self._metrics = metrics
        self._window = window
        self._lock = threading.Lock()
        # (monotonic time, total, errors); the counter starts at zero with the process
        self._samples: deque[tuple[float, int, int]] = deque([(time.monotonic(), 0, 0)])

    def figures(self) -> RequestFigures:
        now = time.monotonic()
        total, errors = self._metrics.request_totals()
        with self._lock:
            while len(self._samples) > 1 and now - self._samples[1][0] >= self._window:
                self._samples.popleft()  # keep one reading at least a window old, when there is one
            then, total_then, errors_then = self._samples[0]
            if now - self._samples[-1][0] >= 1.0:
                self._samples.append((now, total, errors))
        seconds = max(now - then, 1e-3)
        requests, failed = max(total - total_then, 0), max(errors - errors_then, 0)
        return RequestFigures(
            per_second=requests / seconds,
            errors_per_second=failed / seconds,
            error_ratio=failed / requests if requests else 0.0,
            window_seconds=seconds,
            total=total,
            errors=errors,
        )


class _Snapshot(Collector):
    """Gauges already read (asynchronously) for one scrape."""

    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return self._families


def _family(name: str, help_text: str, label: str, reading: Reading) -> GaugeMetricFamily:
    if isinstance(reading, Mapping):
        family = GaugeMetricFamily(name, help_text, labels=[label])
        for key, value in reading.items():
            family.add_metric([str(key)], float(value))
        return family
    return GaugeMetricFamily(name, help_text, value=float(reading))


async def _read_gauges(services: Services) -> list[Metric]:
    gauges = dict(services.gauges)

    async def read(name: str) -> Metric | None:
        gauge = gauges[name]
        try:
            async with asyncio.timeout(_PROBE_TIMEOUT):
                return _family(name, gauge.help, gauge.label, await gauge.read())
        except Exception as exc:  # a slow or failing backing service must not fail the scrape
            log.warning("metric %s could not be read: %s", name, type(exc).__name__)
            return None

    families = await asyncio.gather(*(read(name) for name in gauges))
    return [family for family in families if family is not None]


async def render(metrics: HttpMetrics, services: Services) -> bytes:
    snapshot = CollectorRegistry()
    snapshot.register(_Snapshot(await _read_gauges(services)))
    return metrics.request_figures() + generate_latest(snapshot)


class MetricsController(Controller):
    path = "/metrics"
    tags = ["operations"]

    @get("/", media_type=CONTENT_TYPE, include_in_schema=True)
    async def scrape(
        self, services: NamedDependency[Services], http_metrics: NamedDependency[HttpMetrics]
    ) -> Response[bytes]:
        """Prometheus text: requests by route template and status, pool use, backlogs."""
        return Response(await render(http_metrics, services), media_type=CONTENT_TYPE)
