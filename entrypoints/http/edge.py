"""The edge: trusted hosts, CORS, the request id and security headers, one log line plus metrics per request.

`harden(app, ...)` wraps the whole ASGI handler (not route middleware), so unknown routes, refused hosts,
CORS preflights and errors are logged, counted and given the same headers as everything else.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import cast

import msgspec
import structlog
from litestar import Litestar
from litestar.config.allowed_hosts import AllowedHostsConfig
from litestar.config.cors import CORSConfig
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware.allowed_hosts import AllowedHostsMiddleware
from litestar.types import ASGIApp, HTTPResponseStartEvent, Message, Receive, Scope, Send

from application.ports.catalog import CatalogCache
from entrypoints.http.landing import PAGE_PATHS, PAGES_CSP
from entrypoints.http.metrics import HttpMetrics
from entrypoints.http.middleware import request_id
from entrypoints.http.problems import PROBLEM_JSON, Problem
from entrypoints.http.response_cache import CachedReads
from entrypoints.settings import Settings

access_log = logging.getLogger("folio.access")

#: A JSON API renders nothing: no scripts, frames, forms or plugins.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
#: The /schema docs pages: their scripts, styles and the schema all come from this server (docs_ui.py).
#: The UIs' init scripts are inline (Litestar's render plugins), and they inject styles and run a web worker.
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "font-src 'self' data:; img-src 'self' data: blob:; connect-src 'self'; worker-src 'self' blob:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
#: The operator's dashboard (/admin/): its own script and styles, calls to this origin only, nothing inline.
DASHBOARD_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
CORS_ALLOW_HEADERS = ["Authorization", "Content-Type", "X-Request-ID", "Idempotency-Key", "If-None-Match"]
CORS_EXPOSE_HEADERS = ["X-Request-ID", "Location", "ETag", "Retry-After", "WWW-Authenticate"]


def cors_config(settings: Settings) -> CORSConfig | None:
    """Browsers on the listed origins may call the API; none listed means no cross-origin access."""
    if not settings.cors_origins:
        return None
    return CORSConfig(
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=CORS_ALLOW_HEADERS,
        expose_headers=CORS_EXPOSE_HEADERS,
        allow_credentials=False,  # bearer tokens, never cookies
        max_age=600,
    )


#: Names of the headers the edge sets on every response (a response's own value of one is replaced).
_EDGE_HEADER_NAMES = frozenset(
    {
        b"x-request-id",
        b"x-content-type-options",
        b"x-frame-options",
        b"referrer-policy",
        b"cross-origin-opener-policy",
        b"content-security-policy",
        b"strict-transport-security",
    }
)


class EdgeHeaders:
    """The request id and the security headers, set on every response's start by `Observe`."""

    def __init__(self, settings: Settings) -> None:
        hsts = settings.public_url.lower().startswith("https://")

        def headers(csp: str) -> list[tuple[bytes, bytes]]:
            found = [
                (b"x-content-type-options", b"nosniff"),
                (b"x-frame-options", b"DENY"),
                (b"referrer-policy", b"no-referrer"),
                (b"cross-origin-opener-policy", b"same-origin"),
                (b"content-security-policy", csp.encode("latin-1")),
            ]
            return found + ([(b"strict-transport-security", b"max-age=31536000; includeSubDomains")] if hsts else [])

        self._api, self._docs = headers(API_CSP), headers(DOCS_CSP)
        self._pages, self._dashboard = headers(PAGES_CSP), headers(DASHBOARD_CSP)

    def _security(self, path: str) -> list[tuple[bytes, bytes]]:
        if path.startswith("/schema") and not path.endswith((".json", ".yaml", ".yml")):
            return self._docs
        if path in PAGE_PATHS or path.startswith("/verify-email/"):
            return self._pages
        return self._dashboard if path.startswith("/admin") else self._api

    def add(self, message: HTTPResponseStartEvent, path: str, rid: str) -> None:
        """Appends them to an `http.response.start` message, replacing any the response set itself."""
        ours = [(b"x-request-id", rid.encode("latin-1")), *self._security(path)]
        headers = message.get("headers", ())
        if not isinstance(headers, list):
            headers = list(headers)
            message["headers"] = headers
        if any(name.lower() in _EDGE_HEADER_NAMES for name, _ in headers):
            mutable = MutableScopeHeaders.from_message(message)
            for name, value in ours:
                mutable[name.decode("latin-1")] = value.decode("latin-1")
            return
        headers.extend(ours)


