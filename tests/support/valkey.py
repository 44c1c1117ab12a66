"""Valkey helpers for tests: a client on the test server, and cleanup of one test's prefix only."""

from __future__ import annotations

from valkey.asyncio import Valkey


async def delete_prefix(client: Valkey, prefix: str) -> None:
    """Removes the keys under `prefix` (never FLUSHDB: the server is shared)."""
    async for key in client.scan_iter(match=f"{prefix}*", count=500):
        await client.delete(key)


async def ttls(client: Valkey, prefix: str) -> dict[str, int]:
    """Each key under `prefix` with its remaining life in ms (-1: none, which must never happen)."""
    return {key.decode(): await client.pttl(key) async for key in client.scan_iter(match=f"{prefix}*", count=500)}
