"""Genre slugs by one rule: every genre's slug becomes `slugify(name)` where its old link still finds it.

Admins' genres had Unicode slugs (`café-noir`, `日本文学`) and imported ones ASCII slugs (`cafe-noir`,
`genre-<hash>`). A read canonicalises the requested slug when no genre has it as is
(`domain.catalog.slug_forms`), so a slug is rewritten only when its canonical form is the name's: its
old links then keep working. The others (a slug another genre already takes, or an old import hash
of a name with several words) stay as they were, and are still found as is. Downgrade keeps the new
slugs: the old code finds a genre by its stored slug, whichever rule made it.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from domain.catalog import slugify

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, name, slug FROM genres ORDER BY created_at, id")).all()
    taken = {slug for _, _, slug in rows}
    for genre_id, name, slug in rows:
        canonical = slugify(name)
        if canonical == slug or canonical in taken or slugify(slug) != canonical:
            continue
        conn.execute(sa.text("UPDATE genres SET slug = :slug WHERE id = :id"), {"slug": canonical, "id": genre_id})
        taken.discard(slug)
        taken.add(canonical)


def downgrade() -> None:
    pass
