"""The `folio` command.

Each command imports what it runs when it runs (settings, logging, the server, the database): parsing
the command line imports click alone, and `folio books import` none of the HTTP app's modules.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from entrypoints.settings import Settings

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def _within_budget(settings: Settings, processes: int, what: str) -> int:
    """Caps `processes` at what FOLIO_DB_MAX_CONNECTIONS can serve, and says what they will hold."""
    from entrypoints.connections import connection_budget, workers_within

    allowed = workers_within(settings, processes)
    if allowed < processes:
        click.echo(
            f"FOLIO_DB_MAX_CONNECTIONS={settings.db_max_connections} serves {allowed} of the {processes} "
            f"{what} asked for (each needs 2 connections); running {allowed}",
            err=True,
        )
    message = f"this process will hold {connection_budget(settings, allowed).describe()}"
    click.echo(message, err=True)
    logging.getLogger("folio").info(message)
    return allowed


def _settings(load: Callable[[], Settings] | None = None) -> Settings:
    """The settings (by default `load_settings`), checked; also sets up logging, once per command (never
    at import)."""
    from entrypoints.logs import configure_logging
    from entrypoints.settings import SettingsError, load_settings

    try:
        settings = (load or load_settings)()
    except SettingsError as exc:
        raise click.UsageError(f"bad setting: {exc}") from None
    configure_logging(settings, structlog_loggers=False)  # the commands log through the standard library
    return settings


@click.group()
@click.version_option(package_name="folio", prog_name="folio", message="%(prog)s %(version)s")
def main() -> None:
    """Folio: bookstore, reading tracker and book repository."""


@main.command()
@click.option("--host", default=None, help="Address to bind (FOLIO_HOST, default 127.0.0.1).")
@click.option("--port", default=None, type=click.IntRange(1, 65535), help="Port (FOLIO_PORT, default 8000).")
@click.option("--workers", default=None, type=click.IntRange(1, 256), help="Server processes (default: cores).")
@click.option(
    "--server",
    type=click.Choice(["granian", "uvicorn"]),
    default="granian",
    show_default=True,
    help="ASGI server (granian measured faster here; uvicorn kept as a fallback).",
)
@click.option(
    "--graceful-timeout",
    type=click.IntRange(1, 600),
    help="Seconds to drain requests in flight on SIGTERM [default: FOLIO_GRACEFUL_TIMEOUT, 30].",
)
def serve(host: str | None, port: int | None, workers: int | None, server: str, graceful_timeout: int | None) -> None:
    """Serve the HTTP API."""
    from entrypoints.serving import prepare_metrics_dir, run_server

    if graceful_timeout is not None:
        os.environ["FOLIO_GRACEFUL_TIMEOUT"] = str(graceful_timeout)  # for the worker processes' lifespans
    settings = _settings()
    processes = workers or settings.workers
    if settings.valkey_url is None and processes > 1:
        click.echo("FOLIO_VALKEY_URL is unset: in-process stores need a single process; serving with 1", err=True)
        processes = 1
    if not settings.production and processes > 1:
        click.echo("SQLite is for one process; serving with 1", err=True)
        processes = 1
    if settings.production:
        processes = _within_budget(settings, processes, "FOLIO_WORKERS")
    os.environ["FOLIO_WORKERS"] = str(processes)  # each worker's share of the connection budget
    prepare_metrics_dir(settings.var_dir)
    run_server(server, host or settings.host, port or settings.port, processes, settings.graceful_timeout)


@main.group()
def db() -> None:
    """Database schema."""


def alembic_config(database_url: str) -> object:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = database_url
    return config


def upgrade_database(database_url: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = alembic_config(database_url)
    assert isinstance(config, Config)
    command.upgrade(config, "heads")


@db.command()
def upgrade() -> None:
    """Apply every migration not yet applied (reads only FOLIO_DATABASE_URL and the logging settings)."""
    from entrypoints.settings import load_migration_settings

    settings = _settings(load_migration_settings)
    settings.var_dir.mkdir(parents=True, exist_ok=True)  # where the embedded default's SQLite file lives
    upgrade_database(settings.database_url)
    click.echo("database is up to date")


# --- CSV import ---
@main.group()
def books() -> None:
    """The catalog's books."""


@books.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_books(file: Path) -> None:
    """Import books from a CSV file (same rules as POST /books/import), with a progress bar."""
    from entrypoints.heap import collector_eased, spare_the_exit

    with collector_eased():  # from the start: the imports below are most of a small file's CPU
        from entrypoints.import_cli import run_import_file
        from entrypoints.loops import new_event_loop

        # The loop the worker runs imports on.
        status = asyncio.run(run_import_file(_settings(), file), loop_factory=new_event_loop)
    spare_the_exit()
    sys.exit(status)


# -- catalog ---------------------------------------------------------------------------------------
@main.command()
@click.option("--books", "count", default=1000, type=click.IntRange(1, 10_000_000), help="How many books to add.")
@click.option("--seed", default=7, type=int, help="Random seed (the same seed makes the same catalog).")
def seed(count: int, seed: int) -> None:
    """Fill the catalog with realistic demo books, genres and tags."""
    import asyncio
    import time

    from sqlalchemy import text

    from adapters.sql.engine import make_engine
    from entrypoints.seed import seed_books

    settings = _settings()

    async def run() -> int:
        engine = make_engine(settings.database_url)
        try:
            made = await seed_books(engine, count, seed=seed)
            if engine.dialect.name == "postgresql":
                async with engine.connect() as conn:
                    conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                    await conn.execute(text("VACUUM ANALYZE books"))
            return made
        finally:
            await engine.dispose()

    started = time.perf_counter()
    made = asyncio.run(run())
    click.echo(f"added {made} books in {time.perf_counter() - started:.1f} s")


