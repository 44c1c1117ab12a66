"""Bring your library: a reader's Goodreads or StoryGraph export onto their shelf, through the import machinery.

The upload is checked and stored as the catalog import's is (application/imports/start.py); a worker reads
it back in batches. A real run writes each batch in its own transaction; a dry run reads the whole file in
one transaction that it rolls back, through the same code, so its report is exactly what a real run does.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from uuid import UUID, uuid4

from application.catalog.visibility import viewer_of
from application.imports.lifecycle import run_once
from application.imports.records import read_records
from application.imports.start import delete_upload, store_upload, stored_chunks
from application.ports.catalog import books_changed
from application.ports.clock import Clock
from application.ports.imports import ImportQueue
from application.ports.library import LibraryImportStore
from application.ports.shelf import ShelfSort
from application.ports.uow import UnitOfWork, UowFactory
from application.reviews.writing import Rated, ReviewBatch
from domain.book_policy import BookPolicy, Viewer
from domain.catalog import Book, Contributor
from domain.errors import DomainError, InvalidField, NotFound
from domain.events import BooksChanged, DomainEvent
from domain.identity import User
from domain.library import (
    GOODREADS_COLUMNS,
    ExportedBook,
    LibraryImport,
    LibraryImported,
    LibraryReader,
    LibraryRow,
    MatchedBy,
    RowReport,
    RowResult,
    apply_to_entry,
    candidate_names,
    exported_row,
    goodreads_row,
    match_key,
    new_entry,
    not_reviewed_note,
)
from domain.shelf import ShelfEntry

log = logging.getLogger(__name__)

#: A reader's export is at most 10 MB (Goodreads' own exports of 10,000 books are ~3 MB).
MAX_BYTES = 10 * 1024 * 1024
#: Rows per transaction (each row is a few statements: smaller than the catalog import's batches).
BATCH_ROWS = 500

#: (line, the row or None, why it could not be read or None)
_Parsed = tuple[int, LibraryRow | None, str | None]


@dataclass(frozen=True, slots=True)
class StartLibraryImport:
    user_id: UUID
    filename: str
    chunks: AsyncIterable[bytes]
    dry_run: bool = False


@dataclass(slots=True)
class _Recorded:
    """Carries the import's one event to the unit of work (the activity entry)."""

    events: list[DomainEvent] = field(default_factory=list)


@dataclass(slots=True)
class _Run:
    """What one run knows across its batches: who imports, and the books it created (by ISBN and key)."""

    user: User
    viewer: Viewer
    by_isbn: dict[str, Book] = field(default_factory=dict)
    by_key: dict[tuple[str, str], Book] = field(default_factory=dict)
    rated: set[UUID] = field(default_factory=set)


