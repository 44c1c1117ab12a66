"""Dramatiq queue depth read from the Valkey-compatible server, for `/metrics`."""

from __future__ import annotations

from collections.abc import Iterable

import valkey.asyncio as valkey


async def queue_depth(client: valkey.Valkey, namespace: str, queues: Iterable[str]) -> dict[str, float]:
    """Messages waiting per queue: Dramatiq's Redis broker keeps ready ids in the list `<namespace>:<queue>`
    and delayed ones in `<namespace>:<queue>.DQ`; both count as not yet handled."""
    depths: dict[str, float] = {}
    for queue in queues:
        ready = await client.llen(f"{namespace}:{queue}")  # type: ignore[misc]  # valkey's sync|async union
        delayed = await client.llen(f"{namespace}:{queue}.DQ")  # type: ignore[misc]
        depths[queue] = float(ready + delayed)
    return depths
