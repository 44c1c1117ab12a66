"""`Location` on every `201` (and `202`): the URL of what was just created, found from the route table.

No handler spells its resource's URL out. For each route that creates something, the app's own paths say
where the result lives, by these rules, tried in turn:

1. the creating path itself, when it names the resource (`POST /my-library/{book_id}` beside its PATCH);
2. the collection's item path, `<creating path>/{x_id}` (`POST /books` -> `/books/{book_id}`);
3. the path ending in the resource's own id parameter, named after the response type
   (`ReviewOut` -> `/reviews/{review_id}`, `OrderOut` -> `/orders/{order_id}`), the shortest one.

Parameters are filled from the request's path, then from the response body (`x_id`, `x.id`, or `id` for
the last one). The same rules give the OpenAPI `links` and `Location` header of those operations.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable, Mapping
from typing import Any, get_args

import msgspec
from litestar import Litestar
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, Message, Receive, Scope, Send

_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_MUTATING = {"GET", "PUT", "PATCH", "DELETE"}
_MAX_BODY = 1024 * 1024


def params_of(path: str) -> list[str]:
    return _PARAM.findall(path)


def _squash(name: str) -> str:
    return name.replace("_", "").lower()


def response_noun(annotation: Any) -> str | None:
    """`CartItemOut` (or `Response[CartItemOut]`) -> `cartitem`; None for anything that is not a Struct."""
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, msgspec.Struct):
            return _squash(candidate.__name__.removesuffix("Out"))
    return None


def resource_path(creating: str, noun: str | None, methods_by_path: Mapping[str, set[str]]) -> str | None:
    """The path template of the resource a POST to `creating` makes (see the module's rules), or None."""
    if creating.endswith("}") and methods_by_path.get(creating, set()) & _MUTATING:
        return creating
    item = re.compile(re.escape(creating.rstrip("/")) + r"/\{[A-Za-z_][A-Za-z0-9_]*\}")
    for path in sorted(methods_by_path):
        if item.fullmatch(path) and methods_by_path[path] & _MUTATING:
            return path
    if noun is None:
        return None
    owned = [p for p in methods_by_path if (ps := params_of(p)) and p.endswith("}") and _squash(ps[-1]) == f"{noun}id"]
    return min(owned, key=lambda p: (len(p), p)) if owned else None


def body_pointer(name: str, last: bool, properties: Iterable[str]) -> str | None:
    """Where in the created resource's body the value of path parameter `name` is, as a JSON pointer."""
    props = set(properties)
    if name in props:
        return f"/{name}"
    if name.endswith("_id") and name[:-3] in props:
        return f"/{name[:-3]}/id"
    return "/id" if last and "id" in props else None


def _resolve(pointer: str, body: Any) -> Any:
    for part in pointer.strip("/").split("/"):
        if not isinstance(body, dict):
            return None
        body = body.get(part)
    return body


def fill(template: str, path_params: Mapping[str, Any], body: Any) -> str | None:
    """The URL of `template` for this request and response, or None when a parameter has no value."""
    names = params_of(template)
    values: dict[str, str] = {}
    for index, name in enumerate(names):
        if name in path_params:
            values[name] = str(path_params[name])
            continue
        keys = body.keys() if isinstance(body, dict) else ()
        pointer = body_pointer(name, index == len(names) - 1, keys)
        value = None if pointer is None else _resolve(pointer, body)
        if value is None:
            return None
        values[name] = str(value)
    return _PARAM.sub(lambda m: values[m.group(1)], template)


def creation_templates(app: Litestar) -> dict[tuple[str, str], str]:
    """`(method, path template)` of each creating route -> the path template of what it creates."""
    methods_by_path: dict[str, set[str]] = {}
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            methods_by_path.setdefault(route.path_format, set()).update(route.methods)
    found: dict[tuple[str, str], str] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if "POST" not in handler.http_methods:
                continue
            noun = response_noun(handler.parsed_fn_signature.return_type.annotation)
            target = resource_path(route.path_format, noun, methods_by_path)
            if target is not None:
                found[("POST", route.path_format)] = target
    return found


def _gunzip(body: bytes) -> bytes:
    try:
        return gzip.decompress(body)
    except (OSError, EOFError):
        return b""


class CreatedLocation:
    """Adds `Location` to a `201`/`202` that has none, from the route's creation template and the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._templates: dict[tuple[str, str], str] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def location_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                if message["status"] in {201, 202} and "location" not in headers:
                    start = message  # held until the body says what was created
                    return
                await send(message)
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False) and sum(map(len, chunks)) < _MAX_BODY:
                return
            body = b"".join(chunks)
            # Litestar's compression runs inside this middleware: read a gzipped body as the client will.
            zipped = MutableScopeHeaders.from_message(start).get("content-encoding") == "gzip"
            url = self._location(scope, _gunzip(body) if zipped else body)
            if url is not None:
                MutableScopeHeaders.from_message(start)["Location"] = url
            await send(start)
            await send({"type": "http.response.body", "body": body, "more_body": message.get("more_body", False)})
            start = None

        await self.app(scope, receive, location_send)

    def _location(self, scope: Scope, body: bytes) -> str | None:
        if self._templates is None:
            self._templates = creation_templates(scope["litestar_app"])
        template = self._templates.get(("POST", str(scope.get("path_template", ""))))
        if template is None:
            return None
        try:
            decoded = msgspec.json.decode(body) if body else None
        except msgspec.DecodeError:
            return None
        return fill(template, scope.get("path_params", {}), decoded)
