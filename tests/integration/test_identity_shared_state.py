"""Two API instances on one database and one Valkey: revocations take effect in both at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from adapters.valkey.client import make_client
from application.identity.admin import ListUsers, UpdateUser
from application.identity.login import Login
from application.identity.sessions import Refresh
from domain.errors import RateLimited
from domain.identity import LastAdmin, Role, TokenReused
from entrypoints.bootstrap import Services, bootstrap
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.support.builders import add_user
from tests.support.http import API, PASSWORD, bearer, login, register
from tests.support.settings import make_settings
from tests.support.valkey import delete_prefix

pytestmark = pytest.mark.valkey
Client = AsyncTestClient[Any]


@pytest.fixture
def configs(db_url: str, valkey_url: str, valkey_prefix: str, tmp_path: Path) -> list[Settings]:
    """Settings of two API processes: one database, one Valkey, one key prefix."""
    return [
        make_settings(tmp_path / name, database_url=db_url, valkey_url=valkey_url, valkey_prefix=valkey_prefix)
        for name in ("a", "b", "seed")
    ]


@pytest.fixture
async def cleanup(valkey_url: str, valkey_prefix: str) -> AsyncIterator[None]:
    yield
    cleaner = make_client(valkey_url)
    await delete_prefix(cleaner, valkey_prefix)
    await cleaner.aclose()


@pytest.fixture
async def pair(configs: list[Settings], cleanup: None) -> AsyncIterator[tuple[Services, Services]]:
    """Two Services wired by bootstrap, called directly on the test's event loop."""
    a, b = bootstrap(configs[0]), bootstrap(configs[1])
    yield a, b
    await a.aclose()
    await b.aclose()


@pytest.fixture
async def apps(configs: list[Settings], cleanup: None) -> AsyncIterator[tuple[Services, Client, Client]]:
    """Two HTTP apps (each closes its own Services), and a third Services to seed data directly."""
    seed = bootstrap(configs[2])
    async with (
        AsyncTestClient(app=create_app(bootstrap(configs[0]))) as one,
        AsyncTestClient(app=create_app(bootstrap(configs[1]))) as two,
    ):
        yield seed, one, two
    await seed.aclose()


async def _me(client: Client, access: str) -> int:
    return (await client.get(f"{API}/users/me", headers=bearer(access))).status_code


async def test_logout_in_one_instance_is_seen_by_the_other(apps: tuple[Services, Client, Client]) -> None:
    _, one, two = apps
    user = await register(one)
    tokens = await login(one, user["email"])
    assert await _me(two, tokens["access_token"]) == 200
    assert (await one.post(f"{API}/auth/logout", headers=bearer(tokens["access_token"]))).status_code == 204
    assert await _me(two, tokens["access_token"]) == 401
    assert (await two.post(f"{API}/auth/refresh", json={"refresh_token": tokens["refresh_token"]})).status_code == 401


async def test_logout_all_and_refresh_reuse_cross_instances(apps: tuple[Services, Client, Client]) -> None:
    _, one, two = apps
    user = await register(one)
    first, second = await login(one, user["email"]), await login(two, user["email"])
    rotated = (await two.post(f"{API}/auth/refresh", json={"refresh_token": first["refresh_token"]})).json()
    reused = await one.post(f"{API}/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.json()["type"] == "/problems/token-reused"
    assert await _me(two, rotated["access_token"]) == 401
    assert (await two.post(f"{API}/auth/logout-all", headers=bearer(second["access_token"]))).status_code == 204
    assert await _me(one, second["access_token"]) == 401


async def test_deactivation_in_one_instance_is_seen_by_the_other(apps: tuple[Services, Client, Client]) -> None:
    seed, one, two = apps
    admin = await add_user(seed, "root", role=Role.ADMIN)
    admin_auth = bearer((await login(one, admin.email))["access_token"])
    user = await register(one)
    tokens = await login(two, user["email"])
    assert (await one.post(f"{API}/admin/users/{user['id']}/deactivate", headers=admin_auth)).status_code == 200
    assert await _me(two, tokens["access_token"]) == 401


async def test_rate_limits_are_shared(pair: tuple[Services, Services]) -> None:
    services_a, services_b = pair
    user = await add_user(services_a)
    for n in range(10):
        await (services_a if n % 2 else services_b).identity.login(Login(user.email, PASSWORD, "10.1.1.1"))
    with pytest.raises(RateLimited):
        await services_b.identity.login(Login(user.email, PASSWORD, "10.1.1.2"))


async def test_a_refresh_token_raced_across_instances_wins_once(pair: tuple[Services, Services]) -> None:
    services_a, services_b = pair
    user = await add_user(services_a)
    tokens = await services_a.identity.login(Login(user.email, PASSWORD))
    racers = [(services_a if n % 2 else services_b).identity.refresh(Refresh(tokens.refresh_token)) for n in range(8)]
    results = await asyncio.gather(*racers, return_exceptions=True)
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(isinstance(r, TokenReused) for r in results if isinstance(r, BaseException))


async def test_concurrent_demotions_of_the_last_two_admins_leave_one(pair: tuple[Services, Services]) -> None:
    services_a, services_b = pair
    first = await add_user(services_a, role=Role.ADMIN)
    second = await add_user(services_a, role=Role.ADMIN)
    results = await asyncio.gather(
        services_a.identity.update_user(UpdateUser(first.id, role=Role.USER)),
        services_b.identity.update_user(UpdateUser(second.id, role=Role.USER)),
        return_exceptions=True,
    )
    assert sum(isinstance(r, LastAdmin) for r in results) == 1, results
    _, admins = await services_b.identity.list_users(ListUsers(role=Role.ADMIN, is_active=True))
    assert admins == 1
