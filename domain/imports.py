"""Bulk import of books from CSV: the progress of one import and the rules for one row."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache, partial
from operator import attrgetter
from typing import NamedTuple
from uuid import UUID

from domain.catalog import MAX_STOCK, Book, Genre
from domain.errors import Conflict, DomainError, InvalidField
from domain.isbn import normalize_isbn
from domain.money import Money

REQUIRED_COLUMNS = ("title", "author", "price")
OPTIONAL_COLUMNS = (
    "isbn",
    "publication_date",
    "genre",
    "stock",
    "tags",
    "description",
    "publisher",
    "pages",
    "language",
)
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
#: Column sizes of the `books`, `genres` and `tags` tables.
MAX_LENGTH = {
    "title": 500,
    "author": 300,
    "publisher": 300,
    "language": 35,
    "genre": 100,
    "description": 10_000,
    "tags": 2_000,
    "price": 40,
}
MAX_TAG_LENGTH = 50
MAX_TAGS = 30
#: Errors kept in the progress record; later ones are only counted.
MAX_REPORTED_ERRORS = 1000
#: Distinct cells of a column whose values a RowReader keeps (the most recent ones), for the rows
#: that repeat them, as long as the import runs. Prices and dates are short: 16,384 of them (every
#: price to the cent up to 163.83; a lookup is far cheaper than parsing) hold a few MB. A tag
#: list can hold 30 tags: 4,096 lists.
MEMO_SIZE = 16384
TAGS_MEMO_SIZE = 4096
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class PayloadTooLarge(DomainError):
    code = "payload-too-large"
    title = "Payload too large"


class ImportBusy(Conflict):
    """Another worker holds the import's lease; try again once it has run out."""


class ImportConflict(Conflict):
    """A batch collided with a concurrent write (an ISBN or name taken meanwhile); it can be retried."""


class ImportStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    message: str


class ImportLifecycle:
    """How a long import ends or stalls, for the catalog's CSV import and a reader's library import alike.

    A mixin of the dataclasses that hold `status`, `reason`, `created_at`, `started_at`, `heartbeat_at`,
    `finished_at`."""

    status: ImportStatus
    reason: str | None
    created_at: datetime
    started_at: datetime | None
    heartbeat_at: datetime | None
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.status in {ImportStatus.COMPLETED, ImportStatus.FAILED}

    def start(self, now: datetime) -> None:
        self.status = ImportStatus.RUNNING
        self.started_at = self.heartbeat_at = now

    def complete(self, now: datetime) -> None:
        self.status = ImportStatus.COMPLETED
        self.finished_at = self.heartbeat_at = now

    def fail(self, reason: str, now: datetime) -> None:
        self.status = ImportStatus.FAILED
        self.reason = reason
        self.finished_at = self.heartbeat_at = now

    def stalled(self, now: datetime, lease: timedelta) -> bool:
        """Running, but no heartbeat within the lease: its worker is gone."""
        beat = self.heartbeat_at or self.created_at
        return self.status is ImportStatus.RUNNING and now - beat > lease

    def give_up(self) -> None:
        """Marks a stalled import failed, finished when its worker was last heard of."""
        self.fail(self._stopped_reason(), self.heartbeat_at or self.created_at)

    def _stopped_reason(self) -> str:
        return "the worker running this import stopped; import the file again"


@dataclass(eq=False, slots=True)
class ImportProgress(ImportLifecycle):
    """Where one import stands; a running import renews `heartbeat_at` or is seen as stopped."""

    id: UUID
    filename: str
    created_at: datetime
    total_rows: int = 0
    status: ImportStatus = ImportStatus.PENDING
    processed_rows: int = 0
    created: int = 0
    updated: int = 0
    failed_rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    heartbeat_at: datetime | None = None
    reason: str | None = None

    def start(self, now: datetime) -> None:
        if self.status is not ImportStatus.PENDING:
            raise Conflict(f"the import is {self.status}")
        super(ImportProgress, self).start(now)

    def rows_failed(self, errors: Sequence[RowError]) -> None:
        self.failed_rows += len(errors)
        self.processed_rows += len(errors)
        room = MAX_REPORTED_ERRORS - len(self.errors)
        if room > 0:
            self.errors.extend(errors[:room])

    def rows_written(self, *, created: int, updated: int, now: datetime) -> None:
        self.created += created
        self.updated += updated
        self.processed_rows += created + updated
        self.heartbeat_at = now

    def _stopped_reason(self) -> str:
        beat = self.heartbeat_at or self.created_at
        return (
            f"the worker running this import stopped (last heartbeat {beat.isoformat()}) after "
            f"{self.processed_rows} rows; rows written so far stay, import the file again to finish "
            "(rows with an ISBN then update the books already created)"
        )


def duplicate_key(title: str, author: str) -> tuple[str, str]:
    """Title and author as compared for duplicates (case-insensitive)."""
    return title.lower(), author.lower()


