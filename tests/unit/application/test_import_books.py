"""ImportBooks over in-memory fakes: what a row does, how it is reported, and what the file must be."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

import application.imports.run as run_module
import application.imports.writer as writer_module
from adapters.memory.imports import MemoryBookImport
from application.imports.start import StartImport
from application.ports.uow import UnitOfWork
from domain.catalog import BackInStock, Book
from domain.errors import InvalidField
from domain.events import DomainEvent
from domain.imports import (
    BookRecord,
    ImportConflict,
    ImportProgress,
    ImportStatus,
    PayloadTooLarge,
    RowError,
    RowReader,
)
from domain.money import Money
from entrypoints import heap
from entrypoints.bootstrap import Services
from entrypoints.settings import Settings
from tests.support.builders import add_book
from tests.support.clock import FakeClock
from tests.support.imports import FailingWrites, import_bytes, isbn13, stored_books, stream
from tests.support.settings import make_settings
from tests.support.wiring import fake_services


async def test_good_bad_duplicate_and_updating_rows_are_counted_and_reported_by_line(
    memory_services: Services,
) -> None:
    await add_book(memory_services, title="Old", author="Writer", isbn=isbn13(1), stock=3)
    await add_book(memory_services, title="Known", author="Someone", stock=1)
    data = (
        (
            "title,author,price,isbn,stock,genre,tags\n"
            "Dune,Frank Herbert,9.99,,5,Science Fiction,classic|desert\n"  # 2 created
            "New Old,Writer,12.50," + isbn13(1) + ",7,,\n"  # 3 updates the book with that ISBN
            ",Nobody,1.00,,,,\n"  # 4 no title
            "Cheap,Someone,-1,,,,\n"  # 5 negative price
            "KNOWN,someone,3.00,,,,\n"  # 6 duplicate of a stored book (case-insensitive)
            "dune,FRANK HERBERT,4.00,,,,\n"  # 7 duplicate of line 2
            "Bad ISBN,X,1.00,9780000000001,,,\n"  # 8 wrong check digit
            "Short,row\n"  # 9 wrong field count
            "Emma,Jane Austen,5.00,,,science fiction,\n"  # 10 created, same genre
        ).encode()
    )
    progress = await import_bytes(memory_services, data)
    assert progress.status is ImportStatus.COMPLETED
    assert (progress.total_rows, progress.processed_rows) == (9, 9)
    assert (progress.created, progress.updated, progress.failed_rows) == (2, 1, 6)
    assert [error.line for error in progress.errors] == [4, 5, 6, 7, 8, 9]
    messages = {error.line: error.message for error in progress.errors}
    assert messages[4].startswith("title:")
    assert messages[5].startswith("price:")
    assert "duplicate" in messages[6]
    assert "line 2" in messages[7]
    assert "check digit" in messages[8]
    assert "fields" in messages[9]
    books = {book.title: book for book in await stored_books(memory_services)}
    assert set(books) == {"Dune", "Emma", "Known", "New Old"}
    assert books["New Old"].stock == 7
    assert books["New Old"].price.amount == 12.5
    assert books["Dune"].tags == ["classic", "desert"]
    assert books["Dune"].genre == books["Emma"].genre
    assert books["Dune"].genre is not None
    assert books["Dune"].genre.name == "Science Fiction"
    assert progress.started_at is not None
    assert progress.finished_at is not None


async def test_quoted_fields_with_commas_and_newlines_keep_line_numbers(memory_services: Services) -> None:
    data = (
        b"title,author,price,description\n"
        b'"War, and Peace",Tolstoy,10.00,"Long,\nvery long\nbook"\n'  # lines 2-4
        b"Broken,Someone,abc,\n"  # line 5
        b'"Multi\nline title",Someone,1.00,\n'  # lines 6-7
        b"Also broken,,1.00,\n"  # line 8
    )
    progress = await import_bytes(memory_services, data)
    assert [error.line for error in progress.errors] == [5, 8]
    books = {book.title: book for book in await stored_books(memory_services)}
    assert books["War, and Peace"].description == "Long,\nvery long\nbook"
    assert "Multi\nline title" in books


@pytest.mark.parametrize("size", [1, 2, 5, 4096])
async def test_a_bom_and_windows_line_endings_are_understood(memory_services: Services, size: int) -> None:
    data = '\ufefftitle,author,price\r\nÉmile,Zola,3.00\r\n"Two\r\nlines",X,oops\r\nLast,Y,1.00'.encode()
    started = await memory_services.imports.start(StartImport("w.csv", stream(data, size)), enqueue=False)
    progress = await memory_services.imports.run(started.id)
    assert progress is not None
    assert progress.errors == [RowError(3, "price: must be a decimal number")]
    assert (progress.created, progress.total_rows) == (2, 3)
    assert {b.title for b in await stored_books(memory_services)} == {"Émile", "Last"}


async def test_an_empty_file_is_refused_at_upload(memory_services: Services) -> None:
    with pytest.raises(InvalidField, match="empty"):
        await memory_services.imports.start(StartImport("e.csv", stream(b"")), enqueue=False)


async def test_a_header_only_file_completes_with_nothing_to_do(memory_services: Services) -> None:
    progress = await import_bytes(memory_services, b"title,author,price\n")
    assert progress.status is ImportStatus.COMPLETED
    assert (progress.total_rows, progress.processed_rows, progress.created) == (0, 0, 0)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"title,price\nDune,3.00\n", "author"),
        (b"Dune,Frank Herbert,9.99\n", "title, author, price"),
        (b"title,author,price\nD\xfcne,X,1.00\n", "UTF-8"),
        (b"title,author,price,title\n", "repeats"),
    ],
)
async def test_a_file_without_the_required_header_or_not_utf8_is_refused(
    memory_services: Services, data: bytes, match: str
) -> None:
    with pytest.raises(InvalidField, match=match):
        await memory_services.imports.start(StartImport("x.csv", stream(data)), enqueue=False)
    async with memory_services.uow(read_only=True) as uow:
        assert not uow.table("import_files")  # type: ignore[attr-defined]


async def test_a_file_over_the_limit_is_refused_while_it_streams(memory_services: Services) -> None:
    limit = memory_services.policy.import_max_bytes
    sent = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b"title,author,price\n"
        while True:
            sent += 1024 * 1024
            yield b"x" * 1024 * 1024

    with pytest.raises(PayloadTooLarge):
        await memory_services.imports.start(StartImport("big.csv", endless()), enqueue=False)
    assert sent <= limit + 2 * 1024 * 1024


async def test_rows_are_validated_one_by_one(memory_services: Services) -> None:
    data = (
        "title,author,price,publication_date,stock,pages,language\n"
        "A,X,1.00,2020-13-01,,,\n"
        "B,X,1.00,20200101,,,\n"
        "C,X,1.00,,2147483648,,\n"
        "D,X,1.00,,,-3,\n"
        "E,X,1.00,,,," + "l" * 36 + "\n"
        "F," + "a" * 301 + ",1.00,,,,\n"
        "G,X,1.00,2020-02-29,2147483647,0,pt-BR\n"
    ).encode()
    progress = await import_bytes(memory_services, data)
    assert [(e.line, e.message.split(":")[0]) for e in progress.errors] == [
        (2, "publication_date"),
        (3, "publication_date"),
        (4, "stock"),
        (5, "pages"),
        (6, "language"),
        (7, "author"),
    ]
    assert progress.created == 1


async def test_a_repeated_isbn_in_the_file_updates_the_book_of_the_earlier_line(memory_services: Services) -> None:
    isbn = isbn13(42)
    data = f"title,author,price,isbn,stock\nFirst,X,1.00,{isbn},0\nSecond,X,2.00,{isbn},4\n".encode()
    progress = await import_bytes(memory_services, data)
    assert (progress.created, progress.updated, progress.failed_rows) == (1, 1, 0)
    books = await stored_books(memory_services)
    assert [(b.title, b.stock) for b in books] == [("Second", 4)]


async def test_a_file_imported_again_changes_only_the_books_whose_rows_differ(
    memory_services: Services, clock: FakeClock
) -> None:
    data = (
        "title,author,price,isbn,stock,genre,tags,pages\n"
        f"Dune,Frank Herbert,9.99,{isbn13(7)},3,Science Fiction,desert|classic,412\n"
        f"Emma,Jane Austen,5.00,{isbn13(8)},0,,,\n"
    )
    await import_bytes(memory_services, data.encode())
    first = {book.title: book.updated_at for book in await stored_books(memory_services)}
    clock.advance(hours=1)
    again = await import_bytes(memory_services, data.replace("5.00", "6.00").encode())
    assert (again.created, again.updated, again.failed_rows) == (0, 2, 0)
    after = {book.title: (book.updated_at, str(book.price)) for book in await stored_books(memory_services)}
    assert after == {"Dune": (first["Dune"], "9.99"), "Emma": (clock.now(), "6.00")}


async def test_stock_going_from_zero_emits_back_in_stock_in_the_batch_transaction(
    test_settings: Settings, clock: FakeClock
) -> None:
    seen: list[DomainEvent] = []

    async def record(uow: UnitOfWork, event: DomainEvent) -> None:
        seen.append(event)

    services = fake_services(test_settings, clock=clock, handlers={BackInStock: [record]})
    empty = await add_book(services, title="Gone", author="X", isbn=isbn13(5), stock=0)
    stocked = await add_book(services, title="Here", author="X", isbn=isbn13(6), stock=2)
    data = f"title,author,price,isbn,stock\nGone,X,1.00,{isbn13(5)},3\nHere,X,1.00,{isbn13(6)},9\n".encode()
    progress = await import_bytes(services, data)
    assert progress.updated == 2
    assert seen == [BackInStock(empty.id)]
    assert stocked.id not in {getattr(e, "book_id", None) for e in seen}
    await services.aclose()


async def test_only_the_first_thousand_errors_are_kept_but_all_are_counted(memory_services: Services) -> None:
    data = ("title,author,price\n" + "x,y,bad\n" * 1205).encode()
    progress = await import_bytes(memory_services, data)
    assert progress.failed_rows == 1205
    assert len(progress.errors) == 1000
    assert progress.errors[-1].line == 1001


async def test_a_running_import_whose_worker_stopped_reads_as_failed(
    memory_services: Services, clock: FakeClock
) -> None:
    started = await memory_services.imports.start(StartImport("s.csv", stream(b"title,author,price\n")), enqueue=False)
    progress = await memory_services.imports.get(started.id)
    progress.start(clock.now())
    await memory_services.imports.progress.save(progress)
    clock.advance(seconds=memory_services.policy.import_lease_seconds - 1)
    assert (await memory_services.imports.get(started.id)).status is ImportStatus.RUNNING
    clock.advance(seconds=2)
    seen = await memory_services.imports.get(started.id)
    assert seen.status is ImportStatus.FAILED
    assert seen.reason is not None
    assert "stopped" in seen.reason
    # The redelivered message records the failure for good and drops the stored file.
    final = await memory_services.imports.run(started.id)
    assert final is not None
    assert final.status is ImportStatus.FAILED
    async with memory_services.uow(read_only=True) as uow:
        assert not uow.table("import_files")  # type: ignore[attr-defined]


async def test_the_uploaded_file_is_removed_after_the_import(memory_services: Services, tmp_path: Path) -> None:
    await import_bytes(memory_services, b"title,author,price\nA,B,1.00\n")
    async with memory_services.uow(read_only=True) as uow:
        assert not uow.table("import_files")  # type: ignore[attr-defined]


# --- the pipeline: batches are read while the previous one is written ---


@pytest.fixture
async def small_batches(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Services]:
    """Batches of 3 rows, so that a short file runs through the pipeline many times."""
    services = fake_services(
        make_settings(tmp_path / "var", import_batch_size=3),
        clock=clock,
    )
    yield services
    await services.aclose()


def _rows(count: int, *, bad_every: int = 0) -> str:
    lines = []
    for n in range(count):
        price = "oops" if bad_every and n % bad_every == bad_every - 1 else "1.00"
        lines.append(f"Book {n},Author,{price},{isbn13(n) if n % 2 else ''}")
    return "title,author,price,isbn\n" + "\n".join(lines) + "\n"


async def test_batches_keep_their_line_numbers_counts_and_progress_order(small_batches: Services) -> None:
    data = _rows(20, bad_every=4).encode()  # lines 5, 9, 13, 17 and 21 are bad
    started = await small_batches.imports.start(StartImport("p.csv", stream(data, 16)), enqueue=False)
    seen: list[tuple[str, int, int, list[int]]] = []

    async def record(progress: ImportProgress) -> None:
        seen.append((progress.status, progress.processed_rows, progress.failed_rows, [e.line for e in progress.errors]))

    progress = await small_batches.imports.run(started.id, on_progress=record)
    assert progress is not None
    assert progress.status is ImportStatus.COMPLETED
    assert (progress.total_rows, progress.processed_rows) == (20, 20)
    assert (progress.created, progress.failed_rows) == (15, 5)
    assert [error.line for error in progress.errors] == [5, 9, 13, 17, 21]
    running = [processed for status, processed, _, _ in seen if status == ImportStatus.RUNNING]
    assert running == [3, 6, 9, 12, 15, 18, 20]  # one call per batch, in file order
    assert seen[-1][0] == ImportStatus.COMPLETED


async def test_a_repeated_isbn_in_a_later_batch_updates_the_book_of_the_earlier_one(small_batches: Services) -> None:
    isbn = isbn13(7)
    data = (
        f"title,author,price,isbn,stock\nFirst,X,1.00,{isbn},0\nA,X,1.00,,\nB,X,1.00,,\nC,X,1.00,,\n"
        f"Again,X,2.00,{isbn},5\nA,X,1.00,,\n"
    ).encode()
    progress = await import_bytes(small_batches, data)
    assert (progress.created, progress.updated, progress.failed_rows) == (4, 1, 1)
    assert progress.errors[0].line == 7
    assert "duplicate" in progress.errors[0].message  # "A" was written by the batch before
    titles = {book.title: book for book in await stored_books(small_batches)}
    assert titles["Again"].stock == 5
    assert "First" not in titles


class _Parsed:
    """How many rows the import has read so far."""

    rows = 0


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> _Parsed:
    counter = _Parsed()
    read = RowReader.read

    def counting(self: RowReader, cells: Sequence[str]) -> BookRecord:
        counter.rows += 1
        return read(self, cells)

    monkeypatch.setattr(RowReader, "read", counting)
    return counter


async def test_the_reader_stays_at_most_a_batch_ahead_of_a_slow_writer(
    small_batches: Services, parsed: _Parsed, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = 0
    ahead: list[int] = []
    insert = MemoryBookImport.insert

    async def slow(self: MemoryBookImport, books: Sequence[Book]) -> None:
        nonlocal written
        await asyncio.sleep(0.01)  # the database is busy: the reader goes on meanwhile
        ahead.append(parsed.rows - written)
        await insert(self, books)
        written += len(books)

    monkeypatch.setattr(MemoryBookImport, "insert", slow)
    progress = await import_bytes(small_batches, _rows(30).encode())
    assert progress.created == 30
    assert max(ahead) > 3  # the next batch was read while this one was written
    # those being written, one waiting for a lane, those queued and the one being read
    assert max(ahead) <= 3 * (small_batches.policy.import_lanes + run_module.AHEAD + 2)


def _failing_inserts(
    monkeypatch: pytest.MonkeyPatch, *, on_call: int, error: Exception, delay: float = 0
) -> FailingWrites:
    """Makes the `on_call`-th call of MemoryBookImport.insert raise `error`, `delay` seconds in."""
    fails = FailingWrites(error, on_calls={on_call}, delay=delay)
    monkeypatch.setattr(MemoryBookImport, "insert", fails.wrap(MemoryBookImport.insert))
    return fails


async def test_a_conflicting_batch_is_retried_and_counted_once(
    small_batches: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    inserts = _failing_inserts(
        monkeypatch, on_call=2, error=ImportConflict("a book of the batch was written meanwhile")
    )
    progress = await import_bytes(small_batches, _rows(9).encode())
    assert (progress.created, progress.processed_rows, progress.failed_rows) == (9, 9, 0)
    assert inserts.calls == 4
    assert len(await stored_books(small_batches)) == 9


async def test_a_batch_retried_after_a_conflict_sees_the_books_as_they_were_before_later_batches(
    small_batches: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first batch loses its turn to a conflict; the second, which renames a book, must not commit
    before it, or the retried first batch would no longer find that book's old title a duplicate."""
    await add_book(small_batches, title="Dune", author="Frank Herbert", isbn=isbn13(1))
    conflict = ImportConflict("an ISBN of the batch was taken meanwhile")
    _failing_inserts(monkeypatch, on_call=1, error=conflict, delay=0.02)  # the second batch queues meanwhile
    data = (
        "title,author,price,isbn\n"
        "New 1,A,1.00,\n"
        "New 2,A,1.00,\n"
        "Dune,Frank Herbert,1.00,\n"  # line 4: the book as it is before this file
        f"Dune Messiah,Frank Herbert,2.00,{isbn13(1)}\n"  # line 5: renames it
        "New 3,A,1.00,\n"
        "New 4,A,1.00,\n"
    )
    progress = await import_bytes(small_batches, data.encode())
    assert (progress.created, progress.updated, progress.failed_rows) == (4, 1, 1)
    assert [(error.line, error.message.split(":")[0]) for error in progress.errors] == [(4, "duplicate")]
    titles = [book.title for book in await stored_books(small_batches)]
    assert titles == ["Dune Messiah", "New 1", "New 2", "New 3", "New 4"]


