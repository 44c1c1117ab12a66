"""Bring your library: Goodreads and StoryGraph exports read into shelf rows, and the Goodreads export written.

Formats are told apart by their header and read by column name (shared/IMPORT_FORMATS.md). A row that
breaks a rule is an InvalidField; what a row carries that Folio does not keep goes into its `notes`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from functools import lru_cache
from operator import itemgetter
from uuid import UUID

from domain.activity import ActivityEvent, ActivityKind, Done
from domain.errors import InvalidField
from domain.imports import MAX_LENGTH, ImportLifecycle, ImportStatus
from domain.isbn import normalize_isbn, to_isbn10
from domain.journal import Read
from domain.reviews import TEXT_MAX, Review
from domain.shelf import ShelfEntry, ShelfStatus, reader_today

#: Rows in the report of one import; later ones are only counted.
MAX_REPORTED_ROWS = 100_000

GOODREADS_COLUMNS = (
    "Book Id",
    "Title",
    "Author",
    "Author l-f",
    "Additional Authors",
    "ISBN",
    "ISBN13",
    "My Rating",
    "Average Rating",
    "Publisher",
    "Binding",
    "Number of Pages",
    "Year Published",
    "Original Publication Year",
    "Date Read",
    "Date Added",
    "Bookshelves",
    "Bookshelves with positions",
    "Exclusive Shelf",
    "My Review",
    "Spoiler",
    "Private Notes",
    "Read Count",
    "Owned Copies",
)
GOODREADS_LEGACY_ONLY = (
    "Recommended For",
    "Recommended By",
    "Original Purchase Date",
    "Original Purchase Location",
    "Condition",
    "Condition Description",
    "BCID",
)
STORYGRAPH_COLUMNS = (
    "Title",
    "Authors",
    "Contributors",
    "ISBN/UID",
    "Format",
    "Read Status",
    "Date Added",
    "Last Date Read",
    "Dates Read",
    "Read Count",
    "Moods",
    "Pace",
    "Character- or Plot-Driven?",
    "Strong Character Development?",
    "Loveable Characters?",
    "Diverse Characters?",
    "Flawed Characters?",
    "Star Rating",
    "Review",
    "Content Warnings",
    "Content Warning Description",
    "Tags",
    "Owned?",
)
_GOODREADS_NEEDED = ("Title", "Author", "ISBN", "ISBN13", "My Rating", "Exclusive Shelf")
_STORYGRAPH_NEEDED = ("Title", "Authors", "ISBN/UID", "Read Status", "Star Rating")

_GOODREADS_SHELVES = {
    "to-read": ShelfStatus.WISHLIST,
    "currently-reading": ShelfStatus.READING,
    "read": ShelfStatus.COMPLETED,
    # not Goodreads' own, but what Folio's export writes for its two other statuses
    "paused": ShelfStatus.PAUSED,
    "did-not-finish": ShelfStatus.DID_NOT_FINISH,
}
_SHELF_OF_STATUS = {status: shelf for shelf, status in _GOODREADS_SHELVES.items()}
_STORYGRAPH_STATUSES = {
    "to-read": ShelfStatus.WISHLIST,
    "currently-reading": ShelfStatus.READING,
    "read": ShelfStatus.COMPLETED,
    "paused": ShelfStatus.PAUSED,
    "did-not-finish": ShelfStatus.DID_NOT_FINISH,
}
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_SLASH_DATE = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})")
_ASIN = re.compile(r"B[0-9A-Z]{9}")
_SERIES = re.compile(r"\s*\([^()]*#\s*\d[\d.\-]*\)\s*$")
_NOT_ASCII_ALNUM = re.compile(r"[^0-9a-z]+")


class LibraryFormat(StrEnum):
    GOODREADS = "goodreads"
    GOODREADS_LEGACY = "goodreads-legacy"
    STORYGRAPH = "storygraph"


class MatchedBy(StrEnum):
    ISBN = "isbn"
    TITLE_AUTHOR = "title-author"
    CREATED = "created"
    NONE = "none"


class RowResult(StrEnum):
    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    FAILED = "failed"


# -- matching ------------------------------------------------------------------------------------------


def _folded(text: str) -> str:
    """Letters and digits only, lower-cased, diacritics dropped: `Café, Ñu!` -> `cafenu`."""
    if text.isascii():  # the same, without a look at each character (no diacritics to drop)
        return _NOT_ASCII_ALNUM.sub("", text.lower())
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch))


def author_first_last(author: str) -> str:
    """`Corey, James S. A.` -> `James S. A. Corey`; anything without exactly one comma stays."""
    parts = [part.strip() for part in author.split(",")]
    if len(parts) == 2 and all(parts):
        return f"{parts[1]} {parts[0]}"
    return author.strip()


def author_last_first(author: str) -> str:
    """Goodreads' `Author l-f`: `James S. A. Corey` -> `Corey, James S. A.`."""
    words = author.split()
    if len(words) < 2 or "," in author:
        return author
    return f"{words[-1]}, {' '.join(words[:-1])}"


