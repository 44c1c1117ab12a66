"""`create_app(services)`: the Litestar application over a set of wired services."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig

from application.ports.catalog import NoCatalogCache
from entrypoints.bootstrap import Services
from entrypoints.http.auth import BearerAuthMiddleware, provide_optional_principal, provide_principal
from entrypoints.http.compression import GzipResponses
from entrypoints.http.controllers.activity import ACTIVITY_ROUTES
from entrypoints.http.controllers.admin_users import AdminUsersController
from entrypoints.http.controllers.auth import AuthController
from entrypoints.http.controllers.catalog import CATALOG_ROUTES
from entrypoints.http.controllers.commerce import (
    AdminOrdersController,
    CartController,
    OrdersController,
    PreBookingsController,
)
from entrypoints.http.controllers.dashboard import DashboardController
from entrypoints.http.controllers.health import HealthController
from entrypoints.http.controllers.imports import ImportController
from entrypoints.http.controllers.journal import JOURNAL_ROUTES
from entrypoints.http.controllers.library import LibraryController
from entrypoints.http.controllers.mail import MailAdminController
from entrypoints.http.controllers.oauth import IdentitiesController, OAuthController
from entrypoints.http.controllers.operations import WorkerStatusController
from entrypoints.http.controllers.reviews import (
    BookReviewsController,
    ReviewsController,
    UserReviewsController,
)
from entrypoints.http.controllers.shelf import ShelfController, WishlistController
from entrypoints.http.controllers.users import MeController
from entrypoints.http.docs_ui import assets_router, render_plugins
from entrypoints.http.edge import InFlight, cors_config, harden
from entrypoints.http.edge_input import EdgeInput, FolioRequest
from entrypoints.http.landing import landing_router, landing_templates
from entrypoints.http.locations import CreatedLocation
from entrypoints.http.metrics import HttpMetrics, MetricsController
from entrypoints.http.openapi_docs import document_edge_problems
from entrypoints.http.openapi_operations import operation_id, polish_operations, security_schemes
from entrypoints.http.problems import exception_handlers
from entrypoints.logs import flush_logs
from entrypoints.tracing import http_plugins
from entrypoints.worker.embedded import EmbeddedWorker

API_PREFIX = "/api/v1"
MAX_BODY = 1024 * 1024  # one MiB for JSON bodies; uploads set their own limit

log = logging.getLogger("folio.serve")


def api_routes() -> list[Any]:
    """Every controller under `/api/v1`."""
    return [
        AuthController,
        MeController,
        AdminUsersController,
        OAuthController,
        IdentitiesController,
        # reading tracker
        ShelfController,
        LibraryController,
        WishlistController,
        BookReviewsController,
        ReviewsController,
        UserReviewsController,
        *JOURNAL_ROUTES,
        # commerce
        CartController,
        OrdersController,
        AdminOrdersController,
        PreBookingsController,
        # catalog
        *CATALOG_ROUTES,
        # mail
        MailAdminController,
        WorkerStatusController,
        # CSV import
        ImportController,
        # readers' activity and review history
        *ACTIVITY_ROUTES,
    ]


def create_app(services: Services, *, debug: bool = False) -> Litestar:
    in_flight = InFlight()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        embedded = EmbeddedWorker.of(services)  # the mail worker, when there is no Valkey
        if embedded is not None:
            await embedded.start()
        try:
            yield
        finally:
            # The server may start the shutdown with requests still running: they keep their pools.
            try:
                async with asyncio.timeout(services.settings.graceful_timeout):
                    await in_flight.wait_idle()
            except TimeoutError:
                log.warning("shutting down with %d request(s) still in flight", in_flight.count)
            if embedded is not None:
                await embedded.stop()
            await services.aclose()
            flush_logs()

    async def provide_services() -> Services:
        return services

    metrics = HttpMetrics()

    async def provide_metrics() -> HttpMetrics:
        return metrics

    api = Router(path=API_PREFIX, route_handlers=api_routes())
    app = Litestar(
        route_handlers=[
            api,
            HealthController,
            MetricsController,
            DashboardController,
            assets_router(),
            landing_router(services.settings),
        ],
        state=State({"services": services}),
        dependencies={
            "services": Provide(provide_services, use_cache=True),
            "principal": Provide(provide_principal),
            "maybe_principal": Provide(provide_optional_principal),
            "http_metrics": Provide(provide_metrics, use_cache=True),
        },
        request_class=FolioRequest,  # JSON and form bodies checked against the text rule as they are read
        middleware=[
            EdgeInput,
            CreatedLocation,
            DefineMiddleware(BearerAuthMiddleware, exclude=["^/schema", "^/health", "^/metrics", "^/admin"]),
            GzipResponses,  # innermost, where Litestar's own compression sat (see entrypoints.http.compression)
        ],
        cors_config=cors_config(services.settings),
        exception_handlers=exception_handlers,  # type: ignore[arg-type]
        request_max_body_size=MAX_BODY,
        openapi_config=OpenAPIConfig(
            title="Folio API",
            version="1.0.0",
            path="/schema",
            render_plugins=render_plugins(),
            components=security_schemes(),
            use_handler_docstrings=True,
            operation_id_creator=operation_id,
        ),
        template_config=landing_templates(),
        lifespan=[lifespan],
        plugins=http_plugins(),  # OpenTelemetry, when OTEL_* turned tracing on
        logging_config=None,  # configured once by the entry point (entrypoints.logs), not by Litestar
        debug=debug,
    )
    document_edge_problems(app)
    polish_operations(app)
    # Answering from the cache before routing would skip the server spans: not while tracing is on.
    cache = services.catalog.cache
    cached_reads = not isinstance(cache, NoCatalogCache) and not http_plugins()
    return harden(app, services.settings, metrics, in_flight, cache if cached_reads else None)
