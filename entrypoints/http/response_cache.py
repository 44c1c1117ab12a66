"""The catalog's public reads answered whole from the catalog cache, before routing.

A first page, a search or a book's detail asked by an anonymous client is the same answer for every such
client until a write touches it. The first time, the request goes through the app as any other; its `200`
(headers and body, exactly as sent) is stored in the catalog cache under the raw path and query, with the
token read before the app ran and the scopes the app's own cached reads reported depending on (the books
shown, and the rating order or stock filter a page uses): an answer built from no such read is not
stored. Asked again, the stored bytes are sent as they are: no routing, no decoding, no re-encoding.
A write makes them stale as it makes the app's entries stale.

Only requests that nothing but their path and query can change take this path: `GET`, no `Authorization`
(a token may change what the caller sees, or refuse it), no `Origin` (CORS), no `If-None-Match` (a
`304` is the app's), no body, and headers that pass the edge's text rule; whether the client takes gzip
picks one of two stored variants. A query the app refuses is never stored, so it is refused every time.
Everything outside this layer (the request id and security headers, host check, metrics and the access
log) applies to these answers as to any other.
"""

from __future__ import annotations

from itertools import chain
from typing import Any
from uuid import UUID

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from application.catalog.queries import READ_SCOPES
from application.ports.catalog import CatalogCache

#: (route template, headers, body) of a stored answer.
_KIND = tuple[str, list[tuple[bytes, bytes]], bytes]
_LIST_PATHS = frozenset({"/api/v1/books", "/api/v1/books/"})
_DETAIL_PREFIX = "/api/v1/books/"
#: Headers that make an answer the app's to give (see the module's docstring).
_PERSONAL = frozenset({b"authorization", b"origin", b"if-none-match", b"content-length", b"transfer-encoding"})
_MAX_BODY = 1024 * 1024


def _cacheable(path: str) -> bool:
    """Whether `path` is the book list or a book's detail."""
    if path in _LIST_PATHS:
        return True
    if path.startswith(_DETAIL_PREFIX):
        try:
            UUID(path[len(_DETAIL_PREFIX) :])
        except ValueError:
            return False
        return True
    return False


def _variant(scope: Scope) -> str | None:
    """ "gzip" or "" (whether the client takes gzip, read as the compression middleware reads it: the first
    `Accept-Encoding`), or None when the request is not one to answer from the cache."""
    encoding: bytes | None = None
    values = []
    for name, value in scope["headers"]:
        if name in _PERSONAL:
            return None
        if name == b"accept-encoding" and encoding is None:
            encoding = value
        values.append(value)
    every = b"".join(values)
    if not every.isascii() or b"\x00" in every:
        return None  # the edge's header rule decides these
    return "gzip" if encoding is not None and b"gzip" in encoding else ""


class CachedReads:
    """ASGI wrapper answering the catalog's public reads from the cache (see the module's docstring)."""

    def __init__(self, app: ASGIApp, cache: CatalogCache, *, hits: Any = None, misses: Any = None) -> None:
        self.app = app
        self.cache = cache
        self.hits = hits
        self.misses = misses

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        variant = _variant(scope) if _cacheable(scope["path"]) else None
        if variant is None:
            await self.app(scope, receive, send)
            return
        key = f"http:{variant}:{scope['path']}?{scope['query_string'].decode('latin-1')}"
        found, token = await self.cache.read(key, _KIND)
        if found is not None:
            route, headers, body = found
            scope["path_template"] = route  # what the metrics and the access log name it by
            if self.hits is not None:
                self.hits.inc()
            await send({"type": "http.response.start", "status": 200, "headers": list(headers)})
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return
        if self.misses is not None:
            self.misses.inc()
        await self._answer_and_store(scope, receive, send, key, token)

    async def _answer_and_store(self, scope: Scope, receive: Receive, send: Send, key: str, token: object) -> None:
        status = 0
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []
        whole = True

        async def keeping_send(message: Message) -> None:
            nonlocal status, headers, whole
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))  # before the edge adds its own
            elif message["type"] == "http.response.body" and whole:
                chunks.append(message.get("body", b""))
                whole = sum(map(len, chunks)) <= _MAX_BODY
            await send(message)

        reads: list[tuple[str, ...]] = []
        listening = READ_SCOPES.set(reads)
        try:
            await self.app(scope, receive, keeping_send)
        finally:
            READ_SCOPES.reset(listening)
        route = scope.get("path_template")
        if status != 200 or not whole or not isinstance(route, str) or not reads:
            return
        if any(name == b"set-cookie" for name, _ in headers):
            return
        scopes = sorted(set(chain.from_iterable(reads)))
        await self.cache.write(key, (route, headers, b"".join(chunks)), token, scopes)
