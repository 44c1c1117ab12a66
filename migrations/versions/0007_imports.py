"""CSV import: uploaded files kept in chunks for any worker; title/author lookup index.

Revision ID: 0007
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "import_files",
        sa.Column("import_id", advanced_alchemy.types.GUID(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("import_id", "seq", name=op.f("pk_import_files")),
    )
    op.create_index("ix_books_title_author_lower", "books", [sa.text("lower(title)"), sa.text("lower(author)")])


def downgrade() -> None:
    op.drop_index("ix_books_title_author_lower", table_name="books")
    op.drop_table("import_files")

