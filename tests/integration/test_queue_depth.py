"""The Dramatiq queue depth gauge reads the broker's lists on the real Valkey-compatible server."""

from __future__ import annotations

import pytest

from adapters.valkey.client import make_client
from adapters.valkey.stats import queue_depth

pytestmark = pytest.mark.valkey


async def test_queue_depth_counts_ready_and_delayed_messages(valkey_url: str, valkey_prefix: str) -> None:
    client = make_client(valkey_url)
    namespace = f"{valkey_prefix}dramatiq"
    try:
        await client.rpush(f"{namespace}:mail", "m1", "m2", "m3")
        await client.rpush(f"{namespace}:mail.DQ", "m4")
        await client.rpush(f"{namespace}:imports", "i1")
        assert await queue_depth(client, namespace, ["mail", "imports", "idle"]) == {
            "mail": 4.0,
            "imports": 1.0,
            "idle": 0.0,
        }
    finally:
        await client.delete(f"{namespace}:mail", f"{namespace}:mail.DQ", f"{namespace}:imports")
        await client.aclose()