async def test_a_batch_that_only_changes_prices_does_not_wait_for_an_earlier_one_to_be_retried(
    small_batches: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Updates that rename nothing change nothing another batch looks up, so the second batch is
    written while the first waits to be retried; the result is that of a sequential import."""
    await add_book(small_batches, title="Dune", author="Frank Herbert", isbn=isbn13(1), price=Money.of("5.00"))
    written: list[str] = []
    update = MemoryBookImport.update

    async def logged(repo: MemoryBookImport, books: Sequence[Book]) -> None:
        written.extend(f"update {book.title}" for book in books)
        await update(repo, books)

    monkeypatch.setattr(MemoryBookImport, "update", logged)
    inserts = _failing_inserts(monkeypatch, on_call=1, error=ImportConflict("taken meanwhile"), delay=0.02)
    insert = MemoryBookImport.insert

    async def logged_insert(repo: MemoryBookImport, books: Sequence[Book]) -> None:
        await insert(repo, books)
        written.extend(f"insert {book.title}" for book in books)

    monkeypatch.setattr(MemoryBookImport, "insert", logged_insert)
    data = (
        "title,author,price,isbn\n"
        "New 1,A,1.00,\n"
        "New 2,A,1.00,\n"
        "New 3,A,1.00,\n"
        f"Dune,frank herbert,7.00,{isbn13(1)}\n"  # line 5: a new price (and case), no new title
        "New 4,A,1.00,\n"
        "Dune,Frank Herbert,1.00,\n"  # line 7: a duplicate, before this file and after it
    )
    progress = await import_bytes(small_batches, data.encode())
    assert (progress.created, progress.updated, progress.failed_rows) == (4, 1, 1)
    assert [(error.line, error.message.split(":")[0]) for error in progress.errors] == [(7, "duplicate")]
    assert inserts.calls == 3  # the first batch lost its first turn and was retried after the second
    assert written.index("update Dune") < written.index("insert New 1")
    books = {book.title: book for book in await stored_books(small_batches)}
    assert (books["Dune"].author, books["Dune"].price) == ("frank herbert", Money.of("7.00"))


async def test_a_writer_that_fails_stops_the_reader_and_keeps_the_batches_before(
    small_batches: Services, parsed: _Parsed, monkeypatch: pytest.MonkeyPatch
) -> None:
    _failing_inserts(monkeypatch, on_call=3, error=RuntimeError("the database went away"))
    progress = await import_bytes(small_batches, _rows(300).encode())
    assert progress.status is ImportStatus.FAILED
    assert progress.reason is not None
    assert "RuntimeError" in progress.reason
    assert (progress.processed_rows, progress.created) == (6, 6)
    assert len(await stored_books(small_batches)) == 6
    assert parsed.rows < 30  # the reader stopped too


class _Lanes:
    """Stands in for the database: records when each batch starts and ends; later ones may end first."""

    def __init__(self, slow: set[str]) -> None:
        self.slow = slow
        self.log: list[tuple[str, str]] = []

    async def write(
        self, rows: list[tuple[int, BookRecord]], clear: asyncio.Event, earlier: object
    ) -> tuple[int, int, list[RowError]]:
        first = rows[0][1].title
        self.log.append(("start", first))
        await asyncio.sleep(0.005)  # its lookups
        clear.set()
        await asyncio.sleep(0.05 if first in self.slow else 0.001)
        self.log.append(("end", first))
        return len(rows), 0, []


async def test_batches_are_written_several_at_a_time_and_counted_in_file_order(
    small_batches: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    lanes = _Lanes(slow={"Book 0"})
    monkeypatch.setattr(writer_module.BatchWriter, "_write", lanes.write)
    started = await small_batches.imports.start(StartImport("l.csv", stream(_rows(9).encode())), enqueue=False)
    counts: list[int] = []

    async def record(progress: ImportProgress) -> None:
        counts.append(progress.processed_rows)

    progress = await small_batches.imports.run(started.id, on_progress=record)
    assert progress is not None
    assert progress.created == 9
    assert counts == [3, 6, 9, 9]
    log = lanes.log
    assert log.index(("start", "Book 3")) < log.index(("end", "Book 0"))  # written at the same time
    assert log.index(("end", "Book 3")) < log.index(("end", "Book 0"))  # and done first, yet counted after


async def test_a_batch_sharing_a_title_and_author_waits_for_the_batch_before(
    small_batches: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    lanes = _Lanes(slow={"First"})
    monkeypatch.setattr(writer_module.BatchWriter, "_write", lanes.write)
    data = "title,author,price\nFirst,X,1.00\nB,X,1.00\nC,X,1.00\nSecond,X,1.00\nb,x,2.00\nD,X,1.00\n"
    await import_bytes(small_batches, data.encode())
    assert lanes.log.index(("end", "First")) < lanes.log.index(("start", "Second"))


def test_the_collector_is_eased_only_while_imports_run() -> None:
    gc.unfreeze()
    before = gc.get_threshold()
    with heap.collector_eased():
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] >= heap.IMPORT_GC_THRESHOLD
        with heap.collector_eased():  # a second import at the same time
            pass
        assert gc.get_freeze_count() > 0  # the first still runs
        assert gc.get_threshold()[0] >= heap.IMPORT_GC_THRESHOLD
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before
