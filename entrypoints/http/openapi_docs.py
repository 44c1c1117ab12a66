"""Completes `/schema`: every operation documents the problem documents the edge can answer with.

Controllers declare their own business problems (`problem_responses(...)`); the ones that come from the
framework and the edge (malformed or oversized body, validation, bad path id, missing token) are the same
everywhere, so they are added here to every operation that can produce them, including routes added later.
"""

from __future__ import annotations

from litestar import Litestar
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, Operation, Reference, RequestBody

from entrypoints.http.problems import PROBLEM_JSON

_WHY = {
    400: "Malformed request body",
    401: "Missing, malformed, expired or revoked bearer token",
    404: "Not found",
    413: "Request body too large",
    415: "The body is not of the media type this operation takes",
    422: "Validation failed",
    503: "A service Folio needs (database, Valkey) is down or busy: try again after Retry-After",
}
_METHODS = ("get", "put", "post", "patch", "delete")


def _edge_statuses(operation: Operation) -> set[int]:
    wanted: set[int] = set()
    if operation.request_body is not None:
        wanted |= {400, 413, 415, 422}
    parameters = operation.parameters or []
    if parameters:
        wanted.add(422)
    if any(getattr(p, "param_in", None) == "path" for p in parameters):
        wanted.add(404)
    if operation.security:
        wanted.add(401)
    if "operations" not in (operation.tags or []):  # health and metrics answer without the database
        wanted.add(503)
    return wanted


def document_edge_problems(app: Litestar) -> None:
    """Adds the edge's problem responses to each operation of the app's (cached) OpenAPI document."""
    openapi = app.openapi_schema
    schemas = openapi.components.schemas if openapi.components else None
    if not schemas or "Problem" not in schemas:
        return
    problem = OpenAPIMediaType(schema=Reference(ref="#/components/schemas/Problem"))
    for item in (openapi.paths or {}).values():
        for method in _METHODS:
            operation: Operation | None = getattr(item, method, None)
            if operation is None:
                continue
            responses = operation.responses if operation.responses is not None else {}
            for status in sorted(_edge_statuses(operation)):
                known = responses.get(str(status))
                # Litestar documents its own 400 as plain JSON; every error here is a problem document.
                if not isinstance(known, OpenAPIResponse) or PROBLEM_JSON not in (known.content or {}):
                    responses[str(status)] = OpenAPIResponse(description=_WHY[status], content={PROBLEM_JSON: problem})
            for code, documented in responses.items():
                if (
                    code.startswith("4")
                    and isinstance(documented, OpenAPIResponse)
                    and documented.content is not None
                    and PROBLEM_JSON not in documented.content
                ):
                    documented.content = {PROBLEM_JSON: problem}
            operation.responses = responses
    _optional_bodies(app)


def _optional_bodies(app: Litestar) -> None:
    """A body parameter with a default (`data: T | None = None`) is optional; Litestar marks every body required."""
    paths = app.openapi_schema.paths or {}
    for route in app.routes:
        item = paths.get(getattr(route, "path_format", ""))
        if item is None:
            continue
        for handler in getattr(route, "route_handlers", ()):
            data = handler.parsed_fn_signature.parameters.get("data")
            if data is None or not data.has_default:
                continue
            for method in handler.http_methods:
                operation: Operation | None = getattr(item, method.lower(), None)
                if operation is not None and isinstance(operation.request_body, RequestBody):
                    operation.request_body.required = False