def strip_series(title: str) -> str:
    """`Leviathan Wakes (The Expanse, #1)` -> `Leviathan Wakes`."""
    if "#" not in title:  # no series suffix (the pattern's search tries every position of the title)
        return title
    stripped = _SERIES.sub("", title)
    return stripped or title


def match_key(title: str, author: str) -> tuple[str, str]:
    """Title and author as a library import matches them to catalog books: case, punctuation, diacritics,
    a series suffix and "Last, First" order ignored. (domain.imports.duplicate_key is the stricter key of
    the duplicate checks; a pair equal there is equal here.)"""
    return _folded(strip_series(title)), _author_key(author)


# An import's rows and the books it looks at share few authors. Bounded: 4,096 names (< 2 MB).
@lru_cache(maxsize=4096)
def _author_key(author: str) -> str:
    return _folded(author_first_last(author))


def candidate_names(title: str, author: str) -> tuple[str, str, str]:
    """The lower-cased title (without series) and the author in both orders, by which a store finds the
    books whose `match_key` may equal this row's."""
    return strip_series(title).lower(), author_first_last(author).lower(), author.strip().lower()


# -- rows ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReadDates:
    """One finished read of an imported row."""

    started_on: date | None
    finished_on: date


@dataclass(frozen=True, slots=True)
class LibraryRow:
    """One row of an export, as Folio keeps it."""

    title: str
    author: str
    isbn: str | None
    status: ShelfStatus
    rating: int | None = None
    review: str | None = None
    reads: tuple[ReadDates, ...] = ()
    read_count: int = 0
    date_added: date | None = None
    owned: bool = False
    notes: tuple[str, ...] = field(default=(), compare=False)
    _key: tuple[str, str] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def key(self) -> tuple[str, str]:
        """`match_key` of the row's title and author, worked out once (a batch asks a row for it a few times)."""
        key = self._key
        if key is None:
            key = match_key(self.title, self.author)
            object.__setattr__(self, "_key", key)  # a cache of fields that never change
        return key


def unquote(cell: str) -> str:
    """Goodreads' `="0441013597"` (and `=""`) as the text inside."""
    cell = cell.strip()
    if cell.startswith("="):
        cell = cell[1:]
    if len(cell) >= 2 and cell[0] == cell[-1] == '"':
        cell = cell[1:-1]
    return cell.strip()


def slash_date(cell: str, name: str) -> date | None:
    """`YYYY/MM/DD` (Goodreads and StoryGraph); empty is None."""
    cell = cell.strip()
    if not cell:
        return None
    found = _SLASH_DATE.fullmatch(cell) or (
        re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", cell)  # what a spreadsheet may have turned it into
    )
    if found is None:
        raise InvalidField(name, "must be a date as YYYY/MM/DD")
    try:
        return date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        raise InvalidField(name, "is not a calendar date") from None


