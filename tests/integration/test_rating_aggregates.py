"""Rating figures on `books` against the live reviews, on SQLite and PostgreSQL, sequential and concurrent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from adapters.sql.tables import books
from adapters.sql.uow import SqlUnitOfWork
from application.reviews.create_review import CreateReview
from domain.identity import User
from domain.reviews import AlreadyReviewed
from entrypoints.bootstrap import Services, bootstrap
from tests.support.builders import add_book, add_user
from tests.support.settings import make_settings
from tests.support.shelf import Op, finish, play, stored_and_recomputed

OPS = st.lists(
    st.tuples(st.integers(0, 2), st.sampled_from(["create", "update", "delete", "moderate"]), st.integers(1, 5)),
    max_size=15,
)


async def _columns(services: Services, book_id: UUID) -> dict[str, Any]:
    async with services.uow(read_only=True) as uow:
        assert isinstance(uow, SqlUnitOfWork)
        query = select(books.c.review_count, books.c.average_rating).where(books.c.id == book_id)
        return dict((await uow.connection.execute(query)).mappings().one())


def _average(counts: tuple[int, ...]) -> Decimal | None:
    total = sum(counts)
    if not total:
        return None
    return Decimal(str(round(sum(s * n for s, n in enumerate(counts, start=1)) / total, 2)))


@pytest.fixture
async def readers(services: Services) -> list[User]:
    return [await add_user(services) for _ in range(3)]


@settings(max_examples=25)
@given(ops=OPS)
async def test_stored_figures_equal_those_of_the_live_reviews(
    services: Services, readers: list[User], ops: list[Op]
) -> None:
    book = await add_book(services)
    for user in readers:
        await finish(services, user.id, book.id)
    live = await play(services, readers, book.id, ops)
    stored, recomputed = await stored_and_recomputed(services, book.id)
    assert stored == recomputed
    assert sum(stored) == len(live)
    columns = await _columns(services, book.id)
    assert columns["review_count"] == len(live)
    assert columns["average_rating"] == _average(recomputed)


@pytest.fixture
async def pg_services(pg_url: str, tmp_path: Path) -> AsyncIterator[Services]:
    wired = bootstrap(make_settings(tmp_path / "var", database_url=pg_url, db_pool_size=20))
    yield wired
    await wired.aclose()


@pytest.mark.postgres
async def test_fifty_readers_reviewing_one_book_at_once_all_count(pg_services: Services) -> None:
    book = await add_book(pg_services)
    users = [await add_user(pg_services) for _ in range(50)]
    for user in users:
        await finish(pg_services, user.id, book.id)
    ratings = [1 + i % 5 for i in range(50)]
    ratings[:7] = [5] * 7  # an average that is not a round number
    await asyncio.gather(
        *(pg_services.reviews.create(CreateReview(u.id, book.id, r)) for u, r in zip(users, ratings, strict=True))
    )
    stored, recomputed = await stored_and_recomputed(pg_services, book.id)
    assert sum(stored) == 50
    assert stored == recomputed
    columns = await _columns(pg_services, book.id)
    assert columns["review_count"] == 50
    assert columns["average_rating"] == Decimal(str(round(sum(ratings) / 50, 2)))


@pytest.mark.postgres
async def test_the_same_reader_racing_themselves_gets_one_review(pg_services: Services) -> None:
    book = await add_book(pg_services)
    user = await add_user(pg_services)
    await finish(pg_services, user.id, book.id)
    results = await asyncio.gather(
        *(pg_services.reviews.create(CreateReview(user.id, book.id, 4)) for _ in range(8)), return_exceptions=True
    )
    assert sum(1 for r in results if not isinstance(r, BaseException)) == 1
    assert all(isinstance(r, AlreadyReviewed) for r in results if isinstance(r, BaseException))
    stored, _ = await stored_and_recomputed(pg_services, book.id)
    assert stored == (0, 0, 0, 1, 0)