class LibraryService:
    def __init__(
        self,
        *,
        uow: UowFactory,
        clock: Clock,
        store: LibraryImportStore,
        queue: ImportQueue | None,
        require_verified_email: bool,
        lease: timedelta,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._store = store
        self._queue = queue
        self._require_verified = require_verified_email
        self._lease = lease

    # -- upload ----------------------------------------------------------------------------------------
    async def start(self, cmd: StartLibraryImport) -> LibraryImport:
        """Checks the reader, the size (10 MB), UTF-8 and the header as the file streams in; queues the run."""
        async with self._uow(read_only=True) as uow:
            user = await uow.users.get(cmd.user_id)
        if user is None:
            raise NotFound("user")
        user.ensure_verified(required=self._require_verified)
        import_id = uuid4()
        try:
            reader, total = await store_upload(
                self._uow, import_id, cmd.chunks, max_bytes=MAX_BYTES, read_header=LibraryReader
            )
        except BaseException:
            await delete_upload(self._uow, import_id)
            raise
        record = LibraryImport(import_id, user.id, reader.format, cmd.dry_run, self._clock.now(), total_rows=total)
        await self._store.save(record)
        if self._queue is not None:
            await self._queue.enqueue(import_id)
        return record

    async def get(self, user_id: UUID, import_id: UUID) -> tuple[LibraryImport, list[RowReport]]:
        """The import and its report, for its owner only (anyone else: NotFound)."""
        record = await self._store.get(import_id)
        if record is None or record.user_id != user_id:
            raise NotFound("import")
        if record.stalled(self._clock.now(), self._lease):
            record.give_up()
        return record, await self._store.rows(import_id)

    # -- the run ---------------------------------------------------------------------------------------
    async def run(self, import_id: UUID) -> LibraryImport | None:
        """Runs a pending import once (a redelivered message for a finished one is a no-op)."""
        record = await self._store.get(import_id)
        if record is None:
            log.warning("library import %s: no record (expired or never made)", import_id)
            return None
        return await run_once(
            record,
            clock=self._clock,
            lease=self._lease,
            save=self._store.save,
            work=self._import,
            finish=self._finish,
            what=f"library import {record.id}",
        )

    async def _finish(self, record: LibraryImport) -> None:
        await self._store.save(record)
        await delete_upload(self._uow, record.id)

    async def _import(self, record: LibraryImport) -> None:
        async with self._uow(read_only=True) as uow:
            user = await uow.users.get(record.user_id)
            viewer = await viewer_of(uow, record.user_id)
        if user is None or viewer is None:
            raise InvalidField("user", "the account was deleted before its import ran")
        run = _Run(user, viewer)
        batches = self._batches(stored_chunks(self._uow, record.id))
        if record.dry_run:
            # One transaction over the whole file, never committed: later rows see what earlier ones did.
            async with self._uow() as uow:
                async for batch in batches:
                    await self._report(record, await self._write(uow, run, batch))
            return
        async for batch in batches:
            async with self._uow() as uow:
                reports = await self._write(uow, run, batch)
                if run.rated:
                    uow.record(BooksChanged(books_changed(sorted(run.rated), ratings=True)))
                    run.rated = set()
                await uow.commit()
            await self._report(record, reports)
        async with self._uow() as uow:
            event = LibraryImported(
                record.user_id,
                self._clock.now(),
                record.id,
                record.format,
                record.added,
                record.updated,
                record.unchanged,
                record.failed_rows,
            )
            uow.track(_Recorded([event]))
            await uow.commit()

    async def _report(self, record: LibraryImport, reports: list[RowReport]) -> None:
        await self._store.add_rows(record.id, reports)
        record.counted(reports, self._clock.now())
        await self._store.save(record)

    async def _batches(self, chunks: AsyncIterable[bytes]) -> AsyncIterator[list[_Parsed]]:
        reader: LibraryReader | None = None
        batch: list[_Parsed] = []
        async for line, cells, error in read_records(chunks):
            if reader is None:
                if cells is None:
                    raise InvalidField("file", "the header row could not be read as CSV")
                reader = LibraryReader(cells)
                continue
            batch.append(_parse(reader, line, cells, error))
            if len(batch) >= BATCH_ROWS:
                yield batch
                batch = []
        if batch:
            yield batch

    # -- one batch -------------------------------------------------------------------------------------
    async def _write(self, uow: UnitOfWork, run: _Run, batch: list[_Parsed]) -> list[RowReport]:
        """Finds each row's book in file order (the new ones made in memory), loads the reader's entries
        and reviews of the others at once, brings each row onto its entry and review as the domain decides,
        then writes the batch in a statement per kind of change (the new books first, with the rating
        figures of their reviews)."""
        rows = [row for _, row, _ in batch if row is not None]
        by_isbn = await self._by_isbn(uow, run, rows)
        by_key = await self._by_key(uow, run, rows, by_isbn)
        found: list[tuple[int, LibraryRow, Book, MatchedBy, list[str]]] = []
        reports: dict[int, RowReport] = {}
        created: list[Book] = []
        for line, row, error in batch:
            if row is None:
                reports[line] = RowReport(line, None, None, None, MatchedBy.NONE, None, RowResult.FAILED, error)
                continue
            notes = list(row.notes)
            book, match = self._found(run, row, by_isbn, by_key)
            if book is None:
                book = self._create(run, row, isbn_taken=row.isbn is not None and row.isbn in by_isbn)
                created.append(book)
                match = MatchedBy.CREATED
                if row.isbn is not None and book.isbn is None:
                    notes.append(f"ISBN {row.isbn} is another reader's private book: the new book has no ISBN")
            found.append((line, row, book, match, notes))
        known = [book.id for _, _, book, match, _ in found if match is not MatchedBy.CREATED]
        entries = await uow.shelf.get_many(run.user.id, known, lock=True)
        # The entries first, then the reviews, which the entries (as the batch leaves them) make eligible.
        results: dict[int, RowResult] = {}
        new: dict[UUID, ShelfEntry] = {}
        changed: dict[UUID, ShelfEntry] = {}
        now = self._clock.now()
        read_ids: Iterator[UUID] = iter(uuid4, None)
        for line, row, book, _match, _notes in found:
            entry = entries.get(book.id)
            if entry is None:
                entry = entries[book.id] = new[book.id] = new_entry(
                    run.user.id, book.id, row, now=now, read_ids=read_ids
                )
                results[line] = RowResult.ADDED
            elif apply_to_entry(entry, row, now=now, read_ids=read_ids):
                results[line] = RowResult.UPDATED
                if book.id not in new:  # a new one is inserted as it ends up
                    changed[book.id] = entry
            else:
                results[line] = RowResult.UNCHANGED
        rated = {
            line: Rated(book.id, row.rating, row.review) for line, row, book, _, _ in found if row.rating is not None
        }
        reviews = ReviewBatch(
            run.user, require_verified_email=self._require_verified, now=now, announce_new=False
        )  # the run is one library-imported entry, not a review-written one per row
        await reviews.load(uow, list(rated.values()), new_books=created)
        for line, row, book, match, notes in found:
            result = results[line]
            if line in rated:
                try:
                    if reviews.write(rated[line], entries.get(book.id)) and result is RowResult.UNCHANGED:
                        result = RowResult.UPDATED
                except DomainError as exc:
                    entry = entries[book.id]
                    if row.review is not None and entry.keep_text(row.review, now=now):
                        if book.id not in new:
                            changed[book.id] = entry
                        result = RowResult.ADDED if result is RowResult.ADDED else RowResult.UPDATED
                    notes.append(not_reviewed_note(row, exc.detail))
            elif row.review is not None:
                notes.append(not_reviewed_note(row, "a Folio review needs a rating"))
            reports[line] = RowReport(
                line, row.title, row.author, row.isbn, match, book.id, result, "; ".join(notes) or None
            )
        await uow.books.add_many(created)  # with the figures of the reviews the batch gave them
        await uow.shelf.add_many(list(new.values()))
        await uow.shelf.update_many(list(changed.values()))
        await reviews.flush(uow)
        run.rated |= reviews.changed
        return [reports[line] for line, _, _ in batch]

    async def _by_isbn(self, uow: UnitOfWork, run: _Run, rows: list[LibraryRow]) -> dict[str, Book | None]:
        """Each ISBN's book: the one the reader may see, or None where the ISBN is someone else's private book."""
        books = await uow.books.with_isbns([row.isbn for row in rows if row.isbn is not None])
        found: dict[str, Book | None] = {}
        for book in books:
            if book.isbn is not None:
                found[book.isbn] = book if BookPolicy.may_see(book, run.viewer) else None
        return found

    async def _by_key(
        self, uow: UnitOfWork, run: _Run, rows: list[LibraryRow], by_isbn: dict[str, Book | None]
    ) -> dict[tuple[str, str], Book]:
        """The books the reader may see by match key, for the rows no ISBN matched: first the books of
        their titles, then, for the rows still unmatched, those of their authors (a title written another
        way); published books come before the reader's own."""
        wanted = [row for row in rows if row.isbn is None or by_isbn.get(row.isbn) is None]
        found: dict[tuple[str, str], Book] = {}
        titles = sorted(
            {name for row in wanted for name in (candidate_names(row.title, row.author)[0], row.title.lower())}
        )
        self._keep(run, found, await uow.books.match_candidates(titles, []))
        unmatched = [row for row in wanted if row.key not in found]
        authors = sorted({name for row in unmatched for name in candidate_names(row.title, row.author)[1:]})
        if authors:
            self._keep(run, found, await uow.books.match_candidates([], authors))
        return found

    @staticmethod
    def _keep(run: _Run, found: dict[tuple[str, str], Book], books: list[Book]) -> None:
        for book in books:
            if BookPolicy.may_see(book, run.viewer):
                key = match_key(book.title, book.author)
                if key not in found or (book.published and not found[key].published):
                    found[key] = book

    @staticmethod
    def _found(
        run: _Run, row: LibraryRow, by_isbn: dict[str, Book | None], by_key: dict[tuple[str, str], Book]
    ) -> tuple[Book | None, MatchedBy]:
        if row.isbn is not None:
            book = by_isbn.get(row.isbn) or run.by_isbn.get(row.isbn)
            if book is not None:
                return book, MatchedBy.ISBN
        book = by_key.get(row.key) or run.by_key.get(row.key)
        if book is not None:
            return book, MatchedBy.TITLE_AUTHOR
        return None, MatchedBy.NONE

    def _create(self, run: _Run, row: LibraryRow, *, isbn_taken: bool) -> Book:
        """The reader's own new book: unpublished and not for sale (like POST /books from a reader); the
        batch inserts its new books at once."""
        now = self._clock.now()
        book = Book(
            id=uuid4(),
            title=row.title,
            author=row.author,
            price=None,
            created_at=now,
            updated_at=now,
            isbn=None if isbn_taken else row.isbn,
            published=False,
            added_by=Contributor(run.user.id, run.user.username),
        )
        if book.isbn is not None:
            run.by_isbn[book.isbn] = book
        run.by_key[row.key] = book
        return book


def _parse(reader: LibraryReader, line: int, cells: list[str] | None, error: str | None) -> _Parsed:
    if cells is None:
        return line, None, error
    try:
        return line, reader.read(cells), None
    except InvalidField as exc:
        return line, None, f"{exc.field}: {exc.message}"


#: Shelf entries read per page while an export streams.
EXPORT_PAGE = 100


async def export_goodreads(uow_factory: UowFactory, user_id: UUID) -> AsyncIterator[str]:
    """The reader's shelf as a Goodreads export, one CSV line at a time, a page of entries per short read."""
    out = _Line()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(GOODREADS_COLUMNS)
    yield out.take()
    offset = 0
    while True:
        async with uow_factory(read_only=True) as uow:
            items, _total = await uow.shelf.page(
                user_id, status=None, sort=ShelfSort.ADDED, limit=EXPORT_PAGE, offset=offset
            )
            lines = []
            for item in items:
                entry = item.entry
                if entry.read_count:
                    entry = await uow.shelf.get(user_id, entry.book_id) or entry  # with its reads: Date Read
                exported = _exported(item.book)
                writer.writerow(goodreads_row(exported, exported_row(entry, exported, item.review)))
                lines.append(out.take())
        if not items:
            return
        yield "".join(lines)
        offset += len(items)


class _Line:
    """A file-like buffer for csv.writer, emptied after each line."""

    def __init__(self) -> None:
        self._parts: list[str] = []

    def write(self, text: str) -> int:
        self._parts.append(text)
        return len(text)

    def take(self) -> str:
        text, self._parts = "".join(self._parts), []
        return text


def _exported(book: Book) -> ExportedBook:
    year = None if book.publication_date is None else book.publication_date.year
    return ExportedBook(
        book.id, book.title, book.author, book.isbn, book.average_rating, book.publisher, book.pages, year
    )
