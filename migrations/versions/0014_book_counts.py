"""Maintained counts of the public catalog: published books per genre, kept by triggers on `books` in
the writing transaction, so an unfiltered or genre-only listing reads its exact total from one row.

The table is named `search_...` so that migrations/env.py keeps it out of `alembic check` (it is no
part of the metadata: only triggers write it, only adapters/sql/book_counts.py reads it). Books with
no genre count under the all-zero UUID on PostgreSQL and under '' on SQLite (a key cannot be NULL).

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PG_KEY = "coalesce(genre_id, '00000000-0000-0000-0000-000000000000'::uuid)"

# Statement-level triggers with transition tables: an import of thousands of rows updates each genre's
# row once. Deltas that net to zero (a stock or rating update) touch no row and take no lock.
_PG_UP = [
    "CREATE TABLE search_book_counts (genre_id uuid PRIMARY KEY, n bigint NOT NULL)",
    f"""CREATE FUNCTION search_book_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO search_book_counts AS c (genre_id, n)
            SELECT {_PG_KEY}, count(*) FROM new_rows WHERE published GROUP BY 1 ORDER BY 1
            ON CONFLICT (genre_id) DO UPDATE SET n = c.n + excluded.n;
        ELSIF TG_OP = 'TRUNCATE' THEN
            DELETE FROM search_book_counts;
        ELSIF TG_OP = 'DELETE' THEN
            UPDATE search_book_counts AS c SET n = c.n - d.n
            FROM (SELECT {_PG_KEY} AS genre_id, count(*) AS n FROM old_rows WHERE published GROUP BY 1) AS d
            WHERE c.genre_id = d.genre_id;
        ELSE
            INSERT INTO search_book_counts AS c (genre_id, n)
            SELECT genre_id, sum(n) FROM (
                SELECT {_PG_KEY} AS genre_id, 1 AS n FROM new_rows WHERE published
                UNION ALL
                SELECT {_PG_KEY}, -1 FROM old_rows WHERE published
            ) AS d GROUP BY genre_id HAVING sum(n) <> 0 ORDER BY genre_id
            ON CONFLICT (genre_id) DO UPDATE SET n = c.n + excluded.n;
        END IF;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER search_book_counts_ai AFTER INSERT ON books REFERENCING NEW TABLE AS new_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION search_book_counts_apply()",
    "CREATE TRIGGER search_book_counts_au AFTER UPDATE ON books REFERENCING OLD TABLE AS old_rows"
    " NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_book_counts_apply()",
    "CREATE TRIGGER search_book_counts_ad AFTER DELETE ON books REFERENCING OLD TABLE AS old_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION search_book_counts_apply()",
    "CREATE TRIGGER search_book_counts_at AFTER TRUNCATE ON books"
    " FOR EACH STATEMENT EXECUTE FUNCTION search_book_counts_apply()",
    "LOCK TABLE books IN SHARE MODE",  # no write between the count below and the triggers' first delta
    f"INSERT INTO search_book_counts SELECT {_PG_KEY}, count(*) FROM books WHERE published GROUP BY 1",
]
_PG_DOWN = [
    "DROP TRIGGER IF EXISTS search_book_counts_at ON books",
    "DROP TRIGGER IF EXISTS search_book_counts_ad ON books",
    "DROP TRIGGER IF EXISTS search_book_counts_au ON books",
    "DROP TRIGGER IF EXISTS search_book_counts_ai ON books",
    "DROP FUNCTION IF EXISTS search_book_counts_apply()",
    "DROP TABLE IF EXISTS search_book_counts",
]

_SQLITE_ADD = (
    "INSERT INTO search_book_counts (genre_id, n) VALUES (coalesce(new.genre_id, ''), 1)"
    " ON CONFLICT (genre_id) DO UPDATE SET n = n + 1;"
)
_SQLITE_REMOVE = "UPDATE search_book_counts SET n = n - 1 WHERE genre_id = coalesce(old.genre_id, '');"
_SQLITE_UP = [
    "CREATE TABLE search_book_counts (genre_id PRIMARY KEY, n INTEGER NOT NULL)",
    f"CREATE TRIGGER search_book_counts_ai AFTER INSERT ON books WHEN new.published BEGIN {_SQLITE_ADD} END",
    f"CREATE TRIGGER search_book_counts_ad AFTER DELETE ON books WHEN old.published BEGIN {_SQLITE_REMOVE} END",
    "CREATE TRIGGER search_book_counts_au_old AFTER UPDATE OF published, genre_id ON books WHEN old.published"
    f" AND (NOT new.published OR new.genre_id IS NOT old.genre_id) BEGIN {_SQLITE_REMOVE} END",
    "CREATE TRIGGER search_book_counts_au_new AFTER UPDATE OF published, genre_id ON books WHEN new.published"
    f" AND (NOT old.published OR new.genre_id IS NOT old.genre_id) BEGIN {_SQLITE_ADD} END",
    "INSERT INTO search_book_counts SELECT coalesce(genre_id, ''), count(*) FROM books WHERE published GROUP BY 1",
]
_SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS search_book_counts_au_new",
    "DROP TRIGGER IF EXISTS search_book_counts_au_old",
    "DROP TRIGGER IF EXISTS search_book_counts_ad",
    "DROP TRIGGER IF EXISTS search_book_counts_ai",
    "DROP TABLE IF EXISTS search_book_counts",
]


def _run(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    _run(_SQLITE_UP if op.get_bind().dialect.name == "sqlite" else _PG_UP)


def downgrade() -> None:
    _run(_SQLITE_DOWN if op.get_bind().dialect.name == "sqlite" else _PG_DOWN)