class BookRecord(NamedTuple):
    """One valid CSV row. None means the cell was empty or its column absent: kept as is on update.

    A named tuple: as immutable as a frozen dataclass, and made several times faster (one per row)."""

    title: str
    author: str
    price: Money
    isbn: str | None = None
    publication_date: date | None = None
    genre: str | None = None
    stock: int | None = None
    tags: tuple[str, ...] | None = None
    description: str | None = None
    publisher: str | None = None
    pages: int | None = None
    language: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return duplicate_key(self.title, self.author)

    def renames(self, book: Book) -> bool:
        """Whether this row would move the book to another title and author, so that a duplicate
        check of its present ones would answer differently afterwards."""
        return self.key != duplicate_key(book.title, book.author)

    def new_book(self, book_id: UUID, genre: Genre | None, now: datetime) -> Book:
        return Book(
            id=book_id,
            title=self.title,
            author=self.author,
            price=self.price,
            created_at=now,
            updated_at=now,
            stock=self.stock or 0,
            isbn=self.isbn,
            description=self.description,
            publisher=self.publisher,
            publication_date=self.publication_date,
            pages=self.pages,
            language=self.language,
            genre=genre,
            tags=sorted(self.tags or ()),
        )

    def apply_to(self, book: Book, genre: Genre | None, now: datetime) -> bool:
        """Overwrites the book with the row's non-empty cells; a stock change may record BackInStock.
        Returns whether the book changed: only then does its `updated_at` move (a file imported again
        leaves the books it already describes as they were)."""
        before = _as_imported(book)
        book.title, book.author, book.price = self.title, self.author, self.price
        for name in ("description", "publisher", "publication_date", "pages", "language"):
            value = getattr(self, name)
            if value is not None:
                setattr(book, name, value)
        if genre is not None:
            book.genre = genre
        if self.tags is not None:
            book.tags = sorted(self.tags)
        if self.stock is not None and self.stock != book.stock:
            book.set_stock(self.stock, now=now)
        if _as_imported(book) == before:
            return False
        book.updated_at = now
        return True


_PLAIN_FIELDS = attrgetter(
    "title", "author", "price", "description", "publisher", "publication_date", "pages", "language", "stock"
)


def _as_imported(book: Book) -> tuple[object, ...]:
    """What an import row can change of a book."""
    return _PLAIN_FIELDS(book), None if book.genre is None else book.genre.id, tuple(book.tags)


def parse_header(cells: Sequence[str]) -> list[str]:
    """The lower-cased column names; a missing required column or a repeated one is an InvalidField."""
    names = [cell.strip().lower() for cell in cells]
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise InvalidField(
            "file",
            f"the header row lacks the required column(s) {', '.join(missing)} "
            f"(the first line must name the columns: {', '.join(REQUIRED_COLUMNS)} and optionally "
            f"{', '.join(OPTIONAL_COLUMNS)})",
        )
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    if repeated:
        raise InvalidField("file", f"the header row repeats the column(s) {', '.join(repeated)}")
    return names


def _text(value: str, name: str) -> str | None:
    if not value:
        return None
    if len(value) > MAX_LENGTH[name]:
        raise InvalidField(name, f"must be at most {MAX_LENGTH[name]} characters")
    return value


def _required(value: str, name: str) -> str:
    checked = _text(value, name)
    if checked is None:
        raise InvalidField(name, "is required")
    return checked


def _count(value: str, name: str) -> int | None:
    if not value:
        return None
    if not value.isascii() or not value.isdigit():
        raise InvalidField(name, "must be a whole number from 0")
    number = int(value)
    if number > MAX_STOCK:
        raise InvalidField(name, f"must be at most {MAX_STOCK}")
    return number


def _date(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        if not _DATE.fullmatch(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidField(name, "must be a date as YYYY-MM-DD") from None


def _tags(value: str) -> tuple[str, ...] | None:
    if _text(value, "tags") is None:
        return None
    names = dict.fromkeys([part.strip() for part in value.split("|")])
    names.pop("", None)
    if len(names) > MAX_TAGS:
        raise InvalidField("tags", f"at most {MAX_TAGS} tags")
    if max(map(len, names), default=0) > MAX_TAG_LENGTH:
        raise InvalidField("tags", f"a tag is at most {MAX_TAG_LENGTH} characters")
    return tuple(names)


def _price(value: str) -> Money:
    return Money.of(_required(value, "price"), field="price")


class RowReader:
    """Reads the rows of one file into BookRecords; where each column sits is worked out once, from
    the header, so a row is read by position (a dict per row cost more than checking it)."""

    __slots__ = ("_date", "_positions", "_price", "_tags", "columns")

    def __init__(self, header: Sequence[str]) -> None:
        self.columns = parse_header(header)
        #: Each of COLUMNS' position in a row, or -1 where the file lacks it.
        self._positions = tuple(self.columns.index(name) if name in self.columns else -1 for name in COLUMNS)
        # Each column's parsed cells, shared by the rows that repeat them (prices, dates and tag lists
        # do, and their values are immutable), like pandas' `cache_dates`. A cell that breaks a rule
        # raises every time it is read: lru_cache keeps no exceptions.
        self._price = lru_cache(maxsize=MEMO_SIZE)(_price)
        self._date = lru_cache(maxsize=MEMO_SIZE)(partial(_date, name="publication_date"))
        self._tags = lru_cache(maxsize=TAGS_MEMO_SIZE)(_tags)

    def read(self, cells: Sequence[str]) -> BookRecord:
        """Validates one row (as many cells as columns); the first broken rule is an InvalidField."""
        (title, author, price, isbn, published, genre, stock, tags, description, publisher, pages, language) = [
            cells[at].strip() if at >= 0 else "" for at in self._positions
        ]
        return BookRecord(  # by position, in the order of its fields: keywords cost twice as much per row
            _required(title, "title"),
            _required(author, "author"),
            self._price(price),
            normalize_isbn(isbn) if isbn else None,
            self._date(published),
            _text(genre, "genre"),
            _count(stock, "stock"),
            self._tags(tags),
            _text(description, "description"),
            _text(publisher, "publisher"),
            _count(pages, "pages"),
            _text(language, "language"),
        )
