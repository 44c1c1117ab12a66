from __future__ import annotations

import valkey.asyncio as valkey


def make_client(url: str) -> valkey.Valkey:
    """One connection pool per process; commands time out rather than hang a request."""
    client: valkey.Valkey = valkey.from_url(
        url, decode_responses=False, socket_timeout=5, socket_connect_timeout=5, health_check_interval=30
    )
    return client


async def ping(client: valkey.Valkey) -> None:
    await client.ping()
