"""The TokenStore contract, run on the in-memory fake and on the Valkey adapter."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from adapters.memory.tokens import MemoryTokenStore
from adapters.valkey.client import make_client
from adapters.valkey.tokens import ValkeyTokenStore
from application.ports.tokens import RefreshRecord, TokenStore
from domain.identity import TokenReused
from tests.support.valkey import delete_prefix, ttls

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
LIFE = 14 * DAY


@pytest.fixture(params=["memory", pytest.param("valkey", marks=pytest.mark.valkey)])
async def store(request: pytest.FixtureRequest, valkey_url: str, valkey_prefix: str) -> AsyncIterator[TokenStore]:
    if request.param == "memory":
        yield MemoryTokenStore()
        return
    client = make_client(valkey_url)
    try:
        yield ValkeyTokenStore(client, valkey_prefix)
    finally:
        await delete_prefix(client, valkey_prefix)
        await client.aclose()


def record(user: UUID | None = None, family: UUID | None = None, at: datetime = T0) -> RefreshRecord:
    return RefreshRecord(user or uuid4(), family or uuid4(), at, at + LIFE)


async def rotate(store: TokenStore, old: str, new: str, now: datetime = T0) -> RefreshRecord | None:
    return await store.rotate_refresh(old, new, now=now, expires_at=now + LIFE, revoke_until=now + LIFE)


async def test_rotation_spends_the_old_token_and_keeps_the_family(store: TokenStore) -> None:
    first = record()
    await store.add_refresh("a", first)
    assert await store.find_refresh("a", now=T0) == first
    later = T0 + timedelta(seconds=5)
    second = await rotate(store, "a", "b", later)
    assert second is not None
    assert (second.user_id, second.family_id, second.issued_at) == (first.user_id, first.family_id, later)
    assert await store.find_refresh("a", now=later) is None
    assert await store.find_refresh("b", now=later) == second


async def test_reuse_raises_and_revokes_the_family(store: TokenStore) -> None:
    first = record()
    await store.add_refresh("a", first)
    await rotate(store, "a", "b")
    with pytest.raises(TokenReused):
        await rotate(store, "a", "c")
    assert await rotate(store, "b", "d") is None
    assert await store.find_refresh("b", now=T0) is None
    assert await store.is_revoked(jti="j", family_id=first.family_id, user_id=first.user_id, issued_at=T0)
    with pytest.raises(TokenReused):  # still recognised as reuse afterwards
        await rotate(store, "a", "e")


async def test_unknown_and_expired_tokens_do_not_rotate(store: TokenStore) -> None:
    await store.add_refresh("a", record())
    assert await rotate(store, "nope", "x") is None
    assert await rotate(store, "a", "b", T0 + LIFE) is None
    assert await store.find_refresh("a", now=T0 + LIFE) is None


async def test_concurrent_rotations_of_one_token_let_exactly_one_win(store: TokenStore) -> None:
    await store.add_refresh("a", record())
    results = await asyncio.gather(*(rotate(store, "a", f"n{i}") for i in range(12)), return_exceptions=True)
    wins = [r for r in results if isinstance(r, RefreshRecord)]
    assert len(wins) == 1
    assert all(isinstance(r, TokenReused) for r in results if not isinstance(r, RefreshRecord))


async def test_revoke_user_rejects_what_was_issued_up_to_then(store: TokenStore) -> None:
    user = uuid4()
    old = record(user)
    await store.add_refresh("old", old)
    cut = T0 + timedelta(seconds=10)
    await store.revoke_user(user, at=cut, until=cut + LIFE)
    newer = record(user, at=cut + timedelta(microseconds=1))
    await store.add_refresh("new", newer)
    assert await store.is_revoked(jti="j1", family_id=uuid4(), user_id=user, issued_at=cut)
    assert not await store.is_revoked(jti="j2", family_id=uuid4(), user_id=user, issued_at=newer.issued_at)
    assert not await store.is_revoked(jti="j3", family_id=uuid4(), user_id=uuid4(), issued_at=T0)
    assert await store.find_refresh("old", now=cut) is None
    assert await rotate(store, "old", "x", cut) is None
    assert await rotate(store, "new", "y", cut + timedelta(seconds=1)) is not None
    # An earlier cut-off arriving late never undoes a later one.
    await store.revoke_user(user, at=T0, until=T0 + LIFE)
    assert await store.is_revoked(jti="j4", family_id=uuid4(), user_id=user, issued_at=cut)


async def test_revoke_access_and_family_are_targeted(store: TokenStore) -> None:
    user, family = uuid4(), uuid4()
    await store.revoke_access("jti-1", now=T0, until=T0 + timedelta(minutes=15))
    assert await store.is_revoked(jti="jti-1", family_id=family, user_id=user, issued_at=T0)
    assert not await store.is_revoked(jti="jti-2", family_id=family, user_id=user, issued_at=T0)
    await store.add_refresh("a", record(user, family))
    await store.revoke_family(family, now=T0, until=T0 + LIFE)
    assert await store.is_revoked(jti="jti-2", family_id=family, user_id=user, issued_at=T0)
    assert await rotate(store, "a", "b") is None


async def test_codes_match_once_and_burn_after_the_last_try(store: TokenStore) -> None:
    expires = T0 + timedelta(minutes=15)
    await store.add_code("k", "right", tries=3, now=T0, expires_at=expires)
    assert not await store.use_code("k", "wrong", now=T0)
    assert await store.use_code("k", "right", now=T0)
    assert not await store.use_code("k", "right", now=T0)
    await store.add_code("k", "right", tries=3, now=T0, expires_at=expires)
    for _ in range(3):
        assert not await store.use_code("k", "wrong", now=T0)
    assert not await store.use_code("k", "right", now=T0)
    await store.add_code("k", "right", tries=3, now=T0, expires_at=expires)
    assert not await store.use_code("k", "right", now=expires)
    assert not await store.use_code("other", "right", now=T0)


async def test_a_new_code_replaces_the_old_one_with_fresh_tries(store: TokenStore) -> None:
    expires = T0 + timedelta(minutes=15)
    await store.add_code("k", "first", tries=2, now=T0, expires_at=expires)
    assert not await store.use_code("k", "wrong", now=T0)
    await store.add_code("k", "second", tries=2, now=T0, expires_at=expires)
    assert not await store.use_code("k", "first", now=T0)
    assert await store.use_code("k", "second", now=T0)


async def test_one_time_values_are_taken_once_until_they_expire(store: TokenStore) -> None:
    expires = T0 + DAY
    await store.add_one_time("v", "value|with|bars", now=T0, expires_at=expires)
    assert await store.take_one_time("v", now=T0) == "value|with|bars"
    assert await store.take_one_time("v", now=T0) is None
    await store.add_one_time("w", "x", now=T0, expires_at=expires)
    assert await store.take_one_time("w", now=expires) is None


async def test_of_concurrent_takes_of_one_value_exactly_one_gets_it(store: TokenStore) -> None:
    """A sign-in's state and login code are single use even when two API processes race for them."""
    await store.add_one_time("flow", '{"p": "google"}', now=T0, expires_at=T0 + timedelta(minutes=10))
    taken = await asyncio.gather(*(store.take_one_time("flow", now=T0) for _ in range(12)))
    assert [value for value in taken if value is not None] == ['{"p": "google"}']
    await store.add_one_time("code", "user", now=T0, expires_at=T0 + timedelta(seconds=60))
    assert await store.take_one_time("code", now=T0 + timedelta(seconds=60)) is None  # expired at 60 s


