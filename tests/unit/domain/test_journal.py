"""The reading journal's rules: status moves and reads, dates, progress, goals."""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import DomainError, InvalidField, NotFound
from domain.journal import Goal, GoalSet, Progress, Read, ReadAlreadyOpen, ReadFinished, ReadingProgressed
from domain.library import LibraryRow, ReadDates, apply_to_entry
from domain.shelf import ShelfEntry, ShelfStatus

NOW = datetime(2026, 6, 15, 23, 30, tzinfo=UTC)
TODAY = date(2026, 6, 15)


def _entry(status: ShelfStatus = ShelfStatus.WISHLIST, *, now: datetime = NOW) -> ShelfEntry:
    return ShelfEntry.place(uuid4(), uuid4(), status, now=now, read_id=uuid4())


def _move(entry: ShelfEntry, status: ShelfStatus, now: datetime = NOW) -> None:
    entry.move_to(status, now=now, read_id=uuid4())


def test_reading_opens_a_read_today_pausing_keeps_it_and_completing_finishes_it() -> None:
    entry = _entry()
    assert entry.reads == []
    _move(entry, ShelfStatus.READING)
    (read,) = entry.reads
    assert (read.started_on, read.is_open) == (TODAY, True)
    _move(entry, ShelfStatus.PAUSED)
    _move(entry, ShelfStatus.READING)
    assert entry.reads == [read]
    _move(entry, ShelfStatus.COMPLETED)
    assert (read.finished_on, entry.read_count, entry.open_read) == (TODAY, 1, None)
    assert [type(e) for e in entry.events if isinstance(e, ReadFinished | ReadingProgressed)] == [ReadFinished]


def test_a_re_read_is_a_second_read_and_counts_when_finished() -> None:
    entry = _entry(ShelfStatus.COMPLETED)
    assert entry.read_count == 1
    assert entry.reads[0].started_on is None
    later = NOW + timedelta(days=3)
    _move(entry, ShelfStatus.READING, later)
    assert len(entry.reads) == 2
    assert entry.open_read is not None
    assert entry.open_read.started_on == date(2026, 6, 18)
    assert entry.is_completed  # finished once: still may review it
    _move(entry, ShelfStatus.COMPLETED, later)
    assert entry.read_count == 2


def test_did_not_finish_stops_the_open_read_or_records_a_stopped_one() -> None:
    entry = _entry(ShelfStatus.READING)
    _move(entry, ShelfStatus.DID_NOT_FINISH)
    assert (entry.reads[0].stopped_on, entry.reads[0].finished_on, entry.read_count) == (TODAY, None, 0)
    dropped = _entry(ShelfStatus.DID_NOT_FINISH)
    assert [(r.started_on, r.stopped_on) for r in dropped.reads] == [(None, TODAY)]


def test_the_day_is_the_readers_day_in_utc() -> None:
    late = NOW.astimezone(ZoneInfo("Asia/Tokyo"))
    entry = _entry(ShelfStatus.READING, now=late)  # 08:30 on the 16th in Tokyo, still the 15th in UTC
    assert entry.reads[0].started_on == TODAY
    with pytest.raises(InvalidField) as caught:
        entry.add_read(uuid4(), started_on=None, finished_on=date(2026, 6, 16), now=late)
    assert caught.value.field == "finished_on"


@pytest.mark.parametrize(
    ("started_on", "finished_on", "field"),
    [
        (TODAY + timedelta(days=1), None, "started_on"),
        (None, TODAY + timedelta(days=1), "finished_on"),
        (date(2026, 3, 2), date(2026, 3, 1), "finished_on"),
    ],
)
def test_hand_entered_dates_are_never_in_the_future_nor_finished_before_started(
    started_on: date | None, finished_on: date | None, field: str
) -> None:
    entry = _entry()
    with pytest.raises(InvalidField) as caught:
        entry.add_read(uuid4(), started_on=started_on, finished_on=finished_on, now=NOW)
    assert caught.value.field == field
    assert entry.reads == []


def test_past_reads_and_re_reads_by_hand() -> None:
    entry = _entry(ShelfStatus.COMPLETED)
    past = entry.add_read(uuid4(), started_on=date(2019, 1, 2), finished_on=date(2019, 2, 1), now=NOW)
    assert entry.read_count == 2
    assert not past.is_open
    again = entry.add_read(uuid4(), started_on=None, finished_on=None, now=NOW)
    assert (again.started_on, again.is_open) == (TODAY, True)
    with pytest.raises(ReadAlreadyOpen):
        entry.add_read(uuid4(), started_on=date(2026, 1, 1), finished_on=None, now=NOW)
    assert [r.id for r in entry.newest_reads()] == [again.id, entry.reads[0].id, past.id]


