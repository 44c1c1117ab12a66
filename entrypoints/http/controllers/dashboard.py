"""`GET /admin/`: the operator's dashboard, a page and its own script and styles, all served from here.

The page carries no data: its script signs an ADMIN in through the API and polls
`/api/v1/admin/worker-status`, so the page itself needs no authentication.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from litestar import Controller, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

ASSETS = Path(__file__).resolve().parent.parent / "dashboard"
#: The files the page loads, and their types; nothing else under the folder is served.
_TYPES = {"dashboard.js": "text/javascript", "dashboard.css": "text/css", "favicon.svg": "image/svg+xml"}


@cache
def _read(name: str) -> bytes:
    return (ASSETS / name).read_bytes()


class DashboardController(Controller):
    path = "/admin"
    include_in_schema = False

    @get("/")
    async def page(self) -> Response[bytes]:
        return Response(_read("index.html"), media_type="text/html; charset=utf-8", headers=_CACHE)

    @get("/assets/{name:str}")
    async def asset(self, name: FromPath[str]) -> Response[bytes]:
        media_type = _TYPES.get(name)
        if media_type is None:
            raise NotFoundException("no such asset")
        return Response(_read(name), media_type=f"{media_type}; charset=utf-8", headers=_CACHE)


#: Small files that change with a release: revalidate rather than serve a stale script.
_CACHE = {"Cache-Control": "no-cache"}
