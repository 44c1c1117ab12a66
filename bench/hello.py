"""The framework's ceiling for `make bench-catalog`: a Litestar app answering one small JSON document,
served by granian the way `folio serve` serves Folio (ASGI, same event loop, one process per worker)."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, get


@get("/")
async def hello() -> dict[str, Any]:
    return {"hello": "world"}


def create() -> Litestar:
    return Litestar([hello])