def storygraph_reads(cell: str) -> tuple[ReadDates, ...]:
    """`2025/01/01-2025/01/03;2025/02/05`: a range is started-finished, a lone date is a finish."""
    reads = []
    for part in cell.split(";"):
        part = part.strip()
        if not part:
            continue
        start, dash, end = part.partition("-") if _SLASH_DATE.match(part) else ("", "", "")
        if dash:
            started, finished = slash_date(start, "Dates Read"), slash_date(end, "Dates Read")
        else:
            started, finished = None, slash_date(part, "Dates Read")
        if finished is None:
            continue  # an open range: a read in progress, not a finished one
        if started is not None and started > finished:
            raise InvalidField("Dates Read", f"{part}: finished before it started")
        reads.append(ReadDates(started, finished))
    return tuple(sorted(set(reads), key=lambda read: (read.finished_on, read.started_on or date.min)))


def star_rating(cell: str, name: str) -> int | None:
    """0 or empty is no rating; a decimal rounds half up (3.5 -> 4); 1..5 after rounding."""
    cell = cell.strip()
    if not cell:
        return None
    try:
        value = Decimal(cell)
    except InvalidOperation:
        raise InvalidField(name, "must be a number from 0 to 5") from None
    if not value.is_finite() or not 0 <= value <= 5:
        raise InvalidField(name, "must be a number from 0 to 5")
    rounded = int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return rounded or None


def review_text(cell: str) -> str | None:
    """`<br/>` become line breaks; empty is None."""
    text = _BR.sub("\n", cell).strip()
    if not text:
        return None
    if len(text) > TEXT_MAX:
        raise InvalidField("review", f"must be at most {TEXT_MAX} characters")
    return text


def _count(cell: str, name: str) -> int:
    cell = cell.strip()
    if not cell:
        return 0
    if not cell.isascii() or not cell.isdigit() or len(cell) > 4:
        raise InvalidField(name, "must be a whole number from 0 to 9999")
    return int(cell)


def _isbn(cells: Sequence[str], notes: list[str]) -> str | None:
    """The first cell that holds a valid ISBN, as ISBN-13; an ASIN or a broken ISBN is noted, not fatal."""
    for cell in cells:
        raw = unquote(cell)
        if not raw:
            continue
        if _ASIN.fullmatch(raw.upper()):
            notes.append(f"{raw} is an ASIN, not an ISBN")
            continue
        try:
            return normalize_isbn(raw)
        except InvalidField as exc:
            notes.append(f"ISBN {raw} ignored: {exc.message}")
    return None


def _text(value: str, name: str, limit_of: str) -> str:
    value = value.strip()
    if not value:
        raise InvalidField(name, "is required")
    if len(value) > MAX_LENGTH[limit_of]:
        raise InvalidField(name, f"must be at most {MAX_LENGTH[limit_of]} characters")
    return value


def detect_format(header: Sequence[str]) -> LibraryFormat:
    """Which export this header is; anything else is an InvalidField on `file`."""
    names = {cell.strip() for cell in header}
    if all(name in names for name in _GOODREADS_NEEDED):
        legacy = any(name in names for name in GOODREADS_LEGACY_ONLY)
        return LibraryFormat.GOODREADS_LEGACY if legacy else LibraryFormat.GOODREADS
    if all(name in names for name in _STORYGRAPH_NEEDED):
        return LibraryFormat.STORYGRAPH
    raise InvalidField(
        "file",
        "not a Goodreads or StoryGraph export: a Goodreads header names "
        f"{', '.join(_GOODREADS_NEEDED)}; a StoryGraph one {', '.join(_STORYGRAPH_NEEDED)}",
    )


#: The cells a Goodreads row is read from, in the order `LibraryReader._goodreads` takes them.
_GOODREADS_READ = (
    "Author",
    "Author l-f",
    "Exclusive Shelf",
    "Bookshelves",
    "My Rating",
    "Date Read",
    "Read Count",
    "Owned Copies",
    "Title",
    "ISBN13",
    "ISBN",
    "My Review",
    "Date Added",
)


