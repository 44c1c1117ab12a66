"""Running a long import once, the same way for the catalog's CSV import and a reader's library import."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from application.ports.clock import Clock
from domain.errors import InvalidField
from domain.imports import ImportBusy, ImportLifecycle, ImportStatus

log = logging.getLogger(__name__)


async def run_once[Record: ImportLifecycle](
    record: Record,
    *,
    clock: Clock,
    lease: timedelta,
    save: Callable[[Record], Awaitable[None]],
    work: Callable[[Record], Awaitable[None]],
    finish: Callable[[Record], Awaitable[None]],
    what: str,
) -> Record:
    """Runs a pending import: a finished one is left alone (a redelivered message is harmless), one running
    elsewhere raises ImportBusy (retried later), one whose worker died is marked failed, never resumed
    blindly. A refused file fails it with the refusal; any other error with its kind only."""
    if record.finished:
        return record
    now = clock.now()
    if record.status is ImportStatus.RUNNING:
        if not record.stalled(now, lease):
            raise ImportBusy("another worker is running this import")
        record.give_up()
        await finish(record)
        return record
    record.start(now)
    await save(record)
    try:
        await work(record)
        record.complete(clock.now())
    except InvalidField as exc:
        record.fail(exc.message, clock.now())
    except Exception as exc:
        log.exception("%s failed", what)
        record.fail(f"the import stopped on an internal error ({type(exc).__name__})", clock.now())
    await finish(record)
    return record
