"""Mail delivery: claims, attempts and dead letters on the outbox.

Revision ID: 0003
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import advanced_alchemy.types

revision: str = '0003'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempted_at', advanced_alchemy.types.DateTimeUTC(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('locked_until', advanced_alchemy.types.DateTimeUTC(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('failed_at', advanced_alchemy.types.DateTimeUTC(timezone=True), nullable=True))
        batch_op.create_index('ix_outbox_failed', ['failed_at'], unique=False, postgresql_where=sa.text('failed_at IS NOT NULL'), sqlite_where=sa.text('failed_at IS NOT NULL'))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_failed', postgresql_where=sa.text('failed_at IS NOT NULL'), sqlite_where=sa.text('failed_at IS NOT NULL'))
        batch_op.drop_column('failed_at')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('attempted_at')
