"""Reading journal: reads owned by shelf entries, two more statuses, `owned`, and yearly goals.

Shelf entries keep their status (WISHLIST, READING and COMPLETED are among the five). Each gets the
read its status implies, dated by its last change: a READING entry an open read started that day, a
COMPLETED one a read finished that day (`read_count` 1). `owned` is set from the confirmed orders.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = sa.text("finished_on IS NULL AND stopped_on IS NULL")
_STOPPED = sa.text("stopped_on IS NOT NULL")

_OWNED = """UPDATE shelf_entries SET owned = {true} WHERE EXISTS (
    SELECT 1 FROM order_items AS oi JOIN orders AS o ON o.id = oi.order_id
    WHERE o.user_id = shelf_entries.user_id AND o.status = 'CONFIRMED' AND oi.book_id = shelf_entries.book_id)"""
_READS = """INSERT INTO reads (id, user_id, book_id, {column}, created_at)
    SELECT {uuid}, user_id, book_id, {day}, updated_at FROM shelf_entries WHERE status = '{status}'"""


def _backfill(postgres: bool) -> list[str]:
    uuid, day = ("gen_random_uuid()", "(updated_at AT TIME ZONE 'UTC')::date") if postgres else ("randomblob(16)", "date(updated_at)")
    return [
        _OWNED.format(true="true" if postgres else "1"),
        _READS.format(column="started_on", uuid=uuid, day=day, status="READING"),
        _READS.format(column="finished_on", uuid=uuid, day=day, status="COMPLETED"),
        "UPDATE shelf_entries SET read_count = 1 WHERE status = 'COMPLETED'",
    ]


def upgrade() -> None:
    with op.batch_alter_table("shelf_entries") as batch_op:
        batch_op.add_column(sa.Column("owned", sa.Boolean(), server_default=sa.text("false"), nullable=False))
        batch_op.add_column(sa.Column("read_count", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("progress_page", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("progress_percent", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("progress_at", advanced_alchemy.types.DateTimeUTC(timezone=True), nullable=True))
        batch_op.create_index("ix_shelf_user_updated", ["user_id", "updated_at"])
        batch_op.create_index("ix_shelf_user_added", ["user_id", "date_added"])
    op.create_table(
        "reads",
        sa.Column("id", advanced_alchemy.types.GUID(), nullable=False),
        sa.Column("user_id", advanced_alchemy.types.GUID(), nullable=False),
        sa.Column("book_id", advanced_alchemy.types.GUID(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("finished_on", sa.Date(), nullable=True),
        sa.Column("stopped_on", sa.Date(), nullable=True),
        sa.Column("progress_page", sa.Integer(), nullable=True),
        sa.Column("progress_percent", sa.Float(), nullable=True),
        sa.Column("progress_at", advanced_alchemy.types.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("finished_on IS NULL OR stopped_on IS NULL", name=op.f("ck_reads_one_end")),
        sa.CheckConstraint(
            "finished_on IS NULL OR started_on IS NULL OR finished_on >= started_on",
            name=op.f("ck_reads_finished_after"),
        ),
        sa.CheckConstraint(
            "stopped_on IS NULL OR started_on IS NULL OR stopped_on >= started_on", name=op.f("ck_reads_stopped_after")
        ),
        sa.CheckConstraint("progress_percent BETWEEN 0 AND 100", name=op.f("ck_reads_percent_range")),
        sa.CheckConstraint("progress_page >= 0", name=op.f("ck_reads_page_not_negative")),
        sa.ForeignKeyConstraint(
            ["user_id", "book_id"],
            ["shelf_entries.user_id", "shelf_entries.book_id"],
            name=op.f("fk_reads_user_id_shelf_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reads")),
    )
    op.create_index("ix_reads_entry", "reads", ["user_id", "book_id"])
    op.create_index(
        "uq_reads_open", "reads", ["user_id", "book_id"], unique=True, postgresql_where=_OPEN, sqlite_where=_OPEN
    )
    op.create_index("ix_reads_user_finished", "reads", ["user_id", "finished_on", "book_id"])
    op.create_index(
        "ix_reads_user_stopped", "reads", ["user_id", "stopped_on"], postgresql_where=_STOPPED, sqlite_where=_STOPPED
    )
    op.create_table(
        "goals",
        sa.Column("user_id", advanced_alchemy.types.GUID(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("target", sa.Integer(), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("target BETWEEN 1 AND 1000", name=op.f("ck_goals_target_range")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_goals_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "year", name=op.f("pk_goals")),
    )
    for statement in _backfill(op.get_bind().dialect.name == "postgresql"):
        op.execute(statement)


def downgrade() -> None:
    # The old three statuses: a paused book was being read; a dropped one goes back to the wishlist.
    op.execute("UPDATE shelf_entries SET status = 'READING' WHERE status = 'PAUSED'")
    op.execute("UPDATE shelf_entries SET status = 'WISHLIST' WHERE status = 'DID_NOT_FINISH'")
    op.drop_table("goals")
    op.drop_index("ix_reads_user_stopped", table_name="reads")
    op.drop_index("ix_reads_user_finished", table_name="reads")
    op.drop_index("uq_reads_open", table_name="reads")
    op.drop_index("ix_reads_entry", table_name="reads")
    op.drop_table("reads")
    with op.batch_alter_table("shelf_entries") as batch_op:
        batch_op.drop_index("ix_shelf_user_added")
        batch_op.drop_index("ix_shelf_user_updated")
        batch_op.drop_column("progress_at")
        batch_op.drop_column("progress_percent")
        batch_op.drop_column("progress_page")
        batch_op.drop_column("read_count")
        batch_op.drop_column("owned")
