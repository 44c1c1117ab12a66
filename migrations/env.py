"""Alembic environment: async engines, one schema for SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.sql.tables import metadata

config = context.config


def _url() -> str:
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    if not url:
        from entrypoints.settings import load_settings

        url = load_settings().database_url
    return str(url)


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render the tables' UUID and UTC datetime types as advanced-alchemy's (which store the same, and
    which the migrations name), with their import, which autogenerate forgets."""
    module = type(obj).__module__
    if type_ == "type" and (module.startswith("advanced_alchemy.types") or module == "adapters.sql.types"):
        autogen_context.imports.add("import advanced_alchemy.types")
        if type(obj).__name__ == "DateTimeUTC":
            return "advanced_alchemy.types.DateTimeUTC(timezone=True)"
        return f"advanced_alchemy.types.{type(obj).__name__}()"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=_compare_type,
        render_item=render_item,
        include_object=_include_object,
    )


def _compare_type(
    context: Any, inspected: Any, metadata_column: Any, inspected_type: Any, metadata_type: Any
) -> bool | None:
    # SQLite reflects advanced-alchemy's GUID (BINARY(16)) as NUMERIC: not a change.
    if type(metadata_type).__name__ == "GUID":
        return False
    return None


def _include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    # Search machinery made by hand in migrations (FTS tables, tsvector columns) is not in `metadata`.
    return not (reflected and compare_to is None and (name or "").startswith(("books_fts", "search_")))


def _run_sync(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_run_sync)
    await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_sync(connection)
        return
    asyncio.run(_run_async(_url()))


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True, render_item=render_item)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