def _hostname(host: str) -> str:
    """The Host header without its port (`[::1]:8000` -> `[::1]`)."""
    if host.startswith("["):
        return host.partition("]")[0] + "]"
    return host.partition(":")[0]


class TrustedHosts(AllowedHostsMiddleware):
    """Refuses a request whose Host header is not allowed, with a 400 problem document."""

    _REFUSAL = msgspec.json.encode(
        Problem("/problems/bad-request", "Bad request", 400, "The Host header names a host this server does not serve")
    )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.allowed_hosts_regex is None or scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        host = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"host"), "")
        if host and self.allowed_hosts_regex.fullmatch(_hostname(host)):
            await self.app(scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 400,
                "headers": [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", b"%d" % len(self._REFUSAL))],
            }
        )
        await send({"type": "http.response.body", "body": self._REFUSAL, "more_body": False})


class PreflightProblems:
    """Turns Litestar's plain-text refusal of a CORS preflight into a 400 problem document."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["method"] != "OPTIONS":
            await self.app(scope, receive, send)
            return
        refused = False

        async def problem_send(message: Message) -> None:
            nonlocal refused
            if message["type"] == "http.response.start" and message["status"] == 400:
                headers = dict(message.get("headers", ()))
                refused = headers.get(b"content-type", b"").startswith(b"text/plain")
            if not refused:
                await send(message)
            elif message["type"] == "http.response.start":
                pass  # sent with the body, once its text is known
            elif not message.get("more_body", False):
                await self._refuse(cast(bytes, message.get("body", b"")).decode(errors="replace"), send)

        await self.app(scope, receive, problem_send)

    @staticmethod
    async def _refuse(reason: str, send: Send) -> None:
        # Litestar says which part failed: "Disallowed CORS Origin", "... method", "... headers".
        detail = f"The cross-origin request is not allowed ({reason.removeprefix('Disallowed CORS ')})"
        body = msgspec.json.encode(Problem("/problems/bad-request", "Bad request", 400, detail))
        headers = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 400, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})


class InFlight:
    """Counts the HTTP requests being served, so shutdown can wait for them before closing pools."""

    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def enter(self) -> None:
        self.count += 1
        self._idle.clear()

    def leave(self) -> None:
        self.count -= 1
        if self.count == 0:
            self._idle.set()

    async def wait_idle(self) -> None:
        """Returns once no request is in flight (bound it with `asyncio.timeout`)."""
        await self._idle.wait()


class Observe:
    """Times each HTTP request; logs one line and counts it by route template and status."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics, in_flight: InFlight, headers: EdgeHeaders) -> None:
        self.app = app
        self.metrics = metrics
        self.in_flight = in_flight
        self.headers = headers
        self.pid = os.getpid()  # built by the factory inside each server worker: names who answered

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        rid = request_id(scope)
        status = 500

        async def timed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                self.headers.add(message, scope.get("path", ""), rid)
            await send(message)

        structlog.contextvars.bind_contextvars(request_id=rid)
        self.in_flight.enter()
        try:
            await self.app(scope, receive, timed_send)
        finally:
            self.in_flight.leave()
            self._record(scope, rid, status, time.perf_counter() - started)
            structlog.contextvars.unbind_contextvars("request_id")

    def _record(self, scope: Scope, rid: str, status: int, seconds: float) -> None:
        route = scope.get("path_template")
        method = str(scope.get("method", "GET"))
        self.metrics.observe(method, route, status, seconds)
        if access_log.isEnabledFor(logging.INFO):
            access_log.info(
                "%s %s %s %.1fms",
                method,
                route or "<unmatched>",
                status,
                seconds * 1000,
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "request_id": rid,
                    "pid": self.pid,
                },
            )


def harden(
    app: Litestar, settings: Settings, metrics: HttpMetrics, in_flight: InFlight, cache: CatalogCache | None = None
) -> Litestar:
    """Wraps the app's ASGI handler: host check inside, timing outside, so refusals are logged too; with a
    `cache`, the catalog's public reads are answered from it inside all of those (response_cache.py)."""
    handler: ASGIApp = app.asgi_handler
    if cache is not None:
        handler = CachedReads(handler, cache, hits=metrics.cache_hits, misses=metrics.cache_misses)
    handler = PreflightProblems(handler) if settings.cors_origins else handler
    if settings.allowed_hosts and "*" not in settings.allowed_hosts:
        handler = TrustedHosts(handler, AllowedHostsConfig(allowed_hosts=list(settings.allowed_hosts)))
    app.asgi_handler = Observe(handler, metrics, in_flight, EdgeHeaders(settings))
    return app