class LibraryReader:
    """Reads the rows of one export by column name; positions are worked out once from the header."""

    def __init__(self, header: Sequence[str]) -> None:
        self.format = detect_format(header)
        self.width = len(header)
        self._at = {cell.strip(): i for i, cell in enumerate(header)}
        # A Goodreads row's cells in one call; a column the header lacks is read past the row's end, where
        # `read` puts an empty cell.
        positions = [self._at.get(name, self.width) for name in _GOODREADS_READ]
        self._goodreads_cells = itemgetter(*positions)
        self._pad = self.width in positions

    def _cell(self, cells: Sequence[str], name: str) -> str:
        at = self._at.get(name)
        return "" if at is None else cells[at]

    def read(self, cells: Sequence[str]) -> LibraryRow:
        if len(cells) != self.width:
            raise InvalidField("file", f"the row has {len(cells)} fields; the header has {self.width}")
        if "\x00" in "".join(cells):
            raise InvalidField("file", "the row holds a NUL character")
        if self.format is LibraryFormat.STORYGRAPH:
            return self._storygraph(cells)
        return self._goodreads(self._goodreads_cells([*cells, ""] if self._pad else cells))

    @staticmethod
    def _goodreads(cells: tuple[str, ...]) -> LibraryRow:
        (author, author_lf, shelf, shelves, rating_cell, read_cell, count_cell, owned_cell) = cells[:8]
        title, isbn13, isbn10, review, added = cells[8:]
        notes: list[str] = []
        author = author.strip() or author_first_last(author_lf)
        shelf = shelf.strip().lower()
        status = _GOODREADS_SHELVES.get(shelf)
        if status is None:
            notes.append(f"custom shelf {shelf or '(none)'} kept as WISHLIST")
            status = ShelfStatus.WISHLIST
        if shelves and not shelves.isspace():  # else no shelf: the same, without a look at each one
            custom = [s.strip() for s in shelves.split(",") if s.strip()]
            custom = [s for s in custom if s.lower() not in _GOODREADS_SHELVES]
            if custom:
                notes.append(f"shelves not kept: {', '.join(custom)}")
        rating_cell = rating_cell.strip()
        if rating_cell and not (rating_cell.isascii() and rating_cell.isdigit()):
            raise InvalidField("My Rating", "must be a whole number from 0 to 5")
        read_on = slash_date(read_cell, "Date Read")
        read_count = _count(count_cell, "Read Count")
        owned = _count(owned_cell, "Owned Copies") > 0
        return LibraryRow(
            title=_text(title, "Title", "title"),
            author=_text(author, "Author", "author"),
            isbn=_isbn([isbn13, isbn10], notes),
            status=status,
            rating=star_rating(rating_cell, "My Rating"),
            review=review_text(review),
            reads=() if read_on is None else (ReadDates(None, read_on),),
            read_count=read_count,
            date_added=slash_date(added, "Date Added"),
            owned=owned,
            notes=tuple(notes),
        )

    def _storygraph(self, cells: Sequence[str]) -> LibraryRow:
        cell = self._cell
        notes: list[str] = []
        shelf = cell(cells, "Read Status").strip().lower()
        status = _STORYGRAPH_STATUSES.get(shelf)
        if status is None:
            notes.append(f"read status {shelf or '(none)'} kept as WISHLIST")
            status = ShelfStatus.WISHLIST
        tags = cell(cells, "Tags").strip()
        if tags:
            notes.append(f"tags not kept: {tags}")
        reads = storygraph_reads(cell(cells, "Dates Read"))
        last = slash_date(cell(cells, "Last Date Read"), "Last Date Read")
        if not reads and last is not None:
            reads = (ReadDates(None, last),)
        authors = cell(cells, "Authors").strip()
        return LibraryRow(
            title=_text(cell(cells, "Title"), "Title", "title"),
            author=_text(authors.split(", ")[0] if authors else "", "Authors", "author"),
            isbn=_isbn([cell(cells, "ISBN/UID")], notes),
            status=status,
            rating=star_rating(cell(cells, "Star Rating"), "Star Rating"),
            review=review_text(cell(cells, "Review")),
            reads=reads,
            read_count=_count(cell(cells, "Read Count"), "Read Count"),
            date_added=slash_date(cell(cells, "Date Added"), "Date Added"),
            owned=cell(cells, "Owned?").strip().lower() == "yes",
            notes=tuple(notes),
        )


# -- export --------------------------------------------------------------------------------------------


