"""One title index for sorting and for the import's duplicate check; trigram indexes on the plain columns.

`sort=title` now orders by title case-insensitively, then by author, on the index that the import's
title-and-author lookup already needed, so a book insert keeps one B-tree fewer (`ix_books_title`,
by title as stored, put "Zorro" before "a tale"). pg_trgm lower-cases what it indexes and compares,
so the trigram indexes need no `lower()` of their own.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The index names start with `search_` so that migrations/env.py keeps them out of `alembic check`.
_PG_TRIGRAMS_UP = [
    "DROP INDEX search_books_title_trgm",
    "DROP INDEX search_books_author_trgm",
    "CREATE INDEX search_books_title_trgm ON books USING gin (title gin_trgm_ops)",
    "CREATE INDEX search_books_author_trgm ON books USING gin (author gin_trgm_ops)",
]
_PG_TRIGRAMS_DOWN = [
    "DROP INDEX search_books_title_trgm",
    "DROP INDEX search_books_author_trgm",
    "CREATE INDEX search_books_title_trgm ON books USING gin (lower(title) gin_trgm_ops)",
    "CREATE INDEX search_books_author_trgm ON books USING gin (lower(author) gin_trgm_ops)",
]


def upgrade() -> None:
    op.create_index(
        "ix_books_title_author", "books", [sa.text("lower(title)"), sa.text("lower(author)"), sa.text("id")]
    )
    op.drop_index("ix_books_title_author_lower", table_name="books")
    op.drop_index("ix_books_title", table_name="books")
    if op.get_bind().dialect.name == "postgresql":
        for statement in _PG_TRIGRAMS_UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in _PG_TRIGRAMS_DOWN:
            op.execute(statement)
    op.create_index("ix_books_title", "books", ["title", "id"])
    op.create_index("ix_books_title_author_lower", "books", [sa.text("lower(title)"), sa.text("lower(author)")])
    op.drop_index("ix_books_title_author", table_name="books")
