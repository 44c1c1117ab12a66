from __future__ import annotations

import valkey.asyncio as valkey
from valkey import exceptions

#: Valkey is down, unreachable, loading its data or too slow: a retry may succeed (the HTTP edge: 503).
UNAVAILABLE: tuple[type[Exception], ...] = (exceptions.ConnectionError, exceptions.TimeoutError)


def make_client(url: str) -> valkey.Valkey:
    """One connection pool per process; commands time out rather than hang a request (Valkey answers
    in well under a millisecond: a server that takes seconds is as good as down)."""
    client: valkey.Valkey = valkey.from_url(
        url, decode_responses=False, socket_timeout=2, socket_connect_timeout=1, health_check_interval=30
    )
    return client


async def ping(client: valkey.Valkey) -> None:
    await client.ping()
