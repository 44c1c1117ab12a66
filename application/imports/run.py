"""RunImport: reads a stored upload row by row and writes the books in batches, one transaction each."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterable, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from application.imports.batches import Batch, batches
from application.imports.lifecycle import run_once
from application.imports.start import stored_chunks
from application.imports.writer import BatchWriter, Written
from application.ports.clock import Clock
from application.ports.imports import ImportProgressStore
from application.ports.uow import UowFactory
from domain.imports import ImportProgress

log = logging.getLogger(__name__)

#: Called after each batch with the progress so far (the command line draws its bar with it).
ProgressCallback = Callable[[ImportProgress], Awaitable[None]]
#: Batches read ahead of those being written.
AHEAD = 2


@dataclass(frozen=True, slots=True)
class RunImport:
    import_id: UUID


class RunImportHandler:
    def __init__(
        self,
        *,
        uow: UowFactory,
        clock: Clock,
        progress: ImportProgressStore,
        batch_size: int,
        lanes: int,
        lease: timedelta,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._store = progress
        self._batch_size = batch_size
        self._lanes = lanes
        self._lease = lease
        self._on_progress = on_progress

    async def __call__(self, cmd: RunImport) -> ImportProgress | None:
        """Runs a pending import once; a finished one is left alone, so a redelivered message is harmless."""
        progress = await self._store.get(cmd.import_id)
        if progress is None:
            log.warning("import %s: no progress record (expired or never made)", cmd.import_id)
            return None
        return await run_once(
            progress,
            clock=self._clock,
            lease=self._lease,
            save=self._store.save,
            work=lambda p: self._import(p, stored_chunks(self._uow, p.id)),
            finish=self._finish,
            what=f"import {progress.id}",
        )

    async def _finish(self, progress: ImportProgress) -> None:
        await self._store.save(progress)
        async with self._uow() as uow:
            await uow.import_files.delete(progress.id)
            await uow.commit()
        if self._on_progress is not None:
            await self._on_progress(progress)

    async def _import(self, progress: ImportProgress, chunks: AsyncIterable[bytes]) -> None:
        """Reads and checks the next batches while the writers write the last ones, as one pipeline.

        The batches, their transactions and their results are those of writing one after the other;
        progress moves on in file order. At most `AHEAD` batches wait for the writers, so memory
        stays flat whatever the size of the file.
        """
        queue: asyncio.Queue[Batch | None] = asyncio.Queue(maxsize=AHEAD)

        async def save(written: Written) -> None:
            await self._save(progress, written)

        writer = asyncio.create_task(
            BatchWriter(uow=self._uow, clock=self._clock, lanes=self._lanes, on_written=save).write_all(queue)
        )
        try:
            async with aclosing(batches(chunks, self._batch_size)) as read:
                async for batch in read:
                    if not await _hand_over(queue, batch, writer):
                        break  # the writer stopped: its error is raised below
        except Exception:
            # A fault further on in the file: the batches read before it are written first, as before.
            await _hand_over(queue, None, writer)
            await writer
            raise
        except BaseException:
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)
            raise
        await _hand_over(queue, None, writer)
        await writer

    async def _save(self, progress: ImportProgress, written: Written) -> None:
        progress.rows_failed(written.errors)
        progress.rows_written(created=written.created, updated=written.updated, now=self._clock.now())
        await self._store.save(progress)
        if self._on_progress is not None:
            await self._on_progress(progress)


async def _hand_over(queue: asyncio.Queue[Batch | None], batch: Batch | None, writer: asyncio.Task[None]) -> bool:
    """Queues a batch (None: the end) for the writer; False if the writer has stopped."""
    if writer.done():
        return False
    if not queue.full():
        queue.put_nowait(batch)
        return True
    put = asyncio.ensure_future(queue.put(batch))
    try:
        await asyncio.wait((put, writer), return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not put.done():
            put.cancel()
    return put.done() and not put.cancelled()
