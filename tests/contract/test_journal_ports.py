"""The reading journal's stores (entries with their reads, goals, stats queries) on the fakes, SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from application.ports.journal import TOP_AUTHORS, Period
from application.ports.shelf import ShelfSort
from domain.catalog import Book, Genre
from domain.journal import Goal, Progress, Read, ReadAlreadyOpen
from domain.reviews import Review
from domain.shelf import ShelfEntry, ShelfStatus
from entrypoints.bootstrap import Services
from tests.support.builders import a_book, add_books, add_genre, add_user

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@dataclass
class Generated:
    user_id: UUID
    books: dict[UUID, Book]
    entries: list[ShelfEntry]
    ratings: dict[UUID, int]


async def _generate(backend: Services, seed: int, *, books: int = 40) -> Generated:
    """A reader's shelf over four years: re-reads, stopped reads, open ones, books with and without pages or genre."""
    rng = random.Random(seed)
    user = await add_user(backend)
    genres: list[Genre | None] = [await add_genre(backend, f"Genre {seed}-{n}") for n in range(3)] + [None]
    authors = [f"Author {seed}-{n}" for n in range(12)]
    catalog = [
        a_book(author=rng.choice(authors), genre=rng.choice(genres), pages=rng.choice([None, 120, 333, 501]))
        for _ in range(books)
    ]
    await add_books(backend, *catalog)
    entries, ratings = [], {}
    day0 = date(2023, 1, 1)
    for book in catalog:
        entry = ShelfEntry.place(user.id, book.id, ShelfStatus.WISHLIST, now=NOW, read_id=uuid4())
        for _ in range(rng.randint(0, 4)):
            start = day0 + timedelta(days=rng.randint(0, 1400))
            end = start + timedelta(days=rng.randint(0, 40))
            entry.add_read(uuid4(), started_on=start, finished_on=end if end <= NOW.date() else None, now=NOW)
        if entry.reads and rng.random() < 0.3:  # some reads were dropped instead
            read = entry.reads[0]
            day = read.finished_on or read.started_on
            entry.revise_read(read.id, started_on=read.started_on, finished_on=None, stopped_on=day, now=NOW)
        if rng.random() < 0.25:  # an imported Read Count beyond the file's dates: undated finishes
            for _ in range(rng.randint(1, 2)):
                entry.reads.append(Read.undated(uuid4(), user.id, book.id, NOW))
                entry.read_count += 1
        if rng.random() < 0.3:
            entry.keep_text(f"Notes {rng.randint(0, 99)}", now=NOW)
        if entry.open_read is None and rng.random() < 0.3:
            entry.log_progress(page=None, percent=rng.randint(0, 100), pages=book.pages, now=NOW, read_id=uuid4())
        entries.append(entry)
        if entry.read_count and rng.random() < 0.6:
            ratings[book.id] = rng.randint(1, 5)
    async with backend.uow() as uow:
        for entry in entries:
            await uow.shelf.add(entry)
        for book_id, stars in ratings.items():
            review = Review.write(uuid4(), book_id=book_id, user_id=user.id, rating=stars, text=None,
                                  verified_purchase=False, now=NOW)  # fmt: skip
            await uow.reviews.add(review)
        await uow.commit()
    return Generated(user.id, {book.id: book for book in catalog}, entries, ratings)


def _expected(data: Generated, year: int | None) -> dict[str, object]:
    """The figures, computed by hand from what was generated."""

    def within(day: date | None) -> bool:
        return day is not None and (year is None or day.year == year)

    finished = [
        read
        for entry in data.entries
        for read in entry.reads
        if within(read.finished_on) or (year is None and read.finished_undated)  # undated: all time, no year
    ]
    stopped = [read for entry in data.entries for read in entry.reads if within(read.stopped_on)]
    books = [data.books[read.book_id] for read in finished]
    rated = [data.ratings[b] for b in {read.book_id for read in finished} if b in data.ratings]
    authors = Counter(book.author for book in books)
    genres = Counter(book.genre.name for book in books if book.genre)
    return {
        "books_finished": len(finished),
        "pages_finished": sum(book.pages or 0 for book in books),
        "average_rating": round(sum(rated) / len(rated), 2) if rated else None,
        "by_month": None
        if year is None
        else {f"{m:02d}": sum(1 for r in finished if r.finished_on and r.finished_on.month == m) for m in range(1, 13)},
        "by_genre": sorted(genres.items(), key=lambda g: (-g[1], g[0])),
        "top_authors": sorted(authors.items(), key=lambda a: (-a[1], a[0]))[:TOP_AUTHORS],
        "did_not_finish": len(stopped),
    }