def test_revising_dates_finishes_stops_or_reopens_a_read() -> None:
    entry = _entry(ShelfStatus.READING)
    read = entry.reads[0]
    entry.revise_read(read.id, started_on=date(2026, 6, 1), finished_on=date(2026, 6, 10), stopped_on=None, now=NOW)
    assert (entry.read_count, read.is_finished) == (1, True)
    entry.revise_read(read.id, started_on=date(2026, 6, 1), finished_on=date(2026, 6, 12), stopped_on=None, now=NOW)
    assert entry.read_count == 1  # a new date for a finished read is not another finish
    assert sum(isinstance(e, ReadFinished) for e in entry.events) == 1
    entry.revise_read(read.id, started_on=date(2026, 6, 1), finished_on=None, stopped_on=date(2026, 6, 5), now=NOW)
    assert (entry.read_count, read.stopped_on) == (0, date(2026, 6, 5))
    with pytest.raises(InvalidField):
        entry.revise_read(read.id, started_on=None, finished_on=TODAY, stopped_on=TODAY, now=NOW)
    with pytest.raises(InvalidField):
        entry.revise_read(read.id, started_on=TODAY, finished_on=None, stopped_on=date(2026, 6, 5), now=NOW)
    other = entry.add_read(uuid4(), started_on=None, finished_on=None, now=NOW)
    with pytest.raises(ReadAlreadyOpen):  # reopening while another is open
        entry.revise_read(read.id, started_on=None, finished_on=None, stopped_on=None, now=NOW)
    entry.remove_read(other.id, now=NOW)
    with pytest.raises(NotFound):
        entry.read(other.id)


def test_progress_by_page_or_percent_never_finishes_the_book() -> None:
    entry = _entry()
    read = entry.log_progress(page=320, percent=None, pages=320, now=NOW, read_id=uuid4())
    assert entry.status is ShelfStatus.READING
    assert read.is_open
    assert entry.progress == Progress(320, 100.0, NOW)
    assert entry.read_count == 0
    entry.log_progress(page=None, percent=50, pages=320, now=NOW, read_id=uuid4())
    assert (entry.progress.page, entry.progress.percent) == (160, 50.0)  # type: ignore[union-attr]
    for page, percent, pages, field in (
        (321, None, 320, "page"),
        (None, 100.5, 320, "percent"),
        (None, -1, None, "percent"),
        (None, None, 10, "page"),
        (1, 1, 10, "page"),
    ):
        with pytest.raises(InvalidField) as caught:
            entry.log_progress(page=page, percent=percent, pages=pages, now=NOW, read_id=uuid4())
        assert caught.value.field == field
    assert entry.log_progress(page=5000, percent=None, pages=None, now=NOW, read_id=uuid4()).progress == Progress(
        5000, None, NOW
    )
    assert sum(isinstance(e, ReadingProgressed) for e in entry.events) == 3


def test_progress_on_a_paused_book_keeps_it_paused_and_finishing_clears_the_entrys_progress() -> None:
    entry = _entry(ShelfStatus.PAUSED)
    entry.log_progress(page=10, percent=None, pages=None, now=NOW, read_id=uuid4())
    assert entry.status is ShelfStatus.PAUSED
    _move(entry, ShelfStatus.COMPLETED)
    assert entry.progress is None
    assert entry.reads[0].progress is not None


def test_listed_entries_are_not_changed() -> None:
    entry = _entry()
    entry.reads_loaded = False
    with pytest.raises(RuntimeError):
        _move(entry, ShelfStatus.READING)


def test_goals_are_1_to_1000_and_expected_books_go_pro_rata_through_the_year() -> None:
    user_id = uuid4()
    for target in (0, 1001):
        with pytest.raises(InvalidField):
            Goal.set(user_id, 2026, target, existing=None, now=NOW)
    with pytest.raises(InvalidField):
        Goal.set(user_id, 1800, 10, existing=None, now=NOW)
    goal = Goal.set(user_id, 2026, 365, existing=None, now=NOW)
    assert goal.events == [GoalSet(user_id, NOW, 2026, 365)]
    assert goal.expected_by(date(2026, 1, 1)) == 1
    assert goal.expected_by(TODAY) == 166  # the 166th day
    assert goal.expected_by(date(2026, 12, 31)) == 365
    assert goal.expected_by(date(2025, 12, 31)) == 0
    assert goal.expected_by(date(2027, 1, 1)) == 365
    leap = Goal.set(user_id, 2028, 366, existing=None, now=NOW)
    assert leap.expected_by(date(2028, 2, 29)) == 60
    changed = Goal.set(user_id, 2026, 12, existing=goal, now=NOW)
    assert changed is goal
    assert goal.target == 12
    assert goal.created_at == NOW