@pytest.mark.valkey
async def test_every_valkey_key_lives_exactly_as_long_as_what_it_guards(valkey_url: str, valkey_prefix: str) -> None:
    client = make_client(valkey_url)
    store = ValkeyTokenStore(client, valkey_prefix)
    try:
        user, family = uuid4(), uuid4()
        await store.add_refresh("a", record(user, family))
        await rotate(store, "a", "b")
        await store.revoke_access("j", now=T0, until=T0 + timedelta(minutes=15))
        await store.revoke_family(uuid4(), now=T0, until=T0 + LIFE)
        await store.revoke_user(user, at=T0, until=T0 + LIFE)
        await store.add_code("c", "h", tries=5, now=T0, expires_at=T0 + timedelta(minutes=15))
        await store.add_one_time("o", "v", now=T0, expires_at=T0 + DAY)
        lives = await ttls(client, valkey_prefix)
        assert len(lives) == 7
        expected = {"rt": LIFE, "fr": LIFE, "nb": LIFE, "jti": timedelta(minutes=15), "code": timedelta(minutes=15)}
        expected["once"] = DAY
        for key, ms in lives.items():
            kind = key.removeprefix(valkey_prefix).split(":")[0]
            full = expected[kind].total_seconds() * 1000
            assert full - 5_000 < ms <= full, (key, ms)
    finally:
        await delete_prefix(client, valkey_prefix)
        await client.aclose()


async def test_the_memory_store_drops_expired_entries() -> None:
    store = MemoryTokenStore()
    for n in range(50):
        await store.add_refresh(f"t{n}", record())
        await store.revoke_access(f"j{n}", now=T0, until=T0 + timedelta(minutes=15))
        await store.add_code(f"c{n}", "h", tries=5, now=T0, expires_at=T0 + timedelta(minutes=15))
    assert len(store) == 150
    later = T0 + LIFE + timedelta(minutes=1)
    await store.add_one_time("o", "v", now=later, expires_at=later + DAY)
    assert len(store) == 1