def goodreads_date(day: date | None) -> str:
    return "" if day is None else f"{day.year:04d}/{day.month:02d}/{day.day:02d}"


def goodreads_isbn(isbn: str | None) -> str:
    """`="0441013597"`, as Goodreads quotes them so that spreadsheets keep the leading zero."""
    return f'="{isbn or ""}"'


@dataclass(frozen=True, slots=True)
class ExportedBook:
    """What the export writes of one shelf entry's book."""

    id: UUID
    title: str
    author: str
    isbn: str | None
    average_rating: float | None = None
    publisher: str | None = None
    pages: int | None = None
    year: int | None = None


def exported_row(entry: ShelfEntry, book: ExportedBook, review: Review | None) -> LibraryRow:
    """What the export writes of a shelf entry (with its reads loaded when it has finished any): the review's
    rating and text when there is a review, else the entry's own text; the dated reads and `read_count`
    (undated finishes count there, as `Read Count`)."""
    reads = tuple(ReadDates(read.started_on, read.finished_on) for read in entry.reads if read.finished_on is not None)
    return LibraryRow(
        title=book.title,
        author=book.author,
        isbn=book.isbn,
        status=entry.status,
        rating=None if review is None else review.rating,
        review=entry.review_text if review is None else review.text,
        reads=reads,
        read_count=entry.read_count,
        date_added=entry.date_added.astimezone(UTC).date(),
        owned=entry.owned,
    )


def goodreads_row(book: ExportedBook, row: LibraryRow) -> list[str]:
    """One line of the 24-column Goodreads export, in GOODREADS_COLUMNS' order."""
    shelf = _SHELF_OF_STATUS[row.status]
    last_read = max((read.finished_on for read in row.reads), default=None)
    return [
        str(book.id),
        book.title,
        book.author,
        author_last_first(book.author),
        "",
        goodreads_isbn(None if book.isbn is None else to_isbn10(book.isbn)),
        goodreads_isbn(book.isbn),
        str(row.rating or 0),
        f"{book.average_rating or 0:.2f}",
        book.publisher or "",
        "",
        "" if book.pages is None else str(book.pages),
        "" if book.year is None else str(book.year),
        "" if book.year is None else str(book.year),
        goodreads_date(last_read),
        goodreads_date(row.date_added),
        "" if row.status is ShelfStatus.COMPLETED else shelf,
        "" if row.status is ShelfStatus.COMPLETED else f"{shelf} (#1)",
        shelf,
        "" if row.review is None else row.review.replace("\n", "<br/>"),
        "",
        "",
        str(row.read_count),
        "1" if row.owned else "0",
    ]


# -- the report and the event --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowReport:
    line: int
    title: str | None
    author: str | None
    isbn: str | None
    match: MatchedBy
    book_id: UUID | None
    result: RowResult
    message: str | None


@dataclass(frozen=True, slots=True)
class LibraryImported(ActivityEvent):
    """A reader brought their library from another tracker (a real run, not a dry one)."""

    kind = ActivityKind.LIBRARY_IMPORTED
    user_id: UUID
    at: datetime
    import_id: UUID
    format: LibraryFormat
    added: int
    updated: int
    unchanged: int
    failed: int
    book_id: UUID | None = None

    def done(self) -> Done:
        detail = {
            "import_id": str(self.import_id),
            "format": self.format.value,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
        }
        return Done(self.user_id, self.at, None, detail)


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@dataclass(eq=False, slots=True)
class LibraryImport(ImportLifecycle):
    """Where one reader's import stands; its per-row report is kept beside it, in file order."""

    id: UUID
    user_id: UUID
    format: LibraryFormat
    dry_run: bool
    created_at: datetime
    total_rows: int = 0
    status: ImportStatus = ImportStatus.PENDING
    processed_rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    books_created: int = 0
    failed_rows: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    heartbeat_at: datetime | None = None
    reason: str | None = None

    def counted(self, rows: Sequence[RowReport], now: datetime) -> None:
        for row in rows:
            if row.result is RowResult.ADDED:
                self.added += 1
            elif row.result is RowResult.UPDATED:
                self.updated += 1
            elif row.result is RowResult.UNCHANGED:
                self.unchanged += 1
            else:
                self.failed_rows += 1
            if row.match is MatchedBy.CREATED:
                self.books_created += 1
        self.processed_rows += len(rows)
        self.heartbeat_at = now