def _reads(entry: ShelfEntry) -> list[tuple[object, ...]]:
    return sorted(
        (str(r.id), r.started_on, r.finished_on, r.stopped_on, r.finished_undated, r.progress) for r in entry.reads
    )


@pytest.mark.parametrize("seed", [1, 2])
async def test_stats_equal_the_figures_computed_by_hand(backend: Services, seed: int) -> None:
    data = await _generate(backend, seed)
    await _generate(backend, seed + 100, books=10)  # another reader's reads never count
    async with backend.uow(read_only=True) as uow:
        for year in (None, 2023, 2024, 2025, 2026, 2019):
            stats = await uow.journal.stats(data.user_id, Period.year(year), year=year)
            got = {
                "books_finished": stats.books_finished,
                "pages_finished": stats.pages_finished,
                "average_rating": stats.average_rating,
                "by_month": stats.by_month,
                "by_genre": stats.by_genre,
                "top_authors": stats.top_authors,
                "did_not_finish": stats.did_not_finish,
            }
            assert got == _expected(data, year), year
            assert stats.year == year
            count = await uow.journal.finished_count(data.user_id, Period.year(year))
            assert count == stats.books_finished


async def test_finished_books_are_each_listed_once_last_finished_first(backend: Services) -> None:
    data = await _generate(backend, 7)
    for _ in range(2):  # other accounts: a book is still listed once (no row per user)
        await add_user(backend)
    last: dict[UUID, date] = {}
    for entry in data.entries:
        for read in entry.reads:
            if read.finished_on is not None and read.finished_on.year == 2025:
                last[read.book_id] = max(last.get(read.book_id, read.finished_on), read.finished_on)
    expected = sorted(last, key=lambda b: (-last[b].toordinal(), str(b)))
    async with backend.uow(read_only=True) as uow:
        books = await uow.journal.finished_books(data.user_id, Period.year(2025))
    assert [book.id for book in books] == expected
    assert all(book.title == data.books[book.id].title for book in books)


async def test_an_entry_comes_back_with_its_reads_and_listings_come_without(backend: Services) -> None:
    data = await _generate(backend, 3, books=12)
    async with backend.uow(read_only=True) as uow:
        for entry in data.entries:
            stored = await uow.shelf.get(data.user_id, entry.book_id)
            assert stored is not None
            assert (stored.status, stored.read_count, stored.progress, stored.owned, stored.review_text) == (
                entry.status, entry.read_count, entry.progress, entry.owned, entry.review_text,
            )  # fmt: skip
            assert _reads(stored) == _reads(entry)
            for read in entry.reads:
                owner = await uow.shelf.of_read(read.id)
                assert owner is not None
                assert owner.book_id == entry.book_id
        listed, total = await uow.shelf.page(data.user_id, status=None, sort=ShelfSort.TITLE, limit=100, offset=0)
    assert total == len(data.entries)
    assert [item.book.id for item in listed] == [
        b.id for b in sorted(data.books.values(), key=lambda b: (b.title.lower(), b.author.lower(), str(b.id)))
    ]
    by_book = {entry.book_id: entry for entry in data.entries}
    for item in listed:
        entry, generated = item.entry, by_book[item.entry.book_id]
        assert not entry.reads_loaded
        assert (entry.read_count, entry.progress, entry.review_text) == (
            generated.read_count, generated.progress, generated.review_text,
        )  # fmt: skip
        assert (item.book.title, item.book.genre) == (data.books[entry.book_id].title, data.books[entry.book_id].genre)
        assert (item.review.rating if item.review else None) == data.ratings.get(entry.book_id)
    async with backend.uow(read_only=True) as uow:
        best, _ = await uow.shelf.page(data.user_id, status=None, sort=ShelfSort.RATING, limit=100, offset=0)
        beyond, total = await uow.shelf.page(data.user_id, status=None, sort=ShelfSort.RATING, limit=5, offset=100)
    stars = [item.review.rating if item.review else 0 for item in best]
    assert stars == sorted(stars, reverse=True)
    assert (list(beyond), total) == ([], len(data.entries))


