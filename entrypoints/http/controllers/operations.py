"""The operator's JSON: workers, queues, the outbox, imports in progress and request rates."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency

from entrypoints.bootstrap import Services
from entrypoints.http.auth import BEARER, requires_admin
from entrypoints.http.metrics import HttpMetrics
from entrypoints.http.problems import problem_responses
from entrypoints.http.schemas.operations import WorkerStatusOut


class WorkerStatusController(Controller):
    path = "/admin/worker-status"
    tags = ["admin"]
    guards = [requires_admin]
    security = BEARER

    @get("/", responses=problem_responses(401, 403))
    async def status(
        self, services: NamedDependency[Services], http_metrics: NamedDependency[HttpMetrics]
    ) -> WorkerStatusOut:
        """Workers (alive, last heartbeat, processed, failed), queues (ready, delayed, dead), the mail outbox,
        imports in progress and request rates: what `/admin/` shows and `folio status` prints."""
        return WorkerStatusOut.of(await services.operations.status(http_metrics.rates))
