"""Catalog search: a weighted tsvector, GIN and trigram indexes (PostgreSQL); FTS5 tables (SQLite).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Names start with `search_` / `books_fts` so that migrations/env.py keeps them out of `alembic check`.
_PG_UP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """ALTER TABLE books ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'A')
        || setweight(to_tsvector('english', coalesce(author, '')), 'B')
        || setweight(to_tsvector('english', coalesce(description, '')), 'C')
    ) STORED""",
    "CREATE INDEX search_books_vector ON books USING gin (search_vector)",
    "CREATE INDEX search_books_title_trgm ON books USING gin (lower(title) gin_trgm_ops)",
    "CREATE INDEX search_books_author_trgm ON books USING gin (lower(author) gin_trgm_ops)",
    "CREATE INDEX search_books_in_stock ON books (created_at, id) WHERE stock > 0",
]
_PG_DOWN = [
    "DROP INDEX IF EXISTS search_books_in_stock",
    "DROP INDEX IF EXISTS search_books_author_trgm",
    "DROP INDEX IF EXISTS search_books_title_trgm",
    "DROP INDEX IF EXISTS search_books_vector",
    "ALTER TABLE books DROP COLUMN IF EXISTS search_vector",
]


def _fts5(name: str, columns: list[str], tokenize: str) -> list[str]:
    """An external-content FTS5 table over `books` and the triggers that keep it in step."""
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    return [
        f"CREATE VIRTUAL TABLE {name} USING fts5({cols}, content='books', content_rowid='rowid', tokenize='{tokenize}')",
        f"CREATE TRIGGER {name}_ai AFTER INSERT ON books BEGIN "
        f"INSERT INTO {name}(rowid, {cols}) VALUES (new.rowid, {new}); END",
        f"CREATE TRIGGER {name}_ad AFTER DELETE ON books BEGIN "
        f"INSERT INTO {name}({name}, rowid, {cols}) VALUES ('delete', old.rowid, {old}); END",
        f"CREATE TRIGGER {name}_au AFTER UPDATE OF {cols} ON books BEGIN "
        f"INSERT INTO {name}({name}, rowid, {cols}) VALUES ('delete', old.rowid, {old}); "
        f"INSERT INTO {name}(rowid, {cols}) VALUES (new.rowid, {new}); END",
        f"INSERT INTO {name}({name}) VALUES ('rebuild')",
    ]


_SQLITE_UP = [
    *_fts5("books_fts", ["title", "author", "description"], "porter unicode61 remove_diacritics 2"),
    *_fts5("books_fts_tri", ["title", "author"], "trigram"),
]
_SQLITE_DOWN = [
    f"DROP {kind} IF EXISTS {name}{suffix}"
    for name in ("books_fts", "books_fts_tri")
    for kind, suffix in (("TRIGGER", "_ai"), ("TRIGGER", "_ad"), ("TRIGGER", "_au"), ("TABLE", ""))
]


def upgrade() -> None:
    statements = _PG_UP if op.get_bind().dialect.name == "postgresql" else _SQLITE_UP
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    statements = _PG_DOWN if op.get_bind().dialect.name == "postgresql" else _SQLITE_DOWN
    for statement in statements:
        op.execute(statement)
