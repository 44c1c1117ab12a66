from __future__ import annotations

import msgspec
from litestar import Controller, MediaType, Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec

from entrypoints.bootstrap import Services


class Readiness(msgspec.Struct):
    """Each backing service and whether it answered."""

    status: str
    checks: dict[str, bool]


class HealthController(Controller):
    path = "/health"
    tags = ["operations"]
    include_in_schema = True

    @get("/", media_type=MediaType.JSON)
    async def live(self) -> dict[str, str]:
        """The process answers."""
        return {"status": "ok"}

    @get(
        "/ready",
        media_type=MediaType.JSON,
        responses={503: ResponseSpec(data_container=Readiness, description="A backing service does not answer")},
    )
    async def ready(self, services: NamedDependency[Services]) -> Response[dict[str, object]]:
        """The database (and Valkey, when configured) answer."""
        checks = await services.readiness()
        ok = all(checks.values())
        body: dict[str, object] = {"status": "ok" if ok else "unavailable", "checks": checks}
        return Response(body, status_code=200 if ok else 503)
