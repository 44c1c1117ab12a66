"""The edge's input rules, for every route in one place.

- Text the databases cannot hold (a NUL character, an unpaired surrogate) is refused with a 422 naming
  the field, wherever it comes: path, query, header, JSON or form body (`EdgeInput`, `FolioRequest`).
- A header whose bytes are not text is a 400.
- A body that is not JSON where JSON is expected is a 415.
- A refused request names every offending field (`validation_errors`, used by the 422 handler).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import suppress
from typing import Any

import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import FormMultiDict
from litestar.enums import RequestEncodingType, ScopeType
from litestar.exceptions import ClientException, HTTPException, SerializationException, ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.types import ASGIApp, Empty, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from domain.text import text_problem
from entrypoints.http.field_errors import FieldProblem, field_problems, join, text_problems

#: Where a JSON body may hold NUL or a surrogate: only as a `\u` escape (raw control characters and
#: encoded surrogates are not valid JSON). A body without one is not walked.
_RISKY_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
#: The decoded body as the edge saw it, for the 422 handler (which cannot read the body again).
_BODY_KEY = "folio_json_body"


class UnsupportedMediaType(HTTPException):
    status_code = 415


class UnreadableHeader(ClientException):
    """A header whose bytes are not text: a 400 that says which header."""


def _json_like(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def _body_field(handler: HTTPRouteHandler) -> tuple[Any, RequestEncodingType] | None:
    """The declared body of a route (its type and media type), or None when it takes none."""
    data = handler.parsed_fn_signature.parameters.get("data")
    if data is None:
        return None
    media_type = getattr(data.kwarg_definition, "media_type", None) or RequestEncodingType.JSON
    return data.annotation, RequestEncodingType(media_type)


def _decode(body: bytes) -> Any:
    """msgspec decodes; a body it refuses for an unpaired surrogate is read again (stdlib json keeps those)."""
    try:
        return msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        if _RISKY_ESCAPE.search(body):
            try:
                value = json.loads(body)
            except ValueError:
                pass
            else:
                if any(text_problems(value)):
                    return value
        raise SerializationException(f"JSON is malformed: {exc}") from None


class FolioRequest(Request[Any, Any, Any]):
    """A Request whose JSON and form bodies are checked against the text rule as they are decoded."""

    async def json(self) -> Any:
        state = self.scope.setdefault("state", {})
        if _BODY_KEY in state:
            return state[_BODY_KEY]
        body = await self.body()
        value = _decode(body) if body else None
        state[_BODY_KEY] = value
        if body and _RISKY_ESCAPE.search(body) and any(text_problems(value)):
            raise ValidationException("The request did not validate")
        return value

    async def form(self) -> FormMultiDict:
        form = await super().form()
        problems = [
            problem
            for key, value in form.multi_items()
            if isinstance(value, str)
            for problem in text_problems({key: value})
        ]
        if problems:
            raise ValidationException("The request did not validate", extra=_as_extra(problems))
        return form


def _as_extra(problems: list[FieldProblem]) -> list[dict[str, str]]:
    return [{"key": field, "message": message} for field, message in problems]


def _header_problems(scope: Scope) -> Iterator[FieldProblem]:
    headers = scope.get("headers", ())
    every = b"".join([value for _, value in headers])
    if every.isascii() and b"\x00" not in every:
        return  # nearly every request: nothing to decode
    for raw_name, raw_value in headers:
        if raw_value.isascii() and b"\x00" not in raw_value:
            continue
        name = raw_name.decode("latin-1").lower()
        try:
            value = raw_value.decode("utf-8")
        except UnicodeDecodeError:
            raise UnreadableHeader(f"The {name} header could not be read: it is not UTF-8 text") from None
        problem = text_problem(value)
        if problem is not None:
            yield join("", name), problem


def edge_problems(connection: ASGIConnection[Any, Any, Any, Any]) -> list[FieldProblem]:
    """The text-rule problems of the path parameters, query parameters and headers."""
    found: list[FieldProblem] = []
    for name, value in (connection.scope.get("path_params") or {}).items():
        if isinstance(value, str) and (problem := text_problem(value)) is not None:
            found.append((name, problem))
    query = connection.scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:  # a query string decodes to UTF-8 text: NUL is all it can hold
        for name, value in connection.query_params.multi_items():
            found.extend(text_problems({name: value}))
    found.extend(_header_problems(connection.scope))
    return found


def _body_sent(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return value.strip() not in (b"", b"0")
        if name == b"transfer-encoding":
            return True
    return False


def _check_media_type(request: Request[Any, Any, Any], expected: RequestEncodingType) -> None:
    if not _body_sent(request.scope):
        return
    sent = request.content_type[0].lower()
    if expected == RequestEncodingType.JSON:
        fits = not sent or _json_like(sent)
    else:
        fits = sent in (RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART)
    if not fits:
        raise UnsupportedMediaType(f"This endpoint takes {expected.value} bodies, not {sent}")


class EdgeInput:
    """Litestar middleware (it runs once the route is known): media type, then the text rule."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP:
            request = FolioRequest(scope, receive=receive)  # a few attributes: Litestar makes one per request too
            handler = scope.get("route_handler")
            body = _body_field(handler) if isinstance(handler, HTTPRouteHandler) else None
            if body is not None:
                _check_media_type(request, body[1])
                if body[1] != RequestEncodingType.JSON:
                    await request.form()  # parsed once, here, with its text checked; the handler reuses it
            if edge_problems(request):
                # The body's errors belong in the same answer: decode it now, while it can be read.
                if body is not None and body[1] == RequestEncodingType.JSON:
                    # Its text problems are reported with the rest; a malformed body has no fields to name.
                    with suppress(SerializationException, ValidationException):
                        await request.json()
                raise ValidationException("The request did not validate")
        await self.app(scope, receive, send)


