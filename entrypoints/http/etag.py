"""Entity tags for GET responses: a hash of the exact body, so any visible change makes a new tag."""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec
from litestar import Request, Response

_ENCODER = msgspec.json.Encoder()


def _matches(header: str, etag: str) -> bool:
    candidates = {part.strip().removeprefix("W/") for part in header.split(",")}
    return "*" in candidates or etag in candidates


def etag_response(request: Request[Any, Any, Any], body: msgspec.Struct) -> Response[bytes]:
    """`200` with the body and its `ETag`, or `304` when `If-None-Match` names that tag."""
    content = _ENCODER.encode(body)
    etag = '"' + hashlib.blake2b(content, digest_size=16).hexdigest() + '"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if _matches(request.headers.get("if-none-match", ""), etag):
        return Response(b"", status_code=304, headers=headers)
    return Response(content, media_type="application/json", headers=headers)
