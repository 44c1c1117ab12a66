"""RFC 9457 problem documents for every error, and their OpenAPI descriptions."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    ValidationException,
)
from litestar.openapi.datastructures import ResponseSpec
from sqlalchemy.exc import IntegrityError

from adapters.dramatiq.broker import UNAVAILABLE as BROKER_UNAVAILABLE
from adapters.sql.engine import UNAVAILABLE as DATABASE_UNAVAILABLE
from adapters.valkey.client import UNAVAILABLE as VALKEY_UNAVAILABLE
from domain.errors import DomainError, InvalidField, NotFound, RateLimited, Unauthorized, Unavailable
from entrypoints.http.edge_input import UnreadableHeader, validation_errors

log = logging.getLogger("folio.http")

PROBLEM_JSON = "application/problem+json"

#: HTTP status of each problem type a DomainError may carry; anything else is 409.
STATUS_BY_CODE: dict[str, int] = {
    "validation": 422,
    "weak-password": 422,
    "cart-empty": 422,
    "unauthorized": 401,
    "invalid-credentials": 401,
    "token-reused": 401,
    "forbidden": 403,
    "account-inactive": 403,
    "email-not-verified": 403,
    "not-eligible-to-review": 403,
    "not-found": 404,
    "invalid-code": 400,
    "payment-failed": 402,
    "rate-limited": 429,
    "payload-too-large": 413,
    "unavailable": 503,
    "provider-error": 502,
}

#: Driver errors meaning "a dependency cannot answer now": answered like Unavailable, whatever the route.
DEPENDENCY_UNAVAILABLE = (*DATABASE_UNAVAILABLE, *VALKEY_UNAVAILABLE, *BROKER_UNAVAILABLE)

_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Validation failed",
    429: "Too many requests",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
}
_SLUGS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation",
    429: "rate-limited",
    500: "internal",
    502: "provider-error",
    503: "unavailable",
}


class FieldError(msgspec.Struct):
    field: str
    message: str


class Problem(msgspec.Struct, omit_defaults=True):
    """An RFC 9457 problem document."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None
    #: A duplicate book's id, when the caller may see that book (POST /books).
    existing_id: str | None = None


def problem(
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    title: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    existing_id: str | None = None,
) -> Response[Problem]:
    slug = slug or _SLUGS.get(status, "error")
    body = Problem(f"/problems/{slug}", title or _TITLES.get(status, "Error"), status, detail, errors, existing_id)
    all_headers = dict(headers or {})
    if status == 401:
        all_headers.setdefault("WWW-Authenticate", "Bearer")
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=all_headers)


def _domain_error(_: Request[Any, Any, Any], exc: DomainError) -> Response[Problem]:
    status = STATUS_BY_CODE.get(exc.code, 409)
    headers: dict[str, str] = {}
    errors = None
    if isinstance(exc, RateLimited | Unavailable):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, InvalidField):
        errors = [FieldError(exc.field, exc.message)]
    if isinstance(exc, NotFound):
        return problem(404, exc.detail)
    if isinstance(exc, Unauthorized):
        headers["WWW-Authenticate"] = "Bearer"
    existing = getattr(exc, "existing_id", None)
    return problem(
        status,
        exc.detail,
        slug=exc.code,
        title=exc.title,
        errors=errors,
        headers=headers,
        existing_id=None if existing is None else str(existing),
    )


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Problem]:
    if isinstance(exc, ValidationException):
        errors = [FieldError(field, message) for field, message in validation_errors(request, exc)]
        return problem(422, "The request did not validate", errors=errors or None)
    if isinstance(exc, NotAuthorizedException):
        return problem(401, exc.detail or "Authentication required", slug="unauthorized")
    status = exc.status_code
    headers = dict((exc.headers or {}).items())
    if isinstance(exc, MethodNotAllowedException):
        return problem(405, f"{request.method} is not allowed here", headers=headers)
    if status == 400:
        readable = isinstance(exc, UnreadableHeader) or "JSON" in (exc.detail or "")
        detail = exc.detail if readable else "The request could not be read"
        return problem(400, detail)
    if status >= 500:
        log.error("HTTP %s on %s %s: %s", status, request.method, request.url.path, exc.detail)
        return problem(status, _TITLES.get(status, "Server error"), headers=headers)
    return problem(status, exc.detail or _TITLES.get(status, "Error"), headers=headers)


def _integrity_error(request: Request[Any, Any, Any], exc: IntegrityError) -> Response[Problem]:
    # A constraint the use case did not foresee (a race): the write is refused, nothing is lost.
    log.warning("integrity error on %s %s: %s", request.method, request.url.path, type(exc.orig).__name__)
    return problem(409, "The change conflicts with the current state; nothing was changed")


def _dependency_down(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    """The one mapping of a dependency's failure: 503 with Retry-After, never a 500."""
    log.warning("dependency unavailable on %s %s: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
    return _domain_error(request, Unavailable())


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "Something went wrong on our side; it has been logged")


exception_handlers: dict[type[Exception], Any] = {
    DomainError: _domain_error,
    HTTPException: _http_error,
    IntegrityError: _integrity_error,
    **dict.fromkeys(DEPENDENCY_UNAVAILABLE, _dependency_down),
    Exception: _unexpected,
}


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI descriptions of the problem documents a route may answer with."""
    return {
        status: ResponseSpec(data_container=Problem, description=_TITLES.get(status, "Error"), media_type=PROBLEM_JSON)
        for status in statuses
    }
