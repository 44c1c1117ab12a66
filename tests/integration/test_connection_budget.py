"""The connection budget and the one 503 for a dependency that cannot answer, through the app."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from litestar.testing import AsyncTestClient

from entrypoints.bootstrap import Services, bootstrap
from entrypoints.connections import connection_budget, workers_within
from entrypoints.http.app import create_app
from tests.support.builders import a_book, add_books, add_user
from tests.support.commerce import bearer_for, many_buyers
from tests.support.http import API
from tests.support.processes import free_port
from tests.support.settings import make_settings

STOCK_MAX_CONNECTIONS = 100  # PostgreSQL's default


@given(cores=st.integers(1, 256))
def test_the_defaults_fit_two_api_processes_and_a_worker_under_a_stock_postgresql(cores: int) -> None:
    settings = make_settings(Path("var"), workers=cores)
    api = connection_budget(settings, workers_within(settings, cores))
    worker = connection_budget(settings, settings.worker_processes)
    held = 2 * api.total + worker.total
    assert held <= settings.db_max_connections * 3 <= STOCK_MAX_CONNECTIONS - 25  # room for psql, migrations
    assert api.write.size >= 1
    assert api.read.size >= 1
    assert api.write.timeout <= 10
    assert api.write.connect_timeout <= 10


@given(budget=st.integers(2, 500), workers=st.integers(1, 64), pool_size=st.none() | st.integers(1, 100))
def test_each_worker_gets_its_share_and_the_process_never_more_than_its_budget(
    budget: int, workers: int, pool_size: int | None
) -> None:
    settings = make_settings(
        Path("var"), db_max_connections=budget, **({"db_pool_size": pool_size} if pool_size else {})
    )
    served = workers_within(settings, workers)
    split = connection_budget(settings, served)
    assert split.total <= budget
    assert served == min(workers, budget // 2)
    assert split.write.size >= 1
    assert split.read.size >= 1
    if pool_size is not None:
        assert split.write.size <= pool_size  # the older setting still caps the write pool


@pytest.fixture
async def starved(pg_url: str, tmp_path: Path) -> AsyncIterator[Services]:
    """One write connection, one read connection, a short wait for them."""
    wired = bootstrap(make_settings(tmp_path / "var", database_url=pg_url, db_max_connections=2, db_pool_timeout=0.5))
    yield wired
    await wired.aclose()


@pytest.mark.postgres
async def test_a_request_finding_no_free_connection_is_answered_503_with_retry_after(starved: Services) -> None:
    user = await add_user(starved)
    headers = bearer_for(starved, user)
    async with AsyncTestClient(app=create_app(starved)) as http:
        assert (await http.get(f"{API}/users/me", headers=headers)).status_code == 200
        async with starved.uow():  # holds the process's only write connection
            started = time.monotonic()
            busy = await http.get(f"{API}/users/me", headers=headers)
            assert time.monotonic() - started < 3
        assert busy.status_code == 503, busy.text
        assert busy.headers["retry-after"] == "2"
        assert busy.json()["type"] == "/problems/unavailable"
        assert (await http.get(f"{API}/users/me", headers=headers)).status_code == 200


@pytest.mark.postgres
async def test_a_database_that_refuses_connections_is_503_and_health_stays_200(tmp_path: Path) -> None:
    nowhere = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/folio"
    wired = bootstrap(make_settings(tmp_path / "var", database_url=nowhere))
    try:
        async with AsyncTestClient(app=create_app(wired)) as http:
            books = await http.get(f"{API}/books", params={"q": "anything"})
            assert (books.status_code, books.headers.get("retry-after")) == (503, "2"), books.text
            assert (await http.get("/health")).status_code == 200
            ready = await http.get("/health/ready")
            assert (ready.status_code, ready.json()["checks"]) == (503, {"database": False})
    finally:
        await wired.aclose()


@pytest.mark.postgres
async def test_with_valkey_unreachable_the_catalog_answers_from_the_database_and_tokens_are_503(
    pg_url: str, tmp_path: Path
) -> None:
    wired = bootstrap(
        make_settings(tmp_path / "var", database_url=pg_url, valkey_url=f"valkey://127.0.0.1:{free_port()}/0")
    )
    try:
        (book,) = await add_books(wired, a_book(title="Offline"))
        (user,) = await many_buyers(wired, 1)
        async with AsyncTestClient(app=create_app(wired)) as http:
            for _ in range(3):  # the first failure pauses the cache; every answer comes from the database
                listing: Any = (await http.get(f"{API}/books")).json()
                assert [item["id"] for item in listing["items"]] == [str(book.id)]
                assert (await http.get(f"{API}/books/{book.id}")).status_code == 200
            me = await http.get(f"{API}/users/me", headers=bearer_for(wired, user))
            assert (me.status_code, me.headers.get("retry-after")) == (503, "2"), me.text
            login = await http.post(f"{API}/auth/login", json={"email": user.email, "password": "whatever-it-is"})
            assert login.status_code == 503, login.text
    finally:
        await wired.aclose()
