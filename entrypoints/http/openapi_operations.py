"""What makes `/schema` pleasant for people and generators: readable operation ids and summaries, plain
component names, the OAuth2 password flow, and links from each creating operation to what takes its id.

Ids follow a rule, so a new handler needs nothing but a descriptive name and a docstring (its description):
a handler named `list_books` is `listBooks`, `checkout` is `checkout`; a bare verb (`add`, `mine`) gets its
controller's resource appended (`CartController.add` -> `addCart`). `OPERATION_IDS` overrides where the rule
reads badly.
"""

from __future__ import annotations

import re
from dataclasses import fields, is_dataclass
from typing import Any

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import (
    Components,
    Link,
    OAuthFlow,
    OAuthFlows,
    OpenAPIHeader,
    OpenAPIResponse,
    Operation,
    Reference,
    Schema,
    SecurityScheme,
)
from litestar.openapi.spec.enums import OpenAPIType
from litestar.routes import HTTPRoute
from litestar.types import Method

from entrypoints.http.locations import body_pointer, creation_templates, params_of

TOKEN_URL = "/api/v1/auth/token"

#: `Controller.handler` -> operationId, where the rule's id would not say what the operation does.
OPERATION_IDS: dict[str, str] = {
    "AuthController.token": "issueToken",
    "AuthController.refresh": "refreshTokens",
    "MeController.me": "getMe",
    "AdminUsersController.deactivate": "deactivateUser",
    "AdminUsersController.reactivate": "reactivateUser",
    "ShelfController.list_entries": "listShelf",
    "ShelfController.add": "addToShelf",
    "ShelfController.update": "updateShelfEntry",
    "ShelfController.remove": "removeFromShelf",
    "WishlistController.list_wishes": "listWishlist",
    "WishlistController.add": "addToWishlist",
    "WishlistController.remove": "removeFromWishlist",
    "BookReviewsController.list_reviews": "listBookReviews",
    "BookReviewsController.create": "createReview",
    "ReviewsController.revise": "updateReview",
    "ReviewsController.remove": "deleteReview",
    "UserReviewsController.my_reviews": "listMyReviews",
    "UserReviewsController.profile": "getUserProfile",
    "CartController.show": "getCart",
    "CartController.add": "addToCart",
    "CartController.change": "updateCartItem",
    "CartController.remove": "removeCartItem",
    "OrdersController.checkout": "checkout",
    "OrdersController.mine": "listOrders",
    "OrdersController.one": "getOrder",
    "AdminOrdersController.every": "listAllOrders",
    "PreBookingsController.create": "createPreBooking",
    "PreBookingsController.mine": "listPreBookings",
    "PreBookingsController.cancel": "cancelPreBooking",
    "MailAdminController.failed": "listFailedMail",
    "MailAdminController.retry": "retryFailedMail",
    "ImportController.upload": "startImport",
    "ImportController.status": "getImport",
    "HealthController.live": "checkLiveness",
    "HealthController.ready": "checkReadiness",
    "MetricsController.scrape": "scrapeMetrics",
}
#: One-word handler names that say what is done but not to what: the controller's resource is appended.
_BARE_VERBS = {"add", "create", "remove", "delete", "update", "change", "show", "list", "get", "mine", "one"}
_BARE_VERBS |= {"every", "cancel", "status", "upload", "retry", "failed", "profile", "revise", "set", "me"}


def _camel(words: list[str]) -> str:
    head, *rest = [w for w in words if w]
    return head.lower() + "".join(w[:1].upper() + w[1:] for w in rest)


def _handler_key(handler: HTTPRouteHandler) -> str:
    owner = getattr(handler.fn, "__qualname__", handler.handler_name).rsplit(".", 1)[0]
    return f"{owner}.{handler.handler_name}"


def operation_id(handler: HTTPRouteHandler, method: Method, path_components: list[Any]) -> str:
    """The `operation_id_creator`: an override, else the handler's name, camelCased (see the module doc)."""
    key = _handler_key(handler)
    if key in OPERATION_IDS:
        return OPERATION_IDS[key]
    words = handler.handler_name.split("_")
    if len(words) == 1 and words[0] in _BARE_VERBS:
        owner = key.rsplit(".", 1)[0].removesuffix("Controller")
        words += re.findall(r"[A-Z][a-z0-9]*", owner)
    name = _camel(words)
    return name if len(handler.http_methods) == 1 else f"{method.lower()}{name[:1].upper()}{name[1:]}"


def summary_of(operation_id: str) -> str:
    """`addToCart` -> `Add to cart`; `listMyReviews` -> `List my reviews`."""
    words = re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", operation_id)
    text = " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in words)
    return text[:1].upper() + text[1:]


