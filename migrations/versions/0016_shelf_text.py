"""Bring your library: a shelf entry's own text, and finished reads without a date.

`shelf_entries.review_text` holds what a reader wrote of a book they have no review of (an imported
review the review rules did not allow, or a text without a rating). `reads.finished_undated` marks a read
known to be finished on a day nobody knows (an imported `Read Count` beyond the file's dates): neither
open nor stopped, so the unique index on open reads leaves it out.

Going down, the old schema can hold neither: the texts are dropped, and so are the undated reads, each
entry's `read_count` counting its dated finishes again.

Revision ID: 0016_shelf_text
Revises: 0015
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision: str = "0016_shelf_text"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN_BEFORE = "finished_on IS NULL AND stopped_on IS NULL"
_STOPPED = sa.text("stopped_on IS NOT NULL")
_UNDATED_NO_END = "NOT finished_undated OR (finished_on IS NULL AND stopped_on IS NULL)"


def _open(postgres: bool) -> sa.TextClause:
    return sa.text(f"{_OPEN_BEFORE} AND " + ("NOT finished_undated" if postgres else "finished_undated = 0"))


def _drop_partial_indexes() -> None:
    """SQLite rebuilds `reads` to change its constraints; its partial indexes are made again after."""
    op.drop_index("uq_reads_open", table_name="reads")
    op.drop_index("ix_reads_user_stopped", table_name="reads")


def _create_partial_indexes(open_reads: sa.TextClause) -> None:
    op.create_index(
        "uq_reads_open",
        "reads",
        ["user_id", "book_id"],
        unique=True,
        postgresql_where=open_reads,
        sqlite_where=open_reads,
    )
    op.create_index(
        "ix_reads_user_stopped", "reads", ["user_id", "stopped_on"], postgresql_where=_STOPPED, sqlite_where=_STOPPED
    )


@contextmanager
def _quiet_reflection() -> Iterator[None]:
    """SQLite's rebuild reflects the tables `reads` refers to; their expression indexes are not its business."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index", sa.exc.SAWarning)
        yield


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with _quiet_reflection(), op.batch_alter_table("shelf_entries") as batch_op:
        batch_op.add_column(sa.Column("review_text", sa.Text(), nullable=True))
    _drop_partial_indexes()
    with _quiet_reflection(), op.batch_alter_table("reads") as batch_op:
        batch_op.add_column(
            sa.Column("finished_undated", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )
        batch_op.create_check_constraint(op.f("ck_reads_undated_no_end"), _UNDATED_NO_END)
    _create_partial_indexes(_open(postgres))


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    undated = "finished_undated" if postgres else "finished_undated = 1"
    op.execute(f"DELETE FROM reads WHERE {undated}")
    op.execute(
        "UPDATE shelf_entries SET read_count = (SELECT count(*) FROM reads WHERE reads.user_id = shelf_entries.user_id"
        " AND reads.book_id = shelf_entries.book_id AND reads.finished_on IS NOT NULL)"
    )
    _drop_partial_indexes()
    with _quiet_reflection(), op.batch_alter_table("reads") as batch_op:
        batch_op.drop_constraint(op.f("ck_reads_undated_no_end"), type_="check")
        batch_op.drop_column("finished_undated")
    _create_partial_indexes(sa.text(_OPEN_BEFORE))
    with _quiet_reflection(), op.batch_alter_table("shelf_entries") as batch_op:
        batch_op.drop_column("review_text")
