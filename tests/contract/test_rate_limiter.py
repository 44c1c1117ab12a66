"""The RateLimiter contract, run on the in-memory fake and on the Valkey adapter."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest

from adapters.memory.rate_limit import MemoryRateLimiter
from adapters.valkey.client import make_client
from adapters.valkey.rate_limit import ValkeyRateLimiter
from application.ports.rate_limit import RateLimiter
from tests.support.clock import FakeClock
from tests.support.valkey import delete_prefix, ttls


@dataclass
class Limiter:
    limiter: RateLimiter
    wait: Callable[[float], Awaitable[None]]


@pytest.fixture(params=["memory", pytest.param("valkey", marks=pytest.mark.valkey)])
async def subject(request: pytest.FixtureRequest, valkey_url: str, valkey_prefix: str) -> AsyncIterator[Limiter]:
    if request.param == "memory":
        clock = FakeClock()

        async def advance(seconds: float) -> None:
            clock.advance(seconds=seconds)

        yield Limiter(MemoryRateLimiter(clock), advance)
        return
    client = make_client(valkey_url)
    try:
        yield Limiter(ValkeyRateLimiter(client, valkey_prefix), asyncio.sleep)
    finally:
        await delete_prefix(client, valkey_prefix)
        await client.aclose()


async def test_hits_within_the_limit_pass_and_the_next_gets_a_retry_time(subject: Limiter) -> None:
    for _ in range(3):
        assert await subject.limiter.hit("k", limit=3, window_seconds=60) is None
    retry = await subject.limiter.hit("k", limit=3, window_seconds=60)
    assert retry is not None
    assert 0 < retry <= 60
    assert await subject.limiter.hit("other", limit=3, window_seconds=60) is None


async def test_the_window_ends_and_counting_starts_again(subject: Limiter) -> None:
    assert await subject.limiter.hit("k", limit=1, window_seconds=2) is None
    assert await subject.limiter.hit("k", limit=1, window_seconds=2) in {1, 2}
    await subject.wait(2.1)
    assert await subject.limiter.hit("k", limit=1, window_seconds=2) is None


async def test_concurrent_hits_are_all_counted(subject: Limiter) -> None:
    results = await asyncio.gather(*(subject.limiter.hit("k", limit=5, window_seconds=60) for _ in range(20)))
    assert sum(r is None for r in results) == 5


@pytest.mark.valkey
async def test_valkey_counters_expire_with_their_window(valkey_url: str, valkey_prefix: str) -> None:
    client = make_client(valkey_url)
    try:
        limiter = ValkeyRateLimiter(client, valkey_prefix)
        for _ in range(3):
            await limiter.hit("k", limit=1, window_seconds=900)
        [life] = (await ttls(client, valkey_prefix)).values()
        assert 895_000 < life <= 900_000
    finally:
        await delete_prefix(client, valkey_prefix)
        await client.aclose()
