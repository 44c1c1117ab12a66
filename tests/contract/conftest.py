"""What the contract suites of the SQL-backed ports share: the same use cases wired to each store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from entrypoints.bootstrap import Services, bootstrap
from tests.support.settings import make_settings
from tests.support.wiring import fake_services


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest) -> str | None:
    """None for the in-memory fakes, else a database URL (its fixtures are set up outside the event loop)."""
    if request.param == "memory":
        return None
    url: str = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    return url


@pytest.fixture
async def backend(store_url: str | None, tmp_path: Path) -> AsyncIterator[Services]:
    """The services on the fakes, on SQLite or on PostgreSQL."""
    if store_url is None:
        wired = fake_services(make_settings(tmp_path / "var"))
    else:
        wired = bootstrap(make_settings(tmp_path / "var", database_url=store_url))
    yield wired
    await wired.aclose()
