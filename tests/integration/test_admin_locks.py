"""On PostgreSQL, deciding about the last admin holds the admin rows, so two demotions cannot both pass."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from domain.identity import Role
from entrypoints.bootstrap import Services, bootstrap
from tests.support.builders import add_user
from tests.support.settings import make_settings

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pg_services(pg_url: str, tmp_path: Path) -> AsyncIterator[Services]:
    services = bootstrap(make_settings(tmp_path / "var", database_url=pg_url))
    yield services
    await services.aclose()


async def test_a_second_writer_waits_for_the_admin_rows_and_then_sees_the_change(pg_services: Services) -> None:
    first_admin = await add_user(pg_services, role=Role.ADMIN)
    await add_user(pg_services, role=Role.ADMIN)

    async def count_in_another_transaction() -> int:
        async with pg_services.uow() as uow:
            return await uow.users.count_active_admins(lock=True)

    async with pg_services.uow() as uow:
        assert await uow.users.count_active_admins(lock=True) == 2
        waiting = asyncio.create_task(count_in_another_transaction())
        await asyncio.sleep(0.3)
        assert not waiting.done(), "the admin rows were not locked"
        user = await uow.users.get(first_admin.id, lock=True)
        assert user is not None
        user.change_role(Role.USER)
        await uow.users.update(user)
        await uow.commit()
    assert await asyncio.wait_for(waiting, 5) == 1
