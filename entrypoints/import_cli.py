"""`folio books import FILE`: the import use cases run in this process, drawn with a rich progress bar."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from adapters.memory.imports import MemoryImportProgressStore
from adapters.sql.engine import make_engine
from adapters.sql.uow import SqlUowFactory
from adapters.system import SystemClock
from application.events import after_commit_subscribers, catalog_import_handlers
from application.imports.service import ImportService
from application.imports.start import StartImport
from application.ports.imports import ImportProgressStore
from application.ports.outbox import Publisher, PublishError
from domain.errors import DomainError
from domain.imports import ImportProgress, ImportStatus
from entrypoints.catalog_cache import catalog_cache
from entrypoints.connections import connection_budget
from entrypoints.heap import collector_eased
from entrypoints.policy import policy_from
from entrypoints.settings import Settings

if TYPE_CHECKING:
    from valkey.asyncio import Valkey

_SHOWN_ERRORS = 20


class _NoQueue:
    """The command line runs the import itself."""

    async def enqueue(self, import_id: UUID) -> None:
        return None


class _NoWorker:
    """Without Valkey no worker could take a mail from this process: the rows stay for the relay of
    the next process that runs one (as the composition root's publisher does with no worker running)."""

    async def publish(self, message_ids: Sequence[UUID]) -> None:
        raise PublishError("no worker is running in this process")


def import_service(settings: Settings) -> tuple[ImportService, Callable[[], Awaitable[None]]]:
    """What `entrypoints.bootstrap` wires for an import run here, and nothing else (no HTTP app,
    identity providers, catalog read pools; Valkey and Dramatiq only when configured): starting the
    whole composition root was most of a small file's import. With it, the service and its closer."""
    engine = make_engine(settings.database_url, pool=connection_budget(settings).write)
    closers: list[Callable[[], Awaitable[None]]] = [engine.dispose]
    uow = SqlUowFactory(engine, handlers=catalog_import_handlers())
    clock = SystemClock()
    progress: ImportProgressStore = MemoryImportProgressStore()
    publisher: Publisher = _NoWorker()
    valkey: Valkey | None = None
    if settings.valkey_url is not None:  # the servers' shared cache, progress records and mail queue
        from adapters.valkey.client import make_client
        from adapters.valkey.imports import ValkeyImportProgressStore
        from entrypoints.worker.wiring import build_mail

        valkey = make_client(settings.valkey_url)
        closers.append(valkey.aclose)
        progress = ValkeyImportProgressStore(valkey, settings.valkey_prefix)
        publisher = build_mail(settings, publisher=None, mailer=None).ports.publisher
    cache = catalog_cache(settings, valkey, closers, in_process=False)  # an in-process one would have no reader
    uow.subscribers = after_commit_subscribers(publisher=publisher, catalog_cache=cache)

    async def aclose() -> None:
        for close in reversed(closers):
            await close()

    service = ImportService(uow=uow, clock=clock, progress=progress, queue=_NoQueue(), policy=policy_from(settings))
    return service, aclose


async def _read(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as source:
        while chunk := source.read(256 * 1024):
            yield chunk


def _summary(console: Console, progress: ImportProgress) -> None:
    console.print(
        f"{progress.filename}: {progress.status} - {progress.total_rows} rows: {progress.created} created, "
        f"{progress.updated} updated, {progress.failed_rows} failed"
    )
    if progress.reason:
        console.print(f"[red]{progress.reason}[/red]")
    for error in progress.errors[:_SHOWN_ERRORS]:
        console.print(f"  line {error.line}: {error.message}", markup=False)
    if progress.failed_rows > _SHOWN_ERRORS:
        console.print(f"  ... and {progress.failed_rows - _SHOWN_ERRORS} more")


async def run_import_file(settings: Settings, path: Path) -> int:
    """Exit status: 0 when every row was imported, 1 when some rows failed, 2 when the import did not run."""
    console = Console(stderr=True)
    imports, aclose = import_service(settings)
    try:
        try:
            started = await imports.start(StartImport(path.name, _read(path)))
        except DomainError as exc:
            console.print(f"[red]{path}: {exc.detail}[/red]")
            return 2
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as bar:
            task = bar.add_task(path.name, total=started.total_rows)

            async def advance(progress: ImportProgress) -> None:
                bar.update(task, completed=progress.processed_rows)

            with collector_eased():
                final = await imports.run(started.id, on_progress=advance)
    finally:
        await aclose()
    assert final is not None
    _summary(Console(), final)
    if final.status is not ImportStatus.COMPLETED:
        return 2
    return 1 if final.failed_rows else 0
