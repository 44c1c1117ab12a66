"""The journal's use cases over in-memory fakes: reads, progress, goals and stats, their events, and owned."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from uuid import uuid4

import pytest

from application.commerce.cart import AddToCart
from application.commerce.checkout import Checkout
from application.events import event_handlers
from application.journal.goals import SetGoal
from application.journal.reads import AddRead, DeleteRead, LogProgress, ReviseRead
from application.ports.uow import UnitOfWork
from application.shelf.add_to_shelf import AddToShelf
from application.shelf.update_entry import UpdateShelfEntry
from domain.errors import InvalidField, NotFound
from domain.events import DomainEvent
from domain.journal import GoalSet, ReadAlreadyOpen, ReadFinished, ReadingProgressed
from domain.shelf import ShelfStatus
from entrypoints.bootstrap import Services
from entrypoints.settings import Settings
from tests.support.builders import add_book, add_user
from tests.support.clock import FakeClock
from tests.support.wiring import fake_services


@pytest.fixture
async def recorded(test_settings: Settings, clock: FakeClock) -> AsyncIterator[tuple[Services, list[DomainEvent]]]:
    """Services on the fakes, with the events the journal records collected as a handler would see them."""
    seen: list[DomainEvent] = []

    async def collect(uow: UnitOfWork, event: DomainEvent) -> None:
        seen.append(event)

    handlers = event_handlers() | {kind: [collect] for kind in (ReadingProgressed, ReadFinished, GoalSet)}
    services = fake_services(test_settings, handlers=handlers, clock=clock)
    yield services, seen
    await services.aclose()


async def test_progress_finish_and_goal_record_their_events_at_commit(
    recorded: tuple[Services, list[DomainEvent]], clock: FakeClock
) -> None:
    s, seen = recorded
    user = await add_user(s)
    book = await add_book(s, pages=200)
    await s.shelf.add(AddToShelf(user.id, book.id))
    item = await s.journal.log_progress(LogProgress(user.id, book.id, page=50))
    assert (item.entry.status, item.entry.progress.percent) == (ShelfStatus.READING, 25.0)  # type: ignore[union-attr]
    [read] = (await s.journal.reads_of(user.id, book.id))[0]
    assert seen == [ReadingProgressed(user.id, book.id, clock.now(), read.id, 50, 25.0)]
    await s.shelf.update(UpdateShelfEntry(user.id, book.id, ShelfStatus.COMPLETED))
    assert seen[-1] == ReadFinished(user.id, book.id, clock.now(), read.id, clock.now().date())
    view = await s.journal.set_goal(SetGoal(user.id, clock.now().year, 5))
    assert seen[-1] == GoalSet(user.id, clock.now(), clock.now().year, 5)
    assert (view.standing.completed, [b.id for b in view.books]) == (1, [book.id])
    with pytest.raises(InvalidField):
        await s.journal.set_goal(SetGoal(user.id, clock.now().year, 0))
    assert len(seen) == 3  # a refused change records nothing


async def test_a_failed_change_leaves_the_reads_as_they_were(memory_services: Services, clock: FakeClock) -> None:
    s = memory_services
    user = await add_user(s)
    book = await add_book(s, pages=100)
    await s.shelf.add(AddToShelf(user.id, book.id, ShelfStatus.READING))
    with pytest.raises(ReadAlreadyOpen):
        await s.journal.add_read(AddRead(user.id, book.id, started_on=date(2025, 1, 1)))
    with pytest.raises(InvalidField):
        await s.journal.log_progress(LogProgress(user.id, book.id, page=101))
    tomorrow = clock.now().date() + timedelta(days=1)
    [read], total = await s.journal.reads_of(user.id, book.id)
    with pytest.raises(InvalidField):
        await s.journal.revise_read(ReviseRead(user.id, read.id, finished_on=tomorrow, sent=frozenset({"finished_on"})))
    assert total == 1
    assert (await s.journal.read(user.id, read.id)).finished_on is None
    past = await s.journal.add_read(AddRead(user.id, book.id, date(2024, 1, 1), date(2024, 2, 1)))
    moved = await s.journal.revise_read(ReviseRead(user.id, past.id, started_on=None, sent=frozenset({"started_on"})))
    assert (moved.started_on, moved.finished_on) == (None, date(2024, 2, 1))  # what was not sent stays
    await s.journal.delete_read(DeleteRead(user.id, past.id))
    [entry], _ = await s.shelf.page(user.id)
    assert entry.entry.read_count == 0


async def test_someone_elses_reads_and_books_off_the_shelf_are_not_found(memory_services: Services) -> None:
    s = memory_services
    owner, other = await add_user(s), await add_user(s)
    book = await add_book(s)
    await s.shelf.add(AddToShelf(owner.id, book.id, ShelfStatus.READING))
    [read], _ = await s.journal.reads_of(owner.id, book.id)
    for attempt in (
        s.journal.read(other.id, read.id),
        s.journal.delete_read(DeleteRead(other.id, read.id)),
        s.journal.revise_read(ReviseRead(other.id, read.id)),
        s.journal.reads_of(other.id, book.id),
        s.journal.log_progress(LogProgress(other.id, book.id, percent=5)),
        s.journal.add_read(AddRead(other.id, book.id)),
        s.journal.read(owner.id, uuid4()),
        s.journal.goal(owner.id, 2026),
        s.journal.delete_goal(owner.id, 2026),
    ):
        with pytest.raises(NotFound):
            await attempt


async def test_a_checkout_marks_the_shelved_books_owned_in_its_transaction(memory_services: Services) -> None:
    s = memory_services
    user = await add_user(s)
    shelved, other = await add_book(s, stock=2), await add_book(s, stock=2)
    await s.shelf.add(AddToShelf(user.id, shelved.id))
    await s.commerce.add_to_cart(AddToCart(user.id, shelved.id, 1))
    await s.commerce.add_to_cart(AddToCart(user.id, other.id, 1))
    await s.commerce.checkout(Checkout(user.id))
    [item], _ = await s.shelf.page(user.id)
    assert item.entry.owned
    assert (await s.shelf.add(AddToShelf(user.id, other.id))).entry.owned
    assert not (await s.shelf.add(AddToShelf(user.id, (await add_book(s)).id))).entry.owned


async def test_stats_count_the_year_asked_for(memory_services: Services, clock: FakeClock) -> None:
    s = memory_services
    user = await add_user(s)
    books = [await add_book(s, pages=100 * (n + 1), author="Ann" if n else "Bo") for n in range(3)]
    for book in books:
        await s.shelf.add(AddToShelf(user.id, book.id, ShelfStatus.COMPLETED))  # finished "today", 2026-01-01
    await s.journal.add_read(AddRead(user.id, books[0].id, finished_on=date(2025, 12, 31)))
    stats = await s.journal.stats(user.id, 2026)
    assert (stats.books_finished, stats.pages_finished, stats.top_authors) == (3, 600, [("Ann", 2), ("Bo", 1)])
    assert stats.by_month is not None
    assert stats.by_month["01"] == 3
    assert (await s.journal.stats(user.id)).books_finished == 4
    with pytest.raises(InvalidField):
        await s.journal.stats(user.id, 3000)
