"""The app's gzip middleware: what a client receives, and that a request leaves no cyclic garbage behind."""

from __future__ import annotations

import asyncio
import gc
import gzip
from collections.abc import Iterator
from typing import Any

import pytest

from entrypoints.http.compression import MINIMUM_SIZE, GzipResponses

BIG = b'{"title": "The Book"}' * 100


def _app(*chunks: bytes, headers: list[tuple[bytes, bytes]] | None = None) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        length = str(sum(map(len, chunks))).encode()
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", length), *(headers or [])]}
        )
        for i, chunk in enumerate(chunks):
            await send({"type": "http.response.body", "body": chunk, "more_body": i < len(chunks) - 1})

    return app


def _call(app: Any, accept: bytes | None = b"gzip, deflate") -> tuple[dict[str, str], bytes]:
    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def receive() -> Any:
        return {"type": "http.request", "body": b""}

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": [] if accept is None else [(b"accept-encoding", accept)],
    }
    asyncio.run(GzipResponses(app)(scope, receive, send))
    headers = {k.decode().lower(): v.decode() for k, v in sent[0]["headers"]}
    return headers, b"".join(m.get("body", b"") for m in sent[1:])


def test_a_large_body_is_gzipped_with_its_compressed_length() -> None:
    headers, body = _call(_app(BIG))
    assert headers["content-encoding"] == "gzip"
    assert "accept-encoding" in headers["vary"].lower()
    assert int(headers["content-length"]) == len(body) < len(BIG)
    assert gzip.decompress(body) == BIG


def test_a_small_body_or_a_client_without_gzip_gets_the_body_as_it_is() -> None:
    small = b"x" * (MINIMUM_SIZE - 1)
    for app, accept, expected in ((_app(small), b"gzip", small), (_app(BIG), b"identity", BIG), (_app(BIG), None, BIG)):
        headers, body = _call(app, accept)
        assert "content-encoding" not in headers
        assert body == expected


def test_a_streamed_body_is_gzipped_chunk_by_chunk_without_a_length() -> None:
    headers, body = _call(_app(BIG[:700], BIG[700:1500], BIG[1500:]))
    assert headers["content-encoding"] == "gzip"
    assert "content-length" not in headers
    assert gzip.decompress(body) == BIG


def test_an_already_encoded_body_is_left_alone() -> None:
    headers, body = _call(_app(BIG, headers=[(b"content-encoding", b"br")]))
    assert headers["content-encoding"] == "br"
    assert body == BIG


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.mark.usefixtures("collector_off")
def test_requests_leave_no_cycles_holding_a_compressor() -> None:
    """Each compressor is freed with its request, not when the (rarely run) cyclic collector gets to it."""
    for app in (_app(b"small"), _app(BIG), _app(BIG[:700], BIG[700:])):
        for _ in range(20):
            _call(app)
    assert not [o for o in gc.get_objects() if isinstance(o, gzip.GzipFile)]
    assert gc.collect() < 20  # asyncio.run's own loop objects, not 12 or so objects for every request
