"""Bring your library: books found by lower-cased author, for a library import's title-and-author matching.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_books_author_lower", "books", [sa.text("lower(author)")])


def downgrade() -> None:
    op.drop_index("ix_books_author_lower", table_name="books")
