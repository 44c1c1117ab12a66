"""The reading journal: reads (one time through a book), their progress, yearly goals, and their events."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from domain.activity import ActivityEvent, ActivityKind, Done
from domain.errors import Conflict, InvalidField
from domain.events import DomainEvent

#: A page count beyond any book (the catalog's own bound on `pages`).
MAX_PAGES = 100_000
GOAL_MIN, GOAL_MAX = 1, 1000
#: Years a goal or a stats query may name.
YEAR_MIN, YEAR_MAX = 1900, 2200


class ReadAlreadyOpen(Conflict):
    code = "conflict"
    title = "A read of this book is open already"


# -- events: each is also an entry of the reader's activity -------------------------------------------
@dataclass(frozen=True, slots=True)
class ReadingProgressed(ActivityEvent):
    """The reader logged where they are in a book."""

    kind = ActivityKind.PROGRESS

    user_id: UUID
    book_id: UUID
    at: datetime
    read_id: UUID
    page: int | None
    percent: float | None

    def done(self) -> Done:
        return Done(
            self.user_id,
            self.at,
            self.book_id,
            {"read_id": str(self.read_id), "page": self.page, "percent": self.percent},
        )


@dataclass(frozen=True, slots=True)
class ReadFinished(ActivityEvent):
    """A read was finished: by a status move, a hand-entered past read, or a date set on a read."""

    kind = ActivityKind.FINISHED

    user_id: UUID
    book_id: UUID
    at: datetime
    read_id: UUID
    finished_on: date

    def done(self) -> Done:
        detail = {"read_id": str(self.read_id), "finished_on": self.finished_on.isoformat()}
        return Done(self.user_id, self.at, self.book_id, detail)


@dataclass(frozen=True, slots=True)
class GoalSet(ActivityEvent):
    """The reader set (or changed) their goal for a year. A goal is of no one book: `book_id` is None."""

    kind = ActivityKind.GOAL_SET

    user_id: UUID
    at: datetime
    year: int
    target: int
    book_id: UUID | None = None

    def done(self) -> Done:
        return Done(self.user_id, self.at, None, {"year": self.year, "target": self.target})


# -- progress ------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Progress:
    """Where the reader is: a page and/or a percentage (each derived from the other when the pages are known)."""

    page: int | None
    percent: float | None
    updated_at: datetime

    @classmethod
    def of(cls, *, page: int | None, percent: float | None, pages: int | None, now: datetime) -> Progress:
        """Checks one of `page` or `percent` against the book's `pages` (when known) and fills in the other."""
        if (page is None) == (percent is None):
            raise InvalidField("page", "send either page or percent")
        if page is not None:
            limit = pages if pages is not None else MAX_PAGES
            if not 0 <= page <= limit:
                raise InvalidField("page", f"must be between 0 and {limit}" + (" (the book's pages)" if pages else ""))
            if pages:
                percent = round(page * 100 / pages, 1)
        else:
            assert percent is not None
            if not 0 <= percent <= 100:
                raise InvalidField("percent", "must be between 0 and 100")
            percent = round(percent, 1)
            if pages:
                page = round(percent * pages / 100)
        return cls(page, percent, now)


# -- dates ---------------------------------------------------------------------------------------------
def check_dates(*, started_on: date | None, finished_on: date | None, stopped_on: date | None, today: date) -> None:
    """Never in the future (the reader's calendar day in UTC), never ended before started, not both ends."""
    for name, day in (("started_on", started_on), ("finished_on", finished_on), ("stopped_on", stopped_on)):
        if day is not None and day > today:
            raise InvalidField(name, f"must not be after today ({today.isoformat()})")
    if finished_on is not None and stopped_on is not None:
        raise InvalidField("stopped_on", "a read is either finished or stopped, not both")
    for name, end in (("finished_on", finished_on), ("stopped_on", stopped_on)):
        if end is not None and started_on is not None and end < started_on:
            raise InvalidField(name, "must not be before started_on")


@dataclass(eq=False, slots=True)
class Read:
    """One time through a book. Open until finished (counted in `read_count`) or stopped (did not finish).

    A finish may be undated (`finished_undated`: an imported `Read Count` beyond the dates the file gave):
    it counts in `read_count` and all-time figures but in no year, and is neither open nor stopped.
    """

    id: UUID
    user_id: UUID
    book_id: UUID
    started_on: date | None
    created_at: datetime
    finished_on: date | None = None
    stopped_on: date | None = None
    progress: Progress | None = None
    finished_undated: bool = False

    @classmethod
    def undated(cls, read_id: UUID, user_id: UUID, book_id: UUID, now: datetime) -> Read:
        """A read known to be finished, on a day nobody knows."""
        return cls(read_id, user_id, book_id, None, now, finished_undated=True)

    @property
    def is_open(self) -> bool:
        return self.finished_on is None and self.stopped_on is None and not self.finished_undated

    @property
    def is_finished(self) -> bool:
        return self.finished_on is not None or self.finished_undated

    @property
    def latest_day(self) -> date | None:
        return self.finished_on or self.stopped_on or self.started_on

    def newest_first_key(self) -> tuple[bool, int, float, str]:
        """Open reads first, then by their latest date (undated last), then the last entered."""
        return (
            not self.is_open,
            -(self.latest_day or date.min).toordinal(),
            -self.created_at.timestamp(),
            str(self.id),
        )


# -- goals ---------------------------------------------------------------------------------------------
def check_year(year: int) -> int:
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise InvalidField("year", f"must be between {YEAR_MIN} and {YEAR_MAX}")
    return year


@dataclass(eq=False, slots=True)
class Goal:
    """How many books a reader means to finish in a year."""

    user_id: UUID
    year: int
    target: int
    created_at: datetime
    updated_at: datetime
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    @classmethod
    def set(cls, user_id: UUID, year: int, target: int, *, existing: Goal | None, now: datetime) -> Goal:
        check_year(year)
        if not GOAL_MIN <= target <= GOAL_MAX:
            raise InvalidField("target", f"must be between {GOAL_MIN} and {GOAL_MAX}")
        goal = existing or cls(user_id, year, target, now, now)
        goal.target = target
        goal.updated_at = now
        goal.events.append(GoalSet(user_id, now, year, target))
        return goal

    def expected_by(self, today: date) -> int:
        """Books due by the end of `today`, pro rata through the year (rounded down): all of them once it is over."""
        if today.year < self.year:
            return 0
        if today.year > self.year:
            return self.target
        days = 366 if calendar.isleap(self.year) else 365
        return self.target * today.timetuple().tm_yday // days


@dataclass(frozen=True, slots=True)
class GoalStanding:
    """A goal with the reads finished in its year."""

    goal: Goal
    completed: int
    expected_by_today: int

    @property
    def on_track(self) -> bool:
        return self.completed >= self.expected_by_today
