"""Rows into batches: the stored file read row by row, checked, and cut into one batch per transaction."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterable
from dataclasses import dataclass

from application.imports.records import read_records
from domain.errors import DomainError, InvalidField
from domain.imports import BookRecord, RowError, RowReader

#: Rows read between two chances for the writers to run.
YIELD_EVERY = 8


@dataclass(slots=True)
class Batch:
    rows: list[tuple[int, BookRecord]]
    errors: list[RowError]
    isbns: set[str]

    @classmethod
    def empty(cls) -> Batch:
        return cls([], [], set())

    def __len__(self) -> int:
        return len(self.rows) + len(self.errors)


async def batches(chunks: AsyncIterable[bytes], size: int) -> AsyncGenerator[Batch]:
    """The rows in batches: a batch ends at `size` rows, or before an ISBN it already has."""
    reader: RowReader | None = None
    batch = Batch.empty()
    count = 0
    async for line, cells, error in read_records(chunks):
        if reader is None:
            if cells is None:
                raise InvalidField("file", "the header row could not be read as CSV")
            reader = RowReader(cells)
            continue
        row_error, record = _parse(reader, cells, error)
        if record is not None and record.isbn in batch.isbns:
            yield batch  # a repeated ISBN updates the book of the earlier line
            batch = Batch.empty()
        if record is None:
            batch.errors.append(RowError(line, row_error or "invalid row"))
        else:
            batch.rows.append((line, record))
            if record.isbn:
                batch.isbns.add(record.isbn)
        if len(batch) >= size:
            yield batch
            batch = Batch.empty()
        count += 1
        if count % YIELD_EVERY == 0:
            await asyncio.sleep(0)  # lets the writers go on as soon as the database answers
    if reader is None:
        raise InvalidField("file", "the file is empty: it needs a header row")
    if len(batch):
        yield batch


def _parse(reader: RowReader, cells: list[str] | None, error: str | None) -> tuple[str | None, BookRecord | None]:
    if cells is None:
        return error, None
    if len(cells) != len(reader.columns):
        return f"the row has {len(cells)} fields; the header has {len(reader.columns)}", None
    try:
        return None, reader.read(cells)
    except DomainError as exc:
        message = f"{exc.field}: {exc.message}" if isinstance(exc, InvalidField) else exc.detail
        return message, None


def drop_repeats(rows: list[tuple[int, BookRecord]], errors: list[RowError]) -> list[tuple[int, BookRecord]]:
    """Rows without ISBN whose title and author an earlier row of the batch already has are duplicates."""
    first: dict[tuple[str, str], int] = {}
    kept = []
    for line, record in rows:
        key = record.key
        earlier = first.get(key)
        if earlier is not None and not record.isbn:
            errors.append(RowError(line, f"duplicate: same title and author as line {earlier}"))
            continue
        if earlier is None:
            first[key] = line
        kept.append((line, record))
    return kept