def validation_errors(request: Request[Any, Any, Any], exc: ValidationException) -> list[FieldProblem]:
    """Every offending field of a refused request: path, query and headers, then the whole body."""
    found = edge_problems(request)
    handler = request.scope.get("route_handler")
    if not isinstance(handler, HTTPRouteHandler):
        return found
    if found and not exc.extra:  # refused by EdgeInput, before Litestar read the query: read it here
        found.extend(_query_problems(request, handler))
    body = _body_field(handler)
    value = _decoded_body(request, body[1]) if body is not None else Empty
    if body is not None and value is not Empty:
        found.extend(text_problems(value))
        if value is not None or not _optional(request):
            found.extend(field_problems(value, body[0]))
    for item in exc.extra if isinstance(exc.extra, list) else []:
        key = str(item.get("key") or "")
        whole_body = key in {"", "data"}
        if whole_body or item.get("source") == "body":
            if value is not Empty:
                continue  # the body was checked again above, field by field
            if whole_body:
                sent = body is None or _body_sent(request.scope)
                found.append(("body", str(item.get("message")) if sent else "A request body is required"))
                continue
        found.append((key, str(item.get("message", "invalid"))))
    return list(dict.fromkeys(found))


def _decoded_body(request: Request[Any, Any, Any], media_type: RequestEncodingType) -> Any:
    """The body as the edge decoded it (JSON) or Litestar parsed it (a form), or Empty when it was not read."""
    if media_type == RequestEncodingType.JSON:
        return request.scope.get("state", {}).get(_BODY_KEY, Empty)
    form = ScopeState.from_scope(request.scope).form
    return form if isinstance(form, dict) else Empty


def _query_problems(request: Request[Any, Any, Any], handler: HTTPRouteHandler) -> Iterator[FieldProblem]:
    """The query parameters the route declares that do not fit their types (Litestar's own check, per field)."""
    model = handler.signature_model
    annotations = model.__annotations__
    for name in model._fields:
        if name in request.query_params and name not in model._dependency_name_set and name in annotations:
            yield from field_problems(request.query_params[name], annotations[name], name)


def _optional(request: Request[Any, Any, Any]) -> bool:
    data = request.route_handler.parsed_fn_signature.parameters.get("data")
    return data is not None and data.has_default
