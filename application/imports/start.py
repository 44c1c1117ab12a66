"""StartImport: checks an upload as it streams in, stores it for any worker, and queues the import."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable
from dataclasses import dataclass
from uuid import UUID, uuid4

from application.imports.records import read_records
from application.ports.clock import Clock
from application.ports.imports import ImportProgressStore, ImportQueue
from application.ports.uow import UowFactory
from domain.errors import InvalidField
from domain.imports import REQUIRED_COLUMNS, ImportProgress, PayloadTooLarge, parse_header

#: Stored chunk size: big enough for few rows, small enough that no process holds a whole file.
CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class StartImport:
    filename: str
    chunks: AsyncIterable[bytes]


class StartImportHandler:
    def __init__(
        self,
        *,
        uow: UowFactory,
        clock: Clock,
        progress: ImportProgressStore,
        queue: ImportQueue | None,
        max_bytes: int,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._progress = progress
        self._queue = queue
        self._max_bytes = max_bytes

    async def __call__(self, cmd: StartImport) -> ImportProgress:
        import_id = uuid4()
        try:
            total = await self._check_and_store(import_id, cmd.chunks)
        except BaseException:
            await self._delete(import_id)
            raise
        progress = ImportProgress(import_id, cmd.filename[:255], self._clock.now(), total_rows=total)
        await self._progress.save(progress)
        if self._queue is not None:
            await self._queue.enqueue(import_id)
        return progress

    async def _check_and_store(self, import_id: UUID, chunks: AsyncIterable[bytes]) -> int:
        _header, total = await store_upload(
            self._uow, import_id, chunks, max_bytes=self._max_bytes, read_header=parse_header
        )
        return total

    async def _delete(self, import_id: UUID) -> None:
        await delete_upload(self._uow, import_id)


async def store_upload[Header](
    uow_factory: UowFactory,
    import_id: UUID,
    chunks: AsyncIterable[bytes],
    *,
    max_bytes: int,
    read_header: Callable[[list[str]], Header],
) -> tuple[Header, int]:
    """Checks an upload as it streams in (UTF-8, a header `read_header` accepts, the size) while storing it
    in chunks for any worker; returns what `read_header` made of the header and the number of rows."""
    header: Header | None = None
    total = 0
    async for _line, cells, _error in read_records(_store(uow_factory, import_id, chunks, max_bytes)):
        if header is None and cells is not None:
            header = read_header(cells)
        elif header is None:
            raise InvalidField("file", "the header row could not be read as CSV")
        else:
            total += 1
    if header is None:
        columns = ", ".join(REQUIRED_COLUMNS) if read_header is parse_header else "the export's columns"
        raise InvalidField("file", f"the file is empty: it needs a header row naming at least {columns}")
    return header, total


async def _store(
    uow_factory: UowFactory, import_id: UUID, chunks: AsyncIterable[bytes], limit: int
) -> AsyncIterator[bytes]:
    """Passes the bytes on while saving them in chunks; past the size limit it stops at once."""
    size, seq, buffer = 0, 0, bytearray()
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the file is over {limit // (1024 * 1024)} MB")
        buffer += chunk
        if len(buffer) >= CHUNK_BYTES:
            await _save_chunk(uow_factory, import_id, seq, bytes(buffer))
            seq, buffer = seq + 1, bytearray()
        yield chunk
    if buffer or seq == 0:
        await _save_chunk(uow_factory, import_id, seq, bytes(buffer))


async def _save_chunk(uow_factory: UowFactory, import_id: UUID, seq: int, data: bytes) -> None:
    # One short transaction per chunk: an upload never holds the (SQLite) writer lock for long.
    async with uow_factory() as uow:
        await uow.import_files.add_chunk(import_id, seq, data)
        await uow.commit()


async def delete_upload(uow_factory: UowFactory, import_id: UUID) -> None:
    async with uow_factory() as uow:
        await uow.import_files.delete(import_id)
        await uow.commit()


async def stored_chunks(uow_factory: UowFactory, import_id: UUID) -> AsyncIterator[bytes]:
    """The stored file, one chunk (and one short read) at a time."""
    seq = 0
    while True:
        async with uow_factory(read_only=True) as uow:
            data = await uow.import_files.chunk(import_id, seq)
        if data is None:
            return
        yield data
        seq += 1