# -- a row on the shelf --------------------------------------------------------------------------------

_RANK = {
    ShelfStatus.WISHLIST: 0,
    ShelfStatus.READING: 1,
    ShelfStatus.PAUSED: 1,
    ShelfStatus.DID_NOT_FINISH: 2,
    ShelfStatus.COMPLETED: 3,
}


def imported_status(current: ShelfStatus, row: ShelfStatus, *, finished: bool) -> ShelfStatus:
    """The status after an import: a finished book (COMPLETED, or read to the end before) never moves back,
    nor does any entry to an earlier stage (READING to WISHLIST)."""
    if current is ShelfStatus.COMPLETED or (finished and _RANK[row] < _RANK[ShelfStatus.COMPLETED]):
        return current
    return row if _RANK[row] >= _RANK[current] else current


def apply_to_entry(entry: ShelfEntry, row: LibraryRow, *, now: datetime, read_ids: Iterator[UUID]) -> bool:
    """Brings the row's status, ownership, finished reads and (for a row without a rating: a Folio review
    needs one) its review as the entry's own text onto the entry. Records no events: the import is one
    LibraryImported. Returns whether the entry changed."""
    changed = False
    status = imported_status(entry.status, row.status, finished=entry.read_count > 0)
    if status is not entry.status:
        entry.status = status
        changed = True
    if row.owned and not entry.owned:
        entry.owned = changed = True
    if _bring_reads(entry, row, now=now, read_ids=read_ids):
        changed = True
    if row.rating is None and row.review is not None and row.review != entry.review_text:
        entry.review_text = row.review
        changed = True
    if changed:
        entry.updated_at = now
    return changed


def _bring_reads(entry: ShelfEntry, row: LibraryRow, *, now: datetime, read_ids: Iterator[UUID]) -> bool:
    """The row's dated reads the entry lacks (a day it has finished already is not added twice), then
    undated finished reads until the entry has as many as the row's `Read Count` says. A dated read the
    entry lacks dates one of its undated reads when the entry has all the reads the row counts already, so
    that a later export with more dates adds days, not reads."""
    today = reader_today(now)
    wanted = max(row.read_count, len(row.reads))
    finished_days = {read.finished_on for read in entry.reads if read.finished_on is not None}
    undated = [read for read in entry.reads if read.finished_undated]
    changed = False
    for dates in row.reads:
        if dates.finished_on in finished_days or dates.finished_on > today:
            continue
        if undated and entry.read_count >= wanted:
            read = undated.pop()
            read.finished_undated = False
            read.started_on, read.finished_on = dates.started_on, dates.finished_on
        else:
            entry.reads.append(
                Read(next(read_ids), entry.user_id, entry.book_id, dates.started_on, now, finished_on=dates.finished_on)
            )
            entry.read_count += 1
        finished_days.add(dates.finished_on)
        changed = True
    while entry.read_count < wanted:
        entry.reads.append(Read.undated(next(read_ids), entry.user_id, entry.book_id, now))
        entry.read_count += 1
        changed = True
    return changed


def not_reviewed_note(row: LibraryRow, why: str) -> str:
    """What a row's report says when its rating or review did not become a review: the review is then
    the shelf entry's own text, a rating is lost."""
    if row.rating is None:
        return f"review kept as the shelf's text: {why}"
    if row.review is None:
        return f"rating not kept: {why}"
    return f"rating not kept, review kept as the shelf's text: {why}"


def new_entry(user_id: UUID, book_id: UUID, row: LibraryRow, *, now: datetime, read_ids: Iterator[UUID]) -> ShelfEntry:
    added = midnight(row.date_added) if row.date_added is not None and row.date_added <= reader_today(now) else now
    entry = ShelfEntry(user_id, book_id, row.status, added, now)
    apply_to_entry(entry, row, now=now, read_ids=read_ids)
    entry.updated_at = now
    return entry
