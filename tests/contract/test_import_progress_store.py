"""One contract for every ImportProgressStore: in memory and in Valkey."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from adapters.memory.imports import MemoryImportProgressStore
from adapters.valkey.client import make_client
from adapters.valkey.imports import TTL_SECONDS, ValkeyImportProgressStore
from application.ports.imports import ImportProgressStore
from domain.imports import MAX_REPORTED_ERRORS, ImportProgress, ImportStatus, RowError

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture(params=["memory", "valkey"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[ImportProgressStore]:
    if request.param == "memory":
        yield MemoryImportProgressStore()
        return
    client = make_client(request.getfixturevalue("valkey_url"))
    yield ValkeyImportProgressStore(client, request.getfixturevalue("valkey_prefix"))
    await client.aclose()


async def test_an_unknown_import_has_no_record(store: ImportProgressStore) -> None:
    assert await store.get(uuid4()) is None


async def test_a_saved_record_reads_back_whole(store: ImportProgressStore) -> None:
    progress = ImportProgress(uuid4(), "books.csv", T0, total_rows=3)
    progress.start(T0 + timedelta(seconds=1))
    progress.rows_failed([RowError(2, "price: must be a decimal number")])
    progress.rows_written(created=1, updated=1, now=T0 + timedelta(seconds=2))
    progress.complete(T0 + timedelta(seconds=3))
    await store.save(progress)
    found = await store.get(progress.id)
    assert found is not None
    assert found is not progress
    assert (found.id, found.filename, found.status, found.total_rows) == (progress.id, "books.csv", "completed", 3)
    assert (found.processed_rows, found.created, found.updated, found.failed_rows) == (3, 1, 1, 1)
    assert found.errors == [RowError(2, "price: must be a decimal number")]
    assert (found.started_at, found.finished_at) == (T0 + timedelta(seconds=1), T0 + timedelta(seconds=3))
    assert found.status is ImportStatus.COMPLETED


async def test_saving_again_replaces_the_record_and_a_copy_never_changes_it(store: ImportProgressStore) -> None:
    progress = ImportProgress(uuid4(), "a.csv", T0)
    await store.save(progress)
    progress.start(T0)
    first = await store.get(progress.id)
    assert first is not None
    assert first.status is ImportStatus.PENDING
    await store.save(progress)
    first.fail("changed on the copy", T0)
    again = await store.get(progress.id)
    assert again is not None
    assert again.status is ImportStatus.RUNNING
    assert again.reason is None
    again.rows_failed([RowError(2, "added to the copy")])
    progress.rows_failed([RowError(3, "added to the original")])
    stored = await store.get(progress.id)
    assert stored is not None
    assert stored.errors == []


async def test_at_most_a_thousand_errors_are_kept(store: ImportProgressStore) -> None:
    progress = ImportProgress(uuid4(), "a.csv", T0)
    progress.rows_failed([RowError(n, "bad") for n in range(2, 1502)])
    await store.save(progress)
    found = await store.get(progress.id)
    assert found is not None
    assert found.failed_rows == 1500
    assert len(found.errors) == MAX_REPORTED_ERRORS


@pytest.mark.valkey
async def test_valkey_records_expire_after_seven_days(valkey_url: str, valkey_prefix: str) -> None:
    client = make_client(valkey_url)
    try:
        progress = ImportProgress(uuid4(), "a.csv", T0)
        await ValkeyImportProgressStore(client, valkey_prefix).save(progress)
        ttl = await client.ttl(f"{valkey_prefix}import:{progress.id}")
        assert TTL_SECONDS - 5 <= ttl <= TTL_SECONDS == 7 * 24 * 3600
    finally:
        await client.delete(f"{valkey_prefix}import:{progress.id}")
        await client.aclose()
