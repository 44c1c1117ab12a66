"""Bearer authentication: a middleware that knows who calls, guards that decide who may."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import Receive, Scope, Send

from application.identity.tokens import Principal
from domain.book_policy import Viewer
from entrypoints.bootstrap import Services

#: What a route that needs a signed-in caller declares in OpenAPI: a token from the password flow, or pasted.
BEARER: list[dict[str, list[str]]] = [{"OAuth2Password": []}, {"BearerToken": []}]
_MAX_TOKEN = 4096


def services_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Services:
    services: Services = connection.app.state.services
    return services


class BearerAuthMiddleware(AbstractAuthenticationMiddleware):
    """Sets `connection.user` to the caller's Principal, or None when no valid token was sent."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not any(name == b"authorization" for name, _ in scope["headers"]):
            scope["user"] = scope["auth"] = None  # no token to read: an anonymous caller, as below
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        principal: Principal | None = None
        if scheme.lower() == "bearer" and 0 < len(token) <= _MAX_TOKEN:
            principal = await services_of(connection).identity.authenticate(token.strip())
        return AuthenticationResult(user=principal, auth=token if principal else None)


def _principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    principal = connection.scope.get("user")
    if not isinstance(principal, Principal):
        raise NotAuthorizedException("A valid bearer access token is required")
    return principal


def _preflight(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """`OPTIONS` is answered by the CORS rules (Litestar's own handler), never refused for want of a token."""
    return connection.scope.get("method") == "OPTIONS"


def requires_user(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if not _preflight(connection):
        _principal(connection)


def requires_moderator(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if not _preflight(connection) and not _principal(connection).is_moderator:
        raise PermissionDeniedException("Moderators only")


def requires_admin(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if not _preflight(connection) and not _principal(connection).is_admin:
        raise PermissionDeniedException("Admins only")


async def provide_principal(request: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The signed-in caller; use on routes guarded by `requires_user` or stricter."""
    return _principal(request)


def as_viewer(principal: Principal | None) -> Viewer | None:
    """Who asks, as the BookPolicy sees them (None: anonymous)."""
    return None if principal is None else Viewer(principal.user_id, principal.role)


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    """The caller the authentication middleware found, or None (anonymous)."""
    principal = connection.scope.get("user")
    return principal if isinstance(principal, Principal) else None


def viewer_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Viewer | None:
    """Who asks, straight from the connection: the public reads resolve no dependency, as Litestar runs
    two or more of them in an anyio task group (about 0.1 ms a request)."""
    return as_viewer(principal_of(connection))


async def provide_optional_principal(request: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    return principal_of(request)
