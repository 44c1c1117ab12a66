"""A book's tags as a column of names on the book, not rows of a link table.

Tags are bare names (the API takes and returns `tags: [str]`), never renamed or listed apart from
their books. As `book_tags` rows each link cost two foreign-key checks: with two tags a book,
PostgreSQL spent a third of a bulk import on them (21 of 63 G instructions for 100,000 books),
where a `varchar(50)[]` with a GIN index costs under 1 G. Concurrent writers no longer race to
create the same tag either.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The index name starts with `search_` so that migrations/env.py keeps it out of `alembic check`.
_PG_UP = [
    "ALTER TABLE books ADD COLUMN tags varchar(50)[] NOT NULL DEFAULT '{}'",
    """UPDATE books SET tags = named.tags FROM (
        SELECT bt.book_id, array_agg(t.name ORDER BY t.name) AS tags
        FROM book_tags AS bt JOIN tags AS t ON t.id = bt.tag_id GROUP BY bt.book_id
    ) AS named WHERE named.book_id = books.id""",
    "CREATE INDEX search_books_tags ON books USING gin (tags)",
    "DROP TABLE book_tags",
    "DROP TABLE tags",
]
_SQLITE_UP = [
    "ALTER TABLE books ADD COLUMN tags JSON NOT NULL DEFAULT '[]'",
    """UPDATE books SET tags = (
        SELECT json_group_array(name) FROM (
            SELECT t.name FROM book_tags AS bt JOIN tags AS t ON t.id = bt.tag_id
            WHERE bt.book_id = books.id ORDER BY t.name
        )
    ) WHERE id IN (SELECT book_id FROM book_tags)""",
    "DROP TABLE book_tags",
    "DROP TABLE tags",
]

_TABLES = [
    "CREATE TABLE tags (id {uuid} NOT NULL, name VARCHAR(50) NOT NULL,"
    " CONSTRAINT pk_tags PRIMARY KEY (id), CONSTRAINT uq_tags_name UNIQUE (name))",
    "CREATE TABLE book_tags (book_id {uuid} NOT NULL, tag_id {uuid} NOT NULL,"
    " CONSTRAINT pk_book_tags PRIMARY KEY (book_id, tag_id),"
    " CONSTRAINT fk_book_tags_book_id_books FOREIGN KEY(book_id) REFERENCES books (id) ON DELETE CASCADE,"
    " CONSTRAINT fk_book_tags_tag_id_tags FOREIGN KEY(tag_id) REFERENCES tags (id) ON DELETE CASCADE)",
    "CREATE INDEX ix_book_tags_tag ON book_tags (tag_id, book_id)",
]
_PG_DOWN = [
    *(statement.format(uuid="UUID") for statement in _TABLES),
    "INSERT INTO tags (id, name) SELECT gen_random_uuid(), name FROM (SELECT DISTINCT unnest(tags) AS name FROM books) AS n",
    "INSERT INTO book_tags (book_id, tag_id) SELECT DISTINCT b.id, t.id FROM books AS b"
    " CROSS JOIN LATERAL unnest(b.tags) AS n(name) JOIN tags AS t ON t.name = n.name",
    "DROP INDEX search_books_tags",
    "ALTER TABLE books DROP COLUMN tags",
]
_SQLITE_DOWN = [
    *(statement.format(uuid="BINARY(16)") for statement in _TABLES),
    "INSERT INTO tags (id, name) SELECT randomblob(16), value FROM (SELECT DISTINCT j.value FROM books, json_each(books.tags) AS j)",
    "INSERT OR IGNORE INTO book_tags (book_id, tag_id) SELECT books.id, t.id FROM books, json_each(books.tags) AS j"
    " JOIN tags AS t ON t.name = j.value",
    "ALTER TABLE books DROP COLUMN tags",
]


def upgrade() -> None:
    for statement in _PG_UP if op.get_bind().dialect.name == "postgresql" else _SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    for statement in _PG_DOWN if op.get_bind().dialect.name == "postgresql" else _SQLITE_DOWN:
        op.execute(statement)
