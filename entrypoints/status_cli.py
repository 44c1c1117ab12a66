"""`folio status`: the worker status in the terminal, once or refreshed (`--watch`)."""

from __future__ import annotations

import asyncio
from datetime import datetime

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from application.operations.status import WorkerStatus
from entrypoints.bootstrap import Services


def _ago(at: datetime | None, now: datetime) -> str:
    return "-" if at is None else f"{max((now - at).total_seconds(), 0):.1f}s ago"


def render(status: WorkerStatus, *, embedded: bool = False) -> Group:
    workers = Table(title="Workers", title_justify="left")
    workers.add_column("worker", no_wrap=True, min_width=8)
    for column in ("host", "pid", "alive", "last heartbeat", "processed", "failed", "retried", "running"):
        workers.add_column(column)
    for w in status.workers:
        alive = Text("yes", style="green") if w.alive else Text("no", style="red")
        workers.add_row(
            w.id[:8], w.host, str(w.pid), alive, _ago(w.last_heartbeat, status.at),
            str(w.processed), str(w.failed), str(w.retried), str(w.in_progress),
        )  # fmt: skip
    queues = Table(title="Queues", title_justify="left")
    for column in ("queue", "ready", "delayed", "dead"):
        queues.add_column(column)
    for q in status.queues:
        queues.add_row(q.name, str(q.ready), str(q.delayed), str(q.dead))
    imports = Table(title="Imports in progress", title_justify="left")
    for column in ("import", "file", "status", "rows", "failed rows"):
        imports.add_column(column)
    for p in status.imports:
        rows = f"{p.processed_rows}/{p.total_rows}" if p.total_rows else str(p.processed_rows)
        imports.add_row(str(p.id)[:8], p.filename, p.status.value, rows, str(p.failed_rows))
    parts: list[Table | Text] = [workers]
    if not status.workers:
        hint = (
            "no worker: without FOLIO_VALKEY_URL the worker runs inside `folio serve` (see /admin/)"
            if embedded
            else "no worker is running: start `folio worker`"
        )
        parts.append(Text(hint, style="yellow"))
    outbox = Text(f"Outbox: {status.outbox.pending} pending, {status.outbox.failed} failed")
    if status.outbox.failed:
        outbox.append("  (folio mail failed · folio mail retry ID)", style="yellow")
    parts += [queues, outbox, imports, Text(f"at {status.at.isoformat(timespec='seconds')}", style="dim")]
    return Group(*parts)


async def show_status(services: Services, *, watch: bool, interval: float, console: Console | None = None) -> None:
    console = console or Console()
    embedded = services.settings.valkey_url is None
    try:
        if not watch:
            console.print(render(await services.operations.status(), embedded=embedded))
            return
        with Live(console=console, auto_refresh=False) as live:
            while True:
                live.update(render(await services.operations.status(), embedded=embedded), refresh=True)
                await asyncio.sleep(interval)
    finally:
        await services.aclose()