# --- mail and background work ---


@main.command()
@click.option(
    "--processes", default=None, type=click.IntRange(1, 64), help="Worker processes (FOLIO_WORKER_PROCESSES)."
)
@click.option(
    "--threads", default=None, type=click.IntRange(1, 256), help="Threads per process (FOLIO_WORKER_THREADS)."
)
def worker(processes: int | None, threads: int | None) -> None:
    """Run Dramatiq workers (mail delivery) and the outbox relay timer; needs FOLIO_VALKEY_URL."""
    from dramatiq.cli import main as dramatiq_main
    from dramatiq.cli import make_argument_parser

    settings = _settings()
    if settings.valkey_url is None:
        raise click.UsageError("folio worker needs FOLIO_VALKEY_URL; without it, folio serve runs its own worker")
    count = _within_budget(settings, processes or settings.worker_processes, "FOLIO_WORKER_PROCESSES")
    os.environ["FOLIO_WORKER_PROCESSES"] = str(count)  # each process's share of the connection budget
    if settings.worker_metrics_port:
        from entrypoints.serving import prepare_worker_metrics

        prepare_worker_metrics(settings.var_dir, settings.worker_metrics_host, settings.worker_metrics_port)
    args = make_argument_parser().parse_args(
        [
            "entrypoints.worker.process:broker",
            "--processes",
            str(count),
            "--threads",
            str(threads or settings.worker_threads),
            "--worker-shutdown-timeout",
            str(max(30, 2 * settings.smtp_timeout + 10) * 1000),
        ]
    )
    sys.exit(dramatiq_main(args))


@main.group()
def mail() -> None:
    """Mail delivery: dead letters."""


@mail.command("failed")
@click.option("--limit", default=100, type=click.IntRange(1, 10_000))
def mail_failed(limit: int) -> None:
    """List mail that failed for good (dead letters), newest first."""
    from application.delivery.failed_mail import ListFailedMail

    async def run() -> None:
        services = _services()
        try:
            rows, total = await services.mail.failed(ListFailedMail(limit=limit))
        finally:
            await services.aclose()
        click.echo(f"{total} failed mail(s)")
        for m in rows:
            failed = m.failed_at.isoformat() if m.failed_at else "-"
            click.echo(f"{m.id}  {m.kind:<18}  {m.recipient}  attempts={m.attempts}  failed_at={failed}")
            click.echo(f"    {m.last_error or ''}")

    asyncio.run(run())


@mail.command("retry")
@click.argument("outbox_id", type=click.UUID)
def mail_retry(outbox_id: uuid.UUID) -> None:
    """Send a dead-lettered mail again, with fresh attempts."""
    from application.delivery.failed_mail import RetryFailedMail
    from domain.errors import NotFound

    async def run() -> None:
        services = _services()
        try:
            await services.mail.retry(RetryFailedMail(outbox_id))
        finally:
            await services.aclose()

    try:
        asyncio.run(run())
    except NotFound:
        raise click.ClickException(f"{outbox_id} is not a failed mail") from None
    click.echo(f"{outbox_id} queued again")


@main.command()
@click.option("--watch", is_flag=True, help="Refresh until interrupted (Ctrl-C).")
@click.option(
    "--interval", default=2.0, type=click.FloatRange(0.2, 3600), show_default=True, help="Seconds between refreshes."
)
def status(watch: bool, interval: float) -> None:
    """Workers, queues, the mail outbox and imports in progress (as GET /api/v1/admin/worker-status)."""
    from entrypoints.status_cli import show_status

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(show_status(_services(), watch=watch, interval=interval))


def _services() -> Any:
    from entrypoints.bootstrap import bootstrap

    return bootstrap(_settings())


# --- users (identity) ---


@main.group()
def users() -> None:
    """Accounts."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--username", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="Prompted when left out.")
@click.option("--role", type=click.Choice(["USER", "MODERATOR", "ADMIN"]), default="ADMIN", show_default=True)
def create_user(email: str, username: str, password: str, role: str) -> None:
    """Create a verified account (by default an ADMIN: how the first admin is made)."""
    import asyncio

    from application.identity.admin import CreateUser
    from domain.errors import DomainError, InvalidField
    from domain.identity import Role
    from entrypoints.bootstrap import bootstrap

    async def run() -> str:
        services = bootstrap(_settings())
        try:
            user = await services.identity.create_user(CreateUser(email, username, password, Role(role)))
        finally:
            await services.aclose()
        return f"created {user.role.value} {user.email} ({user.id})"

    try:
        click.echo(asyncio.run(run()))
    except InvalidField as exc:
        raise click.BadParameter(exc.message, param_hint=f"--{exc.field.replace('_', '-')}") from None
    except DomainError as exc:
        raise click.ClickException(exc.detail) from None


if __name__ == "__main__":
    sys.exit(main())
