"""The import on real servers: a Dramatiq worker, a killed worker, and progress seen by another API process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from adapters.dramatiq.broker import PatientAsyncIO
from adapters.dramatiq.imports import IMPORT_QUEUE, DramatiqImportQueue
from adapters.sql.tables import books
from adapters.sql.uow import SqlUowFactory
from application.imports.start import StartImport
from domain.identity import Role
from domain.imports import ImportProgress, ImportStatus
from entrypoints.bootstrap import Services, bootstrap
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from entrypoints.worker.lifecycle import serve_actors
from tests.support.builders import add_user
from tests.support.http import API, session_for
from tests.support.imports import HEADER, book_rows, stream
from tests.support.settings import make_settings

pytestmark = [pytest.mark.postgres, pytest.mark.valkey]


@pytest.fixture
def shared_settings(pg_url: str, valkey_url: str, valkey_prefix: str, tmp_path: Path) -> Settings:
    """What every process of one deployment shares: PostgreSQL, Valkey and the key prefix."""
    return make_settings(
        tmp_path / "var", database_url=pg_url, valkey_url=valkey_url, valkey_prefix=valkey_prefix, import_batch_size=200
    )


def csv_data(rows: int) -> bytes:
    return ("\n".join([HEADER, *book_rows(rows)]) + "\n").encode()


async def count_books(services: Services) -> tuple[int, int]:
    """How many books, and how many distinct titles (equal unless something was duplicated)."""
    factory = services.uow
    assert isinstance(factory, SqlUowFactory)
    async with factory.engine.connect() as conn:
        total = (await conn.execute(select(func.count()).select_from(books))).scalar_one()
        distinct = (await conn.execute(select(func.count(books.c.title.distinct())))).scalar_one()
    return total, distinct


async def test_a_dramatiq_worker_runs_an_uploaded_import(shared_settings: Settings) -> None:
    broker = StubBroker()
    broker.add_middleware(PatientAsyncIO())
    serve_actors(broker, lambda: bootstrap(shared_settings), relay_interval=shared_settings.relay_interval)
    api = bootstrap(shared_settings, import_queue=DramatiqImportQueue(broker))
    worker = dramatiq.Worker(broker, worker_timeout=50)
    worker.start()
    try:
        started = await api.imports.start(StartImport("w.csv", stream(csv_data(500), 4096)))
        await asyncio.to_thread(broker.join, IMPORT_QUEUE, fail_fast=True)
        await asyncio.to_thread(worker.join)
        progress = await api.imports.get(started.id)
        assert progress.status is ImportStatus.COMPLETED
        assert (progress.created, progress.failed_rows, progress.processed_rows) == (500, 0, 500)
        assert await count_books(api) == (500, 500)
    finally:
        await asyncio.to_thread(worker.stop)
        await api.aclose()


class _Recorder:
    """An import queue that only remembers: the test runs the import itself, step by step."""

    def __init__(self) -> None:
        self.ids: list[Any] = []

    async def enqueue(self, import_id: Any) -> None:
        self.ids.append(import_id)


@pytest.fixture
async def two_apps(shared_settings: Settings) -> AsyncIterator[tuple[Services, AsyncTestClient[Any], Services]]:
    first = bootstrap(shared_settings, import_queue=_Recorder())
    second = bootstrap(shared_settings, import_queue=_Recorder())
    async with AsyncTestClient(app=create_app(second)) as client:
        yield first, client, second
    await first.aclose()


async def test_status_is_read_from_a_second_app_instance_while_the_import_runs(
    two_apps: tuple[Services, AsyncTestClient[Any], Services],
) -> None:
    first, client, _second = two_apps
    admin = await add_user(first, role=Role.ADMIN)  # `second` serves the client on its own loop
    headers = await session_for(client, admin.email)
    started = await first.imports.start(StartImport("live.csv", stream(csv_data(1000), 8192)))
    seen: list[dict[str, Any]] = []

    async def look(_: ImportProgress) -> None:
        response = await client.get(f"{API}/books/import/{started.id}", headers=headers)
        assert response.status_code == 200
        seen.append(response.json())

    await first.imports.run(started.id, on_progress=look)
    running = [body for body in seen if body["status"] == "running"]
    assert [body["processed_rows"] for body in running] == [200, 400, 600, 800, 1000]
    assert all(body["total_rows"] == 1000 for body in seen)
    assert seen[-1]["status"] == "completed"
    assert seen[-1]["created"] == 1000


_WORKER = """
import asyncio, sys
from uuid import UUID
from entrypoints.bootstrap import bootstrap
from entrypoints.settings import load_settings

async def main():
    await bootstrap(load_settings()).imports.run(UUID(sys.argv[1]))

asyncio.run(main())
"""


async def test_a_worker_killed_mid_import_leaves_a_failed_status_and_no_duplicates(
    shared_settings: Settings, pg_url: str, valkey_url: str, valkey_prefix: str
) -> None:
    env = os.environ | {
        "FOLIO_DATABASE_URL": pg_url,
        "FOLIO_VALKEY_URL": valkey_url,
        "FOLIO_VALKEY_PREFIX": valkey_prefix,
        "FOLIO_JWT_SECRET": shared_settings.jwt_secret,
        "FOLIO_ALLOWED_HOSTS": "*",
        "FOLIO_CORS_ORIGINS": "",
        "FOLIO_IMPORT_BATCH_SIZE": "100",
        "FOLIO_IMPORT_LEASE_SECONDS": "2",
    }
    api = bootstrap(
        make_settings(
            shared_settings.var_dir,
            database_url=pg_url,
            valkey_url=valkey_url,
            valkey_prefix=valkey_prefix,
            import_lease_seconds=2,
        ),
        import_queue=_Recorder(),
    )
    data = csv_data(20_000)
    started = await api.imports.start(StartImport("kill.csv", stream(data, 65536)))
    worker = subprocess.Popen([sys.executable, "-c", _WORKER, str(started.id)], env=env, cwd=os.getcwd())  # noqa: ASYNC220
    try:
        for _ in range(600):
            progress = await api.imports.get(started.id)
            if progress.processed_rows >= 500:
                break
            await asyncio.sleep(0.05)
        assert progress.status is ImportStatus.RUNNING
        worker.send_signal(signal.SIGKILL)
        await asyncio.to_thread(worker.wait, 10)
    finally:
        worker.kill()
    stopped = await api.imports.get(started.id)
    assert stopped.status is ImportStatus.RUNNING  # the lease has not run out yet
    assert stopped.processed_rows < 20_000
    await asyncio.sleep(2.5)
    seen = await api.imports.get(started.id)
    assert seen.status is ImportStatus.FAILED
    assert seen.reason is not None
    assert "stopped" in seen.reason
    # Redelivery of the message: the failure is recorded for good, nothing is imported twice.
    final = await api.imports.run(started.id)
    assert final is not None
    assert final.status is ImportStatus.FAILED
    total, distinct = await count_books(api)
    assert total == distinct
    assert stopped.created <= total < 20_000
    # Importing the file again finishes the job: rows with an ISBN update, the others are duplicates.
    again = await api.imports.start(StartImport("kill.csv", stream(data, 65536)))
    done = await api.imports.run(again.id)
    assert done is not None
    assert done.status is ImportStatus.COMPLETED
    assert await count_books(api) == (20_000, 20_000)
    # The first run wrote the first `total` rows; every other row of them (odd ones) has no ISBN.
    assert (done.updated, done.failed_rows, done.created) == ((total + 1) // 2, total // 2, 20_000 - total)
    await api.aclose()
