"""Folio behind a transaction-pooling PgBouncer (FOLIO_DB_PGBOUNCER=true): no session state, no startup
options, no prepared statements; catalog reads (planner settings, typo search), writes and checkout work."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from application.commerce.cart import AddToCart
from entrypoints.bootstrap import Services, bootstrap
from entrypoints.cli import upgrade_database
from entrypoints.http.app import create_app
from tests.support.builders import a_book, add_books
from tests.support.commerce import bearer_for, many_buyers
from tests.support.databases import empty_postgres_database
from tests.support.http import API
from tests.support.private_servers import PrivatePgBouncer, private_servers
from tests.support.settings import make_settings

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.xdist_group("faults")]


@pytest.fixture(scope="module")
def bouncer() -> Iterator[PrivatePgBouncer]:
    with private_servers(max_connections=20) as (postgres, _):
        upgrade_database(empty_postgres_database(postgres.url, "folio"))
        pgbouncer = PrivatePgBouncer(postgres, pool_size=3)
        pgbouncer.start()
        try:
            yield pgbouncer
        finally:
            pgbouncer.stop()


async def _services(bouncer: PrivatePgBouncer, var: Path, *, pgbouncer: bool) -> Services:
    settings = make_settings(var, database_url=bouncer.url("folio"), db_pgbouncer=pgbouncer, db_max_connections=6)
    return bootstrap(settings)


@pytest.fixture
async def behind(bouncer: PrivatePgBouncer, tmp_path: Path) -> AsyncIterator[Services]:
    wired = await _services(bouncer, tmp_path / "var", pgbouncer=True)
    yield wired
    await wired.aclose()


async def test_catalog_reads_writes_and_checkout_work_behind_pgbouncer(behind: Services) -> None:
    (dune, _) = await add_books(behind, a_book(title="Dune Messiah", stock=5), a_book(title="Emma", stock=5))
    buyers = await many_buyers(behind, 3)
    async with AsyncTestClient(app=create_app(behind)) as http:
        for _ in range(8):  # past psycopg's prepare threshold (5): a prepared statement would be lost
            found = await http.get(f"{API}/books", params={"q": "dune"})
            assert found.status_code == 200, found.text
            assert [book["id"] for book in found.json()["items"]] == [str(dune.id)]
            assert (await http.get(f"{API}/books/{dune.id}")).status_code == 200
        typo = await http.get(f"{API}/books", params={"q": "messaih"})  # the pg_trgm path, its threshold LOCAL
        assert [book["id"] for book in typo.json()["items"]] == [str(dune.id)], typo.text
        for buyer in buyers:
            await behind.commerce.add_to_cart(AddToCart(buyer.id, dune.id, 1))
            paid = await http.post(f"{API}/orders/checkout", headers=bearer_for(behind, buyer))
            assert paid.status_code == 201, paid.text
        detail = await http.get(f"{API}/books/{dune.id}")
        assert detail.json()["stock"] == 2


async def test_without_the_setting_pgbouncer_refuses_the_read_pool_and_the_answer_is_503(
    bouncer: PrivatePgBouncer, tmp_path: Path
) -> None:
    wired = await _services(bouncer, tmp_path / "var", pgbouncer=False)
    try:
        async with AsyncTestClient(app=create_app(wired)) as http:
            refused = await http.get(f"{API}/books", params={"q": "anything"})
            assert refused.status_code == 503, refused.text  # "unsupported startup parameter: options"
    finally:
        await wired.aclose()
