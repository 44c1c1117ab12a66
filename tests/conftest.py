"""Fixtures every suite shares. PostgreSQL and Valkey are real servers: tests that need them never skip."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import valkey
from hypothesis import HealthCheck, settings
from litestar.testing import AsyncTestClient

from entrypoints.bootstrap import Services, bootstrap
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.support.clock import FakeClock
from tests.support.databases import (
    create_postgres_database,
    database_name,
    drop_postgres_database,
    sqlite_copy,
    sqlite_template,
    truncate_all,
    xdist_worker,
)
from tests.support.settings import POSTGRES_URL, VALKEY_URL, make_settings
from tests.support.smtp import SmtpServer
from tests.support.wiring import fake_services

settings.register_profile("folio", deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
settings.load_profile("folio")


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A migrated PostgreSQL database for this xdist worker, dropped at the end."""
    name = database_name(xdist_worker())
    url = create_postgres_database(POSTGRES_URL, name)
    yield url
    drop_postgres_database(POSTGRES_URL, name)


@pytest.fixture
async def pg_url(pg_database: str) -> AsyncIterator[str]:
    """The worker's PostgreSQL database, emptied after the test."""
    yield pg_database
    await truncate_all(pg_database)


@pytest.fixture(scope="session")
def sqlite_template_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture
def sqlite_url(sqlite_template_path: Path, tmp_path: Path) -> str:
    return sqlite_copy(sqlite_template_path, tmp_path / "db")


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    """Runs the test once on the embedded SQLite default and once on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    url: str = request.getfixturevalue(name)
    return url


@pytest.fixture
def valkey_url() -> str:
    return VALKEY_URL


@pytest.fixture
def valkey_prefix() -> Iterator[str]:
    """Keys of one test live under their own prefix, so parallel runs never see each other's; removed after."""
    prefix = f"folio-test:{uuid.uuid4().hex}:"
    yield prefix
    client = valkey.Valkey.from_url(VALKEY_URL)
    try:
        stale = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if stale:
            client.delete(*stale)
    finally:
        client.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def test_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "var")


@pytest.fixture
async def memory_services(test_settings: Settings, clock: FakeClock) -> AsyncIterator[Services]:
    """Use cases over in-memory fakes of every port, with a clock the test controls."""
    services = fake_services(test_settings, clock=clock)
    yield services
    await services.aclose()


@pytest.fixture
async def services(db_url: str, tmp_path: Path) -> AsyncIterator[Services]:
    """Real adapters over SQLite and over PostgreSQL (the test runs on each)."""
    wired = bootstrap(make_settings(tmp_path / "var", database_url=db_url))
    yield wired
    await wired.aclose()


@pytest.fixture
async def client(services: Services) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    """An HTTP client on the whole app, once per database."""
    async with AsyncTestClient(app=create_app(services)) as http:
        yield http


# --- mail: a real SMTP server (aiosmtpd) on loopback ---


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()
