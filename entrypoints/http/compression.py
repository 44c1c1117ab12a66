"""gzip for responses when the client takes it: Folio's own, in place of Litestar's `CompressionConfig`.

Litestar's middleware made a `gzip.GzipFile` for every request whose client sends `Accept-Encoding: gzip`,
before it knew whether the body would be compressed at all. A `GzipFile` in write mode is a reference
cycle (it and its buffer stream point at each other), so it and its zlib stream (about 260 KiB of deflate
state, malloc'd) outlived the request until the cyclic collector ran, and the worker's collector runs
rarely (`entrypoints.heap.settle_heap`). During a burst of small answers (a login's is under 500 bytes)
hundreds of them piled up in the allocator's heap: a worker's resident memory rose by a hundred MiB and,
fragmented, kept part of it after the burst.

Here nothing is built for a body that stays as it is; one whole body is compressed in one call
(`zlib.compress`); only a streamed body keeps a compressor, dropped with its last chunk. No cycles.
The rules are the ones the app had: the first `Accept-Encoding` naming gzip, bodies of at least
`MINIMUM_SIZE` bytes, `Vary: Accept-Encoding`, a streamed body without `Content-Length`.
"""

from __future__ import annotations

import zlib

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

#: Bodies shorter than this go as they are: gzip's framing would eat what it saves.
MINIMUM_SIZE = 500
LEVEL = 6
#: zlib's window bits for a gzip container (header and trailer) around the deflate stream.
_GZIP_WBITS = 16 + zlib.MAX_WBITS


def takes_gzip(scope: Scope) -> bool:
    """Whether the client takes gzip, by the first `Accept-Encoding` header (as the response cache reads it)."""
    for name, value in scope["headers"]:
        if name == b"accept-encoding":
            return b"gzip" in value
    return False


class GzipResponses:
    """ASGI middleware: compresses HTTP response bodies of at least `MINIMUM_SIZE` bytes for clients that take gzip."""

    def __init__(self, app: ASGIApp, *, minimum_size: int = MINIMUM_SIZE, level: int = LEVEL) -> None:
        self.app = app
        self.minimum_size = minimum_size
        self.level = level

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or not takes_gzip(scope):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        stream: zlib._Compress | None = None  # only while a streamed body is being compressed

        async def gzip_send(message: Message) -> None:
            nonlocal start, stream
            if message["type"] == "http.response.start":
                start = message  # held until the first body says how long it is
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            body: bytes = message.get("body", b"")
            more = message.get("more_body", False)
            if start is not None:
                held, start = start, None
                headers = MutableScopeHeaders.from_message(held)
                if "content-encoding" not in headers and (more or len(body) >= self.minimum_size):
                    headers["Content-Encoding"] = "gzip"
                    headers.extend_header_value("vary", "Accept-Encoding")
                    if more:
                        del headers["Content-Length"]
                        stream = zlib.compressobj(self.level, zlib.DEFLATED, _GZIP_WBITS)
                        body = stream.compress(body) + stream.flush(zlib.Z_SYNC_FLUSH)
                    else:
                        body = zlib.compress(body, self.level, wbits=_GZIP_WBITS)
                        headers["Content-Length"] = str(len(body))
                    message = {**message, "body": body}
                await send(held)
                await send(message)
                return
            if stream is not None:
                body = stream.compress(body) + (stream.flush(zlib.Z_SYNC_FLUSH) if more else stream.flush())
                if not more:
                    stream = None
                message = {**message, "body": body}
            await send(message)

        await self.app(scope, receive, gzip_send)
