"""Databases for tests: one migrated PostgreSQL database per xdist worker, SQLite files from a template."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.sql.tables import metadata
from entrypoints.cli import upgrade_database


def database_name(worker: str) -> str:
    """Unique per checkout and per worker, so parallel runs in other work trees never collide."""
    root = hashlib.sha1(str(Path(__file__).resolve().parent.parent.parent).encode()).hexdigest()[:8]
    return f"folio_test_{root}_{worker}".lower()


async def _admin(server_url: str, *statements: str) -> None:
    engine = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


def empty_postgres_database(server_url: str, name: str) -> str:
    """Creates database `name` afresh, with no tables; returns its URL."""
    asyncio.run(
        _admin(
            server_url,
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
            f'CREATE DATABASE "{name}"',
        )
    )
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def create_postgres_database(server_url: str, name: str) -> str:
    """Creates (afresh) and migrates database `name`; returns its URL."""
    url = empty_postgres_database(server_url, name)
    upgrade_database(url)
    return url


def copy_postgres_database(server_url: str, template: str, name: str) -> str:
    """A new database `name` made from `template` (which must have no connections); returns its URL."""
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(server_url: str, name: str) -> None:
    asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def truncate_all(url: str) -> None:
    """Empties every table (kept between tests: migrating again per test would be slow)."""
    names = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


def sqlite_template(directory: Path) -> Path:
    """A migrated SQLite file, made once per session."""
    path = directory / "template.db"
    if not path.exists():
        upgrade_database(f"sqlite+aiosqlite:///{path}")
    return path


def sqlite_copy(template: Path, directory: Path) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "folio.db"
    shutil.copyfile(template, target)
    return f"sqlite+aiosqlite:///{target}"


def xdist_worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "gw0")