def security_schemes() -> Components:
    """`OAuth2Password` makes "Authorize" sign in with email and password; `BearerToken` takes a pasted token."""
    return Components(
        security_schemes={
            "OAuth2Password": SecurityScheme(
                type="oauth2",
                description="Sign in with your email as the username; the access token then goes with each request.",
                flows=OAuthFlows(password=OAuthFlow(token_url=TOKEN_URL, scopes={})),
            ),
            "BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT"),
        }
    )


_GENERIC = re.compile(r"^(?P<outer>[A-Za-z0-9]+)_(?:[A-Za-z0-9_]+\.)*(?P<inner>[A-Za-z0-9]+)_$")


def _plain_name(name: str) -> str:
    """`Page_entrypoints.http.schemas.commerce.OrderOut_` -> `OrderPage`; module paths go."""
    match = _GENERIC.match(name)
    if match:
        return match["inner"].removesuffix("Out") + match["outer"]
    return name.rsplit(".", 1)[-1]


def _rename_refs(node: Any, renames: dict[str, str], seen: set[int]) -> None:
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, Reference):
        name = node.ref.rsplit("/", 1)[-1]
        if name in renames:
            node.ref = f"#/components/schemas/{renames[name]}"
    elif isinstance(node, dict):
        for value in node.values():
            _rename_refs(value, renames, seen)
    elif isinstance(node, list | tuple):
        for value in node:
            _rename_refs(value, renames, seen)
    elif is_dataclass(node) and not isinstance(node, type):
        for f in fields(node):
            _rename_refs(getattr(node, f.name), renames, seen)


def _plain_component_names(app: Litestar) -> None:
    components = app.openapi_schema.components
    schemas = components.schemas if components and components.schemas else {}
    renames = {name: _plain_name(name) for name in schemas if _plain_name(name) != name}
    renames = {old: new for old, new in renames.items() if new not in schemas}
    if not renames:
        return
    components.schemas = {renames.get(name, name): schema for name, schema in schemas.items()}
    _rename_refs(app.openapi_schema, renames, set())


def _operations(app: Litestar) -> list[tuple[str, str, Operation, HTTPRouteHandler]]:
    paths = app.openapi_schema.paths or {}
    found: list[tuple[str, str, Operation, HTTPRouteHandler]] = []
    for route in app.routes:
        item = paths.get(getattr(route, "path_format", ""))
        if item is None or not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for method in handler.http_methods:
                operation = getattr(item, method.lower(), None)
                if isinstance(operation, Operation):
                    found.append((route.path_format, str(getattr(method, "value", method)), operation, handler))
    return found


def _properties(app: Litestar, response: OpenAPIResponse) -> list[str]:
    media = next(iter((response.content or {}).values()), None)
    schema = None if media is None else media.schema
    if isinstance(schema, Reference):
        schemas = app.openapi_schema.components.schemas or {}
        schema = schemas.get(schema.ref.rsplit("/", 1)[-1])
    return list((schema.properties or {}) if isinstance(schema, Schema) else {})


def _links(
    app: Litestar, creating: str, target: str, response: OpenAPIResponse, operations: list[Any]
) -> dict[str, Link | Reference]:
    """Links to every operation on the created resource's path or below it."""
    props = _properties(app, response)
    created = params_of(target)
    links: dict[str, Link | Reference] = {}
    for path, method, operation, _handler in operations:
        if not path.startswith(target) or (path == creating and method == "POST"):
            continue
        parameters: dict[str, Any] = {}
        for name in params_of(path):
            if name in params_of(creating):
                parameters[name] = f"$request.path.{name}"
            elif (pointer := body_pointer(name, name == created[-1], props)) is not None:
                parameters[name] = f"$response.body#{pointer}"
        if parameters and operation.operation_id:
            links[operation.operation_id] = Link(operation_id=operation.operation_id, parameters=parameters)
    return links


def polish_operations(app: Litestar) -> None:
    """Summaries from the ids; plain component names; `Location` and `links` on each creating response."""
    operations = _operations(app)
    for _path, _method, operation, handler in operations:
        if handler.summary is None and operation.operation_id:
            operation.summary = summary_of(operation.operation_id)
    templates = creation_templates(app)
    for path, method, operation, _handler in operations:
        target = templates.get((method, path))
        if target is None:
            continue
        for status in ("201", "202"):
            response = (operation.responses or {}).get(status)
            if not isinstance(response, OpenAPIResponse):
                continue
            response.headers = {
                **(response.headers or {}),
                "Location": OpenAPIHeader(
                    schema=Schema(type=OpenAPIType.STRING),
                    description="The URL of what was created" if status == "201" else "The URL of the job to poll",
                    required=True,
                ),
            }
            links = _links(app, path, target, response, operations)
            if links:
                response.links = {**(response.links or {}), **links}
    _plain_component_names(app)
