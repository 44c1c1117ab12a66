"""Each API process answers catalog hits from its own memory, kept fresh by the changes Valkey publishes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from uuid import uuid4

import pytest
import valkey.asyncio as valkey

from adapters.valkey.catalog_cache import ValkeyCatalogCache
from application.ports.catalog import book_scope, books_changed
from tests.support.valkey import delete_prefix

pytestmark = [pytest.mark.valkey]

Processes = tuple[ValkeyCatalogCache, ValkeyCatalogCache, valkey.Valkey, str]


@pytest.fixture
async def processes(valkey_url: str, valkey_prefix: str) -> AsyncIterator[Processes]:
    """Two processes' caches on one Valkey (the first one's connections named, to be cut), and a client."""
    name = f"catalog-test-{uuid4().hex[:8]}"
    first_client = valkey.Valkey.from_url(valkey_url, client_name=name)
    second_client = valkey.Valkey.from_url(valkey_url)
    first, second = ValkeyCatalogCache(first_client, valkey_prefix), ValkeyCatalogCache(second_client, valkey_prefix)
    try:
        yield first, second, second_client, name
    finally:
        for cache in (first, second):
            await cache.aclose()
        await delete_prefix(second_client, valkey_prefix)
        await first_client.aclose()
        await second_client.aclose()


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 3.0) -> bool:
    for _ in range(int(seconds / 0.02)):
        if await check():
            return True
        await asyncio.sleep(0.02)
    return False


async def held_locally(cache: ValkeyCatalogCache, client: valkey.Valkey, prefix: str, key: str, scope: str) -> None:
    """Stores an entry and waits until `cache` answers it without Valkey (its Valkey copy deleted)."""

    async def local() -> bool:
        found, token = await cache.read(key, str)
        if found is None:
            await cache.write(key, "stored", token, (scope,))
        await client.delete(f"{prefix}catalog:entry:{key}")
        return (await cache.read(key, str))[0] == "stored"

    assert await eventually(local), "never answered from the process's own memory"


async def test_a_change_on_another_process_reaches_the_local_entries_at_once_on_its_own(
    processes: Processes, valkey_prefix: str
) -> None:
    first, second, client, _ = processes
    sold, other = uuid4(), uuid4()
    await held_locally(first, client, valkey_prefix, "page:sold", book_scope(sold))
    await held_locally(first, client, valkey_prefix, "page:other", book_scope(other))

    await second.changed(*books_changed([sold], ratings=False))

    async def stale() -> bool:
        return (await first.read("page:sold", str))[0] is None

    assert await eventually(stale, 1.0), "the other process's change never arrived"
    assert (await first.read("page:other", str))[0] == "stored"  # not touched by it
    await first.changed(*books_changed([other], ratings=False))
    assert (await first.read("page:other", str))[0] is None  # the writer's own process: before it returns


async def test_local_entries_are_dropped_when_the_subscription_is_lost(
    processes: Processes, valkey_prefix: str
) -> None:
    first, _, client, name = processes
    await held_locally(first, client, valkey_prefix, "page:1", book_scope(uuid4()))
    listed = (await client.execute_command("CLIENT", "LIST", "TYPE", "pubsub")).decode()
    ids = [line.split()[0].removeprefix("id=") for line in listed.splitlines() if f" name={name} " in line]
    assert ids, listed
    for client_id in ids:
        await client.execute_command("CLIENT", "KILL", "ID", client_id)  # changes may be missed from here

    async def dropped() -> bool:
        return (await first.read("page:1", str))[0] is None

    assert await eventually(dropped, 2.0), "a local entry outlived the subscription"
    # Subscribed again: entries are kept locally again.
    await held_locally(first, client, valkey_prefix, "page:2", book_scope(uuid4()))
