"""`folio books import FILE`: the import use cases run in this process, drawn with a rich progress bar."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from uuid import UUID

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from application.imports.start import StartImport
from domain.errors import DomainError
from domain.imports import ImportProgress, ImportStatus
from entrypoints.bootstrap import bootstrap
from entrypoints.heap import collector_eased
from entrypoints.settings import Settings

_SHOWN_ERRORS = 20


class _NoQueue:
    """The command line runs the import itself."""

    async def enqueue(self, import_id: UUID) -> None:
        return None


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
    services = bootstrap(settings, import_queue=_NoQueue())
    try:
        try:
            started = await services.imports.start(StartImport(path.name, _read(path)))
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
                final = await services.imports.run(started.id, on_progress=advance)
    finally:
        await services.aclose()
    assert final is not None
    _summary(Console(), final)
    if final.status is not ImportStatus.COMPLETED:
        return 2
    return 1 if final.failed_rows else 0
