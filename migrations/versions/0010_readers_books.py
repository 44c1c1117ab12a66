"""Readers' own books (nullable price, `published`, `added_by`), activity entries, review history.

Every existing book stays for sale with its price and published, with no `added_by`; orders are not
touched. SQLite cannot drop a NOT NULL in place: `books` is rebuilt (batch mode), which drops the
FTS5 triggers with the old table, so they are made again and the FTS5 tables rebuilt.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_GUID = advanced_alchemy.types.GUID()
_TS = advanced_alchemy.types.DateTimeUTC(timezone=True)
_JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")

#: The FTS5 tables of 0004 and their columns, whose triggers a rebuilt `books` loses.
_FTS = {"books_fts": ["title", "author", "description"], "books_fts_tri": ["title", "author"]}


def _fts_triggers(name: str, columns: list[str]) -> list[str]:
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    return [
        f"DROP TRIGGER IF EXISTS {name}_ai",
        f"DROP TRIGGER IF EXISTS {name}_ad",
        f"DROP TRIGGER IF EXISTS {name}_au",
        f"CREATE TRIGGER {name}_ai AFTER INSERT ON books BEGIN "
        f"INSERT INTO {name}(rowid, {cols}) VALUES (new.rowid, {new}); END",
        f"CREATE TRIGGER {name}_ad AFTER DELETE ON books BEGIN "
        f"INSERT INTO {name}({name}, rowid, {cols}) VALUES ('delete', old.rowid, {old}); END",
        f"CREATE TRIGGER {name}_au AFTER UPDATE OF {cols} ON books BEGIN "
        f"INSERT INTO {name}({name}, rowid, {cols}) VALUES ('delete', old.rowid, {old}); "
        f"INSERT INTO {name}(rowid, {cols}) VALUES (new.rowid, {new}); END",
        f"INSERT INTO {name}({name}) VALUES ('rebuild')",
    ]


def _rebuild_sqlite_search() -> None:
    for name, columns in _FTS.items():
        for statement in _fts_triggers(name, columns):
            op.execute(statement)
    # An expression index is not carried over by the rebuild's reflection: make it again.
    op.execute("CREATE INDEX IF NOT EXISTS ix_books_title_author ON books (lower(title), lower(author), id)")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("books", recreate="always" if sqlite else "never") as batch:
        batch.alter_column("price", existing_type=sa.Numeric(12, 2), nullable=True)
        batch.add_column(sa.Column("published", sa.Boolean(), server_default=sa.text("true"), nullable=False))
        batch.add_column(sa.Column("added_by", _GUID, nullable=True))
        batch.create_foreign_key(
            "fk_books_added_by_users", "users", ["added_by"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_books_added_by", ["added_by", "created_at"])
    if sqlite:
        _rebuild_sqlite_search()
    op.create_table(
        "activity",
        sa.Column("id", _GUID, nullable=False),
        sa.Column("user_id", _GUID, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("book_id", _GUID, nullable=True),
        sa.Column("detail", _JSON, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_activity_user_id_users", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["book_id"], ["books.id"], name="fk_activity_book_id_books", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_activity"),
    )
    op.create_index("ix_activity_user_at", "activity", ["user_id", "at", "id"])
    op.create_index("ix_activity_user_kind_at", "activity", ["user_id", "kind", "at"])
    op.create_index("ix_activity_book", "activity", ["book_id"])
    op.create_table(
        "review_versions",
        sa.Column("id", _GUID, nullable=False),
        sa.Column("review_id", _GUID, nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("replaced_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name="fk_review_versions_review_id_reviews", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_review_versions"),
    )
    op.create_index("ix_review_versions_review", "review_versions", ["review_id", "replaced_at"])


def downgrade() -> None:
    op.drop_table("review_versions")
    op.drop_table("activity")
    sqlite = op.get_bind().dialect.name == "sqlite"
    # A reader's book has no price to go back to NOT NULL with: it leaves the catalog.
    op.execute("DELETE FROM books WHERE price IS NULL")
    with op.batch_alter_table("books", recreate="always" if sqlite else "never") as batch:
        batch.drop_index("ix_books_added_by")
        batch.drop_constraint("fk_books_added_by_users", type_="foreignkey")
        batch.drop_column("added_by")
        batch.drop_column("published")
        batch.alter_column("price", existing_type=sa.Numeric(12, 2), nullable=False)
    if sqlite:
        _rebuild_sqlite_search()