def test_an_undated_finish_is_neither_open_nor_stopped_and_keeps_its_finish_until_dated_or_stopped() -> None:
    entry = _entry(ShelfStatus.COMPLETED)
    entry.reads.append(Read.undated(uuid4(), entry.user_id, entry.book_id, NOW))
    entry.read_count += 1
    undated = entry.reads[-1]
    assert (undated.is_open, undated.is_finished, undated.finished_on, entry.open_read) == (False, True, None, None)
    assert entry.newest_reads()[-1] is undated  # undated last
    _move(entry, ShelfStatus.READING)  # a re-read opens beside it
    assert entry.open_read is not None
    entry.revise_read(undated.id, started_on=date(2020, 1, 1), finished_on=None, stopped_on=None, now=NOW)
    assert (undated.is_finished, undated.started_on, entry.read_count) == (True, date(2020, 1, 1), 2)
    entry.revise_read(undated.id, started_on=None, finished_on=date(2020, 2, 1), stopped_on=None, now=NOW)
    assert (undated.finished_undated, undated.finished_on, entry.read_count) == (False, date(2020, 2, 1), 2)
    other = Read.undated(uuid4(), entry.user_id, entry.book_id, NOW)
    entry.reads.append(other)
    entry.read_count += 1
    entry.revise_read(other.id, started_on=None, finished_on=None, stopped_on=date(2020, 3, 1), now=NOW)
    assert (other.is_finished, other.stopped_on, entry.read_count) == (False, date(2020, 3, 1), 2)


# -- the invariants, under any sequence of moves and hand-entered reads ---------------------------------
DAYS = st.integers(0, 60).map(lambda n: TODAY - timedelta(days=n))
STEP = st.one_of(
    st.tuples(st.just("move"), st.sampled_from(list(ShelfStatus))),
    st.tuples(st.just("add"), st.one_of(st.none(), DAYS), st.one_of(st.none(), DAYS)),
    st.tuples(
        st.just("revise"),
        st.integers(0, 5),
        st.one_of(st.none(), DAYS),
        st.one_of(st.none(), DAYS),
        st.one_of(st.none(), DAYS),
    ),
    st.tuples(st.just("remove"), st.integers(0, 5)),
    st.tuples(st.just("progress"), st.integers(0, 400)),
    # an import of a row finished `count` times, the last on a day (or undated)
    st.tuples(st.just("import"), st.integers(0, 4), st.one_of(st.none(), DAYS)),
)


@given(start=st.sampled_from(list(ShelfStatus)), steps=st.lists(STEP, max_size=30))
def test_any_sequence_leaves_at_most_one_open_read_and_read_count_equal_to_finished_reads(
    start: ShelfStatus, steps: list[tuple[object, ...]]
) -> None:
    entry = _entry(start)
    for step in steps:
        kind, *args = step
        with suppress(DomainError):
            if kind == "move":
                _move(entry, args[0])  # type: ignore[arg-type]
            elif kind == "add":
                entry.add_read(uuid4(), started_on=args[0], finished_on=args[1], now=NOW)  # type: ignore[arg-type]
            elif kind == "import":
                dated = () if args[1] is None else (ReadDates(None, args[1]),)  # type: ignore[arg-type]
                row = LibraryRow("T", "A", None, ShelfStatus.COMPLETED, reads=dated, read_count=args[0])  # type: ignore[arg-type]
                apply_to_entry(entry, row, now=NOW, read_ids=iter(uuid4, None))
            elif kind == "progress":
                entry.log_progress(page=args[0], percent=None, pages=300, now=NOW, read_id=uuid4())  # type: ignore[arg-type]
            elif entry.reads:
                read = entry.reads[args[0] % len(entry.reads)]  # type: ignore[operator]
                if kind == "remove":
                    entry.remove_read(read.id, now=NOW)
                else:
                    entry.revise_read(read.id, started_on=args[1], finished_on=args[2], stopped_on=args[3], now=NOW)  # type: ignore[arg-type]
        assert sum(read.is_open for read in entry.reads) <= 1
        assert entry.read_count == sum(read.is_finished for read in entry.reads)
        assert entry.progress == (entry.open_read.progress if entry.open_read else None)
        for read in entry.reads:
            assert all(day is None or day <= TODAY for day in (read.started_on, read.finished_on, read.stopped_on))
            end = read.finished_on or read.stopped_on
            assert read.started_on is None or end is None or end >= read.started_on
            assert not read.finished_undated or (read.finished_on is None and read.stopped_on is None)