async def test_the_store_refuses_a_second_open_read_and_reads_go_with_their_entry(backend: Services) -> None:
    user = await add_user(backend)
    [book] = await add_books(backend, a_book(pages=100))
    entry = ShelfEntry.place(user.id, book.id, ShelfStatus.READING, now=NOW, read_id=uuid4())
    entry.reads.append(Read.undated(uuid4(), user.id, book.id, NOW))  # finished, so not a second open read
    entry.read_count += 1
    async with backend.uow() as uow:
        await uow.shelf.add(entry)
        await uow.commit()
    async with backend.uow() as uow:
        stored = await uow.shelf.get(user.id, book.id, lock=True)
        assert stored is not None
        assert [read.finished_undated for read in stored.newest_reads()] == [False, True]
        sneaked = ShelfEntry.place(user.id, book.id, ShelfStatus.READING, now=NOW, read_id=uuid4()).reads[0]
        stored.reads.append(sneaked)  # no domain check here: the store itself must refuse it
        with pytest.raises(ReadAlreadyOpen):
            await uow.shelf.update(stored)
    async with backend.uow() as uow:
        stored = await uow.shelf.get(user.id, book.id)
        assert stored is not None
        assert len(stored.reads) == 2
        stored.log_progress(page=40, percent=None, pages=100, now=NOW, read_id=uuid4())
        stored.move_to(ShelfStatus.COMPLETED, now=NOW, read_id=uuid4())
        await uow.shelf.update(stored)
        await uow.commit()
    async with backend.uow(read_only=True) as uow:
        done = await uow.shelf.get(user.id, book.id)
        assert done is not None
        [finished] = [read for read in done.reads if not read.finished_undated]
        assert (done.read_count, done.progress, finished.progress) == (2, None, Progress(40, 40.0, NOW))
    read_id = finished.id
    async with backend.uow() as uow:
        await uow.shelf.delete(user.id, book.id)
        await uow.commit()
    async with backend.uow(read_only=True) as uow:
        assert await uow.shelf.of_read(read_id) is None
        assert await uow.journal.finished_count(user.id, Period()) == 0


async def test_goals_are_one_per_user_and_year(backend: Services) -> None:
    user, other = await add_user(backend), await add_user(backend)
    async with backend.uow() as uow:
        await uow.goals.put(Goal.set(user.id, 2026, 10, existing=None, now=NOW))
        await uow.goals.put(Goal.set(other.id, 2026, 3, existing=None, now=NOW))
        await uow.commit()
    async with backend.uow() as uow:
        goal = await uow.goals.get(user.id, 2026)
        assert goal is not None
        await uow.goals.put(Goal.set(user.id, 2026, 25, existing=goal, now=NOW + timedelta(days=1)))
        await uow.commit()
    async with backend.uow() as uow:
        changed = await uow.goals.get(user.id, 2026)
        assert changed is not None
        assert (changed.target, changed.created_at, changed.updated_at) == (25, NOW, NOW + timedelta(days=1))
        assert await uow.goals.get(user.id, 2025) is None
        assert await uow.goals.delete(user.id, 2026)
        assert not await uow.goals.delete(user.id, 2026)
        await uow.commit()
    async with backend.uow(read_only=True) as uow:
        kept = await uow.goals.get(other.id, 2026)
        assert kept is not None
        assert kept.target == 3
