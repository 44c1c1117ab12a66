"""The schema, as SQLAlchemy Core tables: the one source for repositories and Alembic.

Sizes bound what the edge accepts: every string has a length and every count fits 32 bits.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from adapters.sql.types import GUID, DateTimeUTC

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

MONEY = Numeric(12, 2)
# advanced-alchemy's JsonB breaks on SQLAlchemy 2.1; this is the same variant by hand.
JSON_DOC = JSON().with_variant(JSONB(), "postgresql")


def _ts(name: str, *, nullable: bool = False) -> Column[object]:
    return Column(name, DateTimeUTC(timezone=True), nullable=nullable)


users = Table(
    "users",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("username", String(50), nullable=False),
    Column("password_hash", String(255)),  # NULL: signed up with a provider, no password yet (0012)
    Column("full_name", String(200)),
    Column("role", String(16), nullable=False, server_default="USER"),
    Column("is_active", Boolean, nullable=False, server_default=text("true")),
    Column("is_verified", Boolean, nullable=False, server_default=text("false")),
    _ts("created_at"),
    _ts("updated_at"),
)
Index("uq_users_username_lower", func.lower(users.c.username), unique=True)
Index("ix_users_role_active", users.c.role, users.c.is_active)

outbox = Table(
    "outbox",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("kind", String(50), nullable=False),
    Column("recipient", String(254), nullable=False),
    Column("data", JSON_DOC, nullable=False),
    _ts("created_at"),
    _ts("dispatched_at", nullable=True),
    _ts("sent_at", nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    # mail delivery (0003): the current claim, the last attempt, the dead-letter mark
    _ts("attempted_at", nullable=True),
    _ts("locked_until", nullable=True),
    _ts("failed_at", nullable=True),
)
Index(
    "ix_outbox_unsent",
    outbox.c.created_at,
    postgresql_where=outbox.c.sent_at.is_(None),
    sqlite_where=outbox.c.sent_at.is_(None),
)
Index(
    "ix_outbox_failed",
    outbox.c.failed_at,
    postgresql_where=outbox.c.failed_at.is_not(None),
    sqlite_where=outbox.c.failed_at.is_not(None),
)

genres = Table(
    "genres",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("slug", String(120), nullable=False, unique=True),
    _ts("created_at"),
)
Index("uq_genres_name_lower", func.lower(genres.c.name), unique=True)

#: A book's tag names: varchar(50)[] (GIN-indexed) on PostgreSQL, a JSON list on SQLite (migration 0008).
TAG_NAMES = ARRAY(String(50)).with_variant(JSON(), "sqlite")

books = Table(
    "books",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("title", String(500), nullable=False),
    Column("author", String(300), nullable=False),
    Column("isbn", String(13), unique=True),
    Column("description", Text),
    Column("publisher", String(300)),
    Column("publication_date", Date),
    Column("pages", Integer),
    Column("language", String(35)),
    Column("genre_id", GUID, ForeignKey("genres.id", ondelete="SET NULL")),
    Column("price", MONEY),  # NULL: not for sale (migration 0010)
    Column("stock", Integer, nullable=False, server_default="0"),
    # Rating figures, kept in the same transaction as every review change.
    Column("rating_1", Integer, nullable=False, server_default="0"),
    Column("rating_2", Integer, nullable=False, server_default="0"),
    Column("rating_3", Integer, nullable=False, server_default="0"),
    Column("rating_4", Integer, nullable=False, server_default="0"),
    Column("rating_5", Integer, nullable=False, server_default="0"),
    Column("review_count", Integer, nullable=False, server_default="0"),
    Column("average_rating", Numeric(3, 2)),
    Column("tags", TAG_NAMES, nullable=False),
    _ts("created_at"),
    _ts("updated_at"),
    # readers' own books (migration 0010): private until published; who added it (null: an admin or an import)
    Column("published", Boolean, nullable=False, server_default=text("true")),
    Column("added_by", GUID, ForeignKey("users.id", ondelete="SET NULL")),
    CheckConstraint("stock >= 0", name="stock_not_negative"),
    CheckConstraint("price >= 0", name="price_not_negative"),
)
# PostgreSQL also holds `published` in it (migration 0017): the public newest-first walk reads no table rows.
Index("ix_books_created_at", books.c.created_at, books.c.id, postgresql_include=["published"])
Index("ix_books_price", books.c.price, books.c.id)
Index("ix_books_rating", books.c.average_rating, books.c.id)
Index("ix_books_publication_date", books.c.publication_date, books.c.id)
Index("ix_books_genre", books.c.genre_id, books.c.created_at)
Index("ix_books_language", books.c.language)
Index("ix_books_added_by", books.c.added_by, books.c.created_at)

shelf_entries = Table(
    "shelf_entries",
    metadata,
    Column("user_id", GUID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("book_id", GUID, ForeignKey("books.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(16), nullable=False),
    _ts("date_added"),
    _ts("updated_at"),
    # reading journal (0011): kept by the entry's verbs, so that a listing needs no read of `reads`
    Column("owned", Boolean, nullable=False, server_default=text("false")),
    Column("read_count", Integer, nullable=False, server_default="0"),
    Column("progress_page", Integer),
    Column("progress_percent", Float),
    _ts("progress_at", nullable=True),
    # the entry's own text (0016): of a book the reader has no review of
    Column("review_text", Text),
    PrimaryKeyConstraint("user_id", "book_id"),
)
Index("ix_shelf_user_status", shelf_entries.c.user_id, shelf_entries.c.status, shelf_entries.c.date_added)
Index("ix_shelf_user_updated", shelf_entries.c.user_id, shelf_entries.c.updated_at)
Index("ix_shelf_user_added", shelf_entries.c.user_id, shelf_entries.c.date_added)

# --- reading journal (migration 0011) ---
# One time through a book, owned by its shelf entry (and gone with it).
reads = Table(
    "reads",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("user_id", GUID, nullable=False),
    Column("book_id", GUID, nullable=False),
    Column("started_on", Date),
    Column("finished_on", Date),
    Column("stopped_on", Date),
    Column("progress_page", Integer),
    Column("progress_percent", Float),
    _ts("progress_at", nullable=True),
    _ts("created_at"),
    # a finish on a day nobody knows (0016): an imported `Read Count` beyond the file's dates
    Column("finished_undated", Boolean, nullable=False, server_default=text("false")),
    ForeignKeyConstraint(
        ["user_id", "book_id"], ["shelf_entries.user_id", "shelf_entries.book_id"], ondelete="CASCADE"
    ),
    CheckConstraint("finished_on IS NULL OR stopped_on IS NULL", name="one_end"),
    CheckConstraint("finished_on IS NULL OR started_on IS NULL OR finished_on >= started_on", name="finished_after"),
    CheckConstraint("stopped_on IS NULL OR started_on IS NULL OR stopped_on >= started_on", name="stopped_after"),
    CheckConstraint("progress_percent BETWEEN 0 AND 100", name="percent_range"),
    CheckConstraint("progress_page >= 0", name="page_not_negative"),
    CheckConstraint("NOT finished_undated OR (finished_on IS NULL AND stopped_on IS NULL)", name="undated_no_end"),
)
Index("ix_reads_entry", reads.c.user_id, reads.c.book_id)
_OPEN = reads.c.finished_on.is_(None) & reads.c.stopped_on.is_(None) & ~reads.c.finished_undated
# The store itself keeps at most one open read per entry, whatever races.
Index("uq_reads_open", reads.c.user_id, reads.c.book_id, unique=True, postgresql_where=_OPEN, sqlite_where=_OPEN)
# Stats and goals range over a reader's finish (and stop) dates; the book id makes the scan index-only.
Index("ix_reads_user_finished", reads.c.user_id, reads.c.finished_on, reads.c.book_id)
_STOPPED = reads.c.stopped_on.is_not(None)
Index("ix_reads_user_stopped", reads.c.user_id, reads.c.stopped_on, postgresql_where=_STOPPED, sqlite_where=_STOPPED)

goals = Table(
    "goals",
    metadata,
    Column("user_id", GUID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("year", SmallInteger, nullable=False),
    Column("target", Integer, nullable=False),
    _ts("created_at"),
    _ts("updated_at"),
    PrimaryKeyConstraint("user_id", "year"),
    CheckConstraint("target BETWEEN 1 AND 1000", name="target_range"),
)

reviews = Table(
    "reviews",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("book_id", GUID, ForeignKey("books.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", GUID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("rating", SmallInteger, nullable=False),
    Column("text", Text),
    Column("verified_purchase", Boolean, nullable=False, server_default=text("false")),
    _ts("created_at"),
    _ts("updated_at"),
    _ts("deleted_at", nullable=True),
    CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
)
Index(
    "uq_reviews_live_user_book",
    reviews.c.user_id,
    reviews.c.book_id,
    unique=True,
    postgresql_where=reviews.c.deleted_at.is_(None),
    sqlite_where=reviews.c.deleted_at.is_(None),
)
Index("ix_reviews_book_created", reviews.c.book_id, reviews.c.created_at)
Index("ix_reviews_user_created", reviews.c.user_id, reviews.c.created_at)

cart_items = Table(
    "cart_items",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("user_id", GUID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("book_id", GUID, ForeignKey("books.id", ondelete="CASCADE"), nullable=False),
    Column("quantity", Integer, nullable=False),
    _ts("added_at"),
    UniqueConstraint("user_id", "book_id", name="uq_cart_items_user_book"),
    CheckConstraint("quantity > 0", name="quantity_positive"),
)

orders = Table(
    "orders",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("user_id", GUID, ForeignKey("users.id", ondelete="SET NULL")),
    Column("status", String(20), nullable=False),
    Column("total", MONEY, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("idempotency_key", String(255)),
    _ts("created_at"),
    UniqueConstraint("user_id", "idempotency_key", name="uq_orders_user_idempotency_key"),
)
Index("ix_orders_user_created", orders.c.user_id, orders.c.created_at)
Index("ix_orders_created", orders.c.created_at)

order_items = Table(
    "order_items",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("order_id", GUID, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    # No foreign key: a deleted book leaves the order's snapshot as it was.
    Column("book_id", GUID, nullable=False),
    Column("title", String(500), nullable=False),
    Column("author", String(300), nullable=False),
    Column("unit_price", MONEY, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("line_total", MONEY, nullable=False),
)
Index("ix_order_items_order", order_items.c.order_id)
Index("ix_order_items_book", order_items.c.book_id)

prebookings = Table(
    "prebookings",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("user_id", GUID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("book_id", GUID, ForeignKey("books.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(16), nullable=False),
    _ts("created_at"),
    _ts("notified_at", nullable=True),
)
Index(
    "uq_prebookings_waiting_user_book",
    prebookings.c.user_id,
    prebookings.c.book_id,
    unique=True,
    postgresql_where=prebookings.c.status == "WAITING",
    sqlite_where=prebookings.c.status == "WAITING",
)
Index("ix_prebookings_book_status", prebookings.c.book_id, prebookings.c.status)
Index("ix_prebookings_user_created", prebookings.c.user_id, prebookings.c.created_at)

# --- CSV import (migration 0007) ---
# An uploaded file waits here, in numbered chunks, until a worker (on any machine) has imported it.
import_files = Table(
    "import_files",
    metadata,
    Column("import_id", GUID, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    _ts("created_at"),
    PrimaryKeyConstraint("import_id", "seq"),
)
# `sort=title` walks it, and an import matches rows without an ISBN to books by title and author
# (case-insensitively, a batch at a time) on its first two columns (migration 0009).
Index("ix_books_title_author", func.lower(books.c.title), func.lower(books.c.author), books.c.id)
# A library import also finds candidates by author alone (its title may differ in punctuation; migration 0013).
Index("ix_books_author_lower", func.lower(books.c.author))

# --- readers' activity and review history (migration 0010) ---
activity = Table(
    "activity",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("user_id", GUID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(32), nullable=False),
    _ts("at"),
    # A deleted book leaves the entry, without its book.
    Column("book_id", GUID, ForeignKey("books.id", ondelete="SET NULL")),
    Column("detail", JSON_DOC, nullable=False),
)
Index("ix_activity_user_at", activity.c.user_id, activity.c.at, activity.c.id)
Index("ix_activity_user_kind_at", activity.c.user_id, activity.c.kind, activity.c.at)
Index("ix_activity_book", activity.c.book_id)  # a book's deletion finds its entries

review_versions = Table(
    "review_versions",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("review_id", GUID, ForeignKey("reviews.id", ondelete="CASCADE"), nullable=False),
    Column("rating", SmallInteger, nullable=False),
    Column("text", Text),
    _ts("replaced_at"),
)
Index("ix_review_versions_review", review_versions.c.review_id, review_versions.c.replaced_at)

# --- provider sign-in (migration 0012) ---
# A Google or GitHub identity linked to an account; the account's deletion removes its links.
linked_identities = Table(
    "linked_identities",
    metadata,
    Column("provider", String(20), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("user_id", GUID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("email", String(254)),
    _ts("linked_at"),
    PrimaryKeyConstraint("provider", "subject"),
)
Index("ix_linked_identities_user", linked_identities.c.user_id, linked_identities.c.linked_at)
