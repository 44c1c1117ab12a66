"""Concurrent changes to one reader's reads on PostgreSQL: the entry's row lock serialises them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from application.journal.reads import AddRead
from application.shelf.add_to_shelf import AddToShelf
from domain.journal import ReadAlreadyOpen
from domain.shelf import ShelfStatus
from entrypoints.bootstrap import Services, bootstrap
from tests.support.builders import add_book, add_user
from tests.support.settings import make_settings


@pytest.fixture
async def pg_services(pg_url: str, tmp_path: Path) -> AsyncIterator[Services]:
    wired = bootstrap(make_settings(tmp_path / "var", database_url=pg_url))
    yield wired
    await wired.aclose()


async def test_racing_reads_keep_one_open_and_count_every_finish(pg_services: Services) -> None:
    s = pg_services
    user = await add_user(s)
    book = await add_book(s)
    await s.shelf.add(AddToShelf(user.id, book.id, ShelfStatus.COMPLETED))
    today = datetime.now(UTC).date()
    finishes = [s.journal.add_read(AddRead(user.id, book.id, finished_on=today)) for _ in range(4)]
    opens = [s.journal.add_read(AddRead(user.id, book.id)) for _ in range(4)]
    outcomes = await asyncio.gather(*finishes, *opens, return_exceptions=True)
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(refused) == 3
    assert all(isinstance(o, ReadAlreadyOpen) for o in refused)
    reads, total = await s.journal.reads_of(user.id, book.id, limit=100)
    assert total == 1 + 4 + 1  # the one COMPLETED made, four finished, one open
    assert sum(read.is_open for read in reads) == 1
    [item], _ = await s.shelf.page(user.id)
    assert item.entry.read_count == sum(read.is_finished for read in reads) == 5
