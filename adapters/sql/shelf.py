"""The reading shelf (entries and the reads they own) and the purchase history, on SQLAlchemy Core."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import Uuid, bindparam, delete, func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.arrays import one_of, probed
from adapters.sql.catalog import to_book
from adapters.sql.copy_encoder import insert_rows
from adapters.sql.reviews import to_review
from adapters.sql.tables import books, genres, order_items, orders, reads, reviews, shelf_entries, users
from application.ports.shelf import ShelfItem, ShelfSort
from domain.journal import Progress, Read, ReadAlreadyOpen
from domain.shelf import AlreadyOnShelf, ShelfEntry, ShelfStatus

if TYPE_CHECKING:
    from application.uow import UnitOfWorkBase

#: The order status that counts as a purchase (the commerce capability writes it).
CONFIRMED = "CONFIRMED"

_ORDER: dict[ShelfSort, tuple[Any, ...]] = {
    ShelfSort.UPDATED: (shelf_entries.c.updated_at.desc(), shelf_entries.c.book_id),
    ShelfSort.ADDED: (shelf_entries.c.date_added.desc(), shelf_entries.c.book_id),
    ShelfSort.TITLE: (func.lower(books.c.title), func.lower(books.c.author), shelf_entries.c.book_id),
    ShelfSort.RATING: (
        reviews.c.rating.desc().nulls_last(),
        shelf_entries.c.updated_at.desc(),
        shelf_entries.c.book_id,
    ),
}


def _progress(row: RowMapping) -> Progress | None:
    if row["progress_at"] is None:
        return None
    return Progress(row["progress_page"], row["progress_percent"], row["progress_at"])


def _progress_values(progress: Progress | None) -> dict[str, Any]:
    if progress is None:
        return {"progress_page": None, "progress_percent": None, "progress_at": None}
    return {"progress_page": progress.page, "progress_percent": progress.percent, "progress_at": progress.updated_at}


def _to_entry(row: RowMapping, entry_reads: list[Read] | None) -> ShelfEntry:
    return ShelfEntry(
        row["user_id"],
        row["book_id"],
        ShelfStatus(row["status"]),
        row["date_added"],
        row["updated_at"],
        owned=row["owned"],
        read_count=row["read_count"],
        progress=_progress(row),
        review_text=row["review_text"],
        reads=entry_reads or [],
        reads_loaded=entry_reads is not None,
    )


def _entry_values(entry: ShelfEntry) -> dict[str, Any]:
    return {
        "status": entry.status.value,
        "updated_at": entry.updated_at,
        "owned": entry.owned,
        "read_count": entry.read_count,
        "review_text": entry.review_text,
    } | _progress_values(entry.progress)


_BOOK, _REVIEW = "book__", "review__"


def _part(row: RowMapping, prefix: str) -> dict[str, Any]:
    return {key[len(prefix) :]: value for key, value in row.items() if key.startswith(prefix)}


def _to_item(row: RowMapping) -> ShelfItem:
    """A listed entry (without its reads) with its book and the reader's live review, from one joined row."""
    review = _part(row, _REVIEW)
    return ShelfItem(
        _to_entry(row, None),
        to_book(_part(row, _BOOK)),
        None if review["id"] is None else to_review(review),  # type: ignore[arg-type]
    )


def _to_read(row: RowMapping) -> Read:
    return Read(
        row["id"],
        row["user_id"],
        row["book_id"],
        row["started_on"],
        row["created_at"],
        finished_on=row["finished_on"],
        stopped_on=row["stopped_on"],
        progress=_progress(row),
        finished_undated=row["finished_undated"],
    )


def _read_values(read: Read) -> dict[str, Any]:
    return {
        "started_on": read.started_on,
        "finished_on": read.finished_on,
        "stopped_on": read.stopped_on,
        "finished_undated": read.finished_undated,
    } | _progress_values(read.progress)


class SqlShelfRepository:
    def __init__(self, conn: AsyncConnection, uow: UnitOfWorkBase) -> None:
        self._conn = conn
        self._uow = uow
        #: Each loaded entry's reads as stored, so that `update` writes only what changed.
        self._stored: dict[tuple[UUID, UUID], dict[UUID, dict[str, Any]]] = {}

    def _key(self, user_id: UUID, book_id: UUID) -> tuple[Any, Any]:
        return shelf_entries.c.user_id == user_id, shelf_entries.c.book_id == book_id

    async def get(self, user_id: UUID, book_id: UUID, *, lock: bool = False) -> ShelfEntry | None:
        query = select(shelf_entries).where(*self._key(user_id, book_id))
        row = (await self._conn.execute(query.with_for_update() if lock else query)).mappings().first()
        if row is None:
            return None
        rows = (
            await self._conn.execute(select(reads).where(reads.c.user_id == user_id, reads.c.book_id == book_id))
        ).mappings()
        entry = _to_entry(row, [_to_read(r) for r in rows])
        self._stored[(user_id, book_id)] = {read.id: _read_values(read) for read in entry.reads}
        self._uow.track(entry)
        return entry

    async def get_many(self, user_id: UUID, book_ids: Sequence[UUID], *, lock: bool = False) -> dict[UUID, ShelfEntry]:
        ids = sorted(set(book_ids))
        if not ids:
            return {}
        # An entry's key probed per book (locked in book order), then its reads likewise (ix_reads_entry).
        of_user = select(shelf_entries).where(shelf_entries.c.user_id == user_id)
        if lock:
            of_user = of_user.with_for_update()
        query, params = probed(self._conn, of_user, shelf_entries.c.book_id, ids, "book_ids", item=Uuid())
        rows = (await self._conn.execute(query, params)).mappings().all()
        if not rows:
            return {}
        rows = sorted(rows, key=lambda row: row["book_id"])
        found = [row["book_id"] for row in rows]
        of_book: dict[UUID, list[Read]] = {book_id: [] for book_id in found}
        of_reader = select(reads).where(reads.c.user_id == user_id)
        query, params = probed(self._conn, of_reader, reads.c.book_id, found, "book_ids", item=Uuid())
        read_rows = await self._conn.execute(query, params)
        for read_row in read_rows.mappings():
            of_book[read_row["book_id"]].append(_to_read(read_row))
        entries = {}
        for row in rows:
            entry = _to_entry(row, of_book[row["book_id"]])
            self._stored[(user_id, entry.book_id)] = {read.id: _read_values(read) for read in entry.reads}
            self._uow.track(entry)
            entries[entry.book_id] = entry
        return entries

    async def of_read(self, read_id: UUID, *, lock: bool = False) -> ShelfEntry | None:
        owner = (
            await self._conn.execute(select(reads.c.user_id, reads.c.book_id).where(reads.c.id == read_id))
        ).first()
        return None if owner is None else await self.get(owner.user_id, owner.book_id, lock=lock)

    async def add(self, entry: ShelfEntry) -> None:
        values = _entry_values(entry) | {
            "user_id": entry.user_id,
            "book_id": entry.book_id,
            "date_added": entry.date_added,
        }
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(insert(shelf_entries).values(values))
        except IntegrityError:
            raise AlreadyOnShelf("this book is on your shelf already") from None
        self._stored[(entry.user_id, entry.book_id)] = {}
        self._uow.track(entry)
        await self._write_reads([entry])

    async def add_many(self, entries: Sequence[ShelfEntry]) -> None:
        if not entries:
            return
        values = [
            _entry_values(entry) | {"user_id": entry.user_id, "book_id": entry.book_id, "date_added": entry.date_added}
            for entry in entries
        ]
        try:
            async with self._conn.begin_nested():
                await insert_rows(self._conn, shelf_entries, values)
        except IntegrityError:
            raise AlreadyOnShelf("one of these books is on your shelf already") from None
        for entry in entries:
            self._uow.track(entry)
            self._stored[(entry.user_id, entry.book_id)] = {}
        await self._write_reads(entries)

    async def update(self, entry: ShelfEntry) -> None:
        await self.update_many([entry])

    async def update_many(self, entries: Sequence[ShelfEntry]) -> None:
        if not entries:
            return
        # The SET clause is the parameters' column names; the k_ ones pick the row.
        statement = update(shelf_entries).where(
            shelf_entries.c.user_id == bindparam("k_user"), shelf_entries.c.book_id == bindparam("k_book")
        )
        values = [_entry_values(entry) | {"k_user": entry.user_id, "k_book": entry.book_id} for entry in entries]
        await self._conn.execute(statement, values)
        await self._write_reads([entry for entry in entries if entry.reads_loaded])

    async def mark_owned(self, user_id: UUID, book_ids: Sequence[UUID], *, at: datetime) -> None:
        await self._conn.execute(
            update(shelf_entries)
            .where(
                shelf_entries.c.user_id == user_id,
                shelf_entries.c.book_id.in_(book_ids),
                shelf_entries.c.owned.is_(False),
            )
            .values(owned=True, updated_at=at)
        )

    async def _write_reads(self, entries: Sequence[ShelfEntry]) -> None:
        """The entries' reads as they are now: those removed, then those changed, then the new ones (a read
        closed before another opens), a statement each for all the entries."""
        gone: list[UUID] = []
        changed: list[dict[str, Any]] = []
        new: list[dict[str, Any]] = []
        for entry in entries:
            stored = self._stored.setdefault((entry.user_id, entry.book_id), {})
            current = {read.id for read in entry.reads}
            gone += [read_id for read_id in stored if read_id not in current]
            for read in entry.reads:
                values = _read_values(read)
                if read.id not in stored:
                    key = {
                        "id": read.id,
                        "user_id": read.user_id,
                        "book_id": read.book_id,
                        "created_at": read.created_at,
                    }
                    new.append(values | key)
                elif stored[read.id] != values:
                    changed.append(values | {"k_id": read.id})
        if gone:
            await self._conn.execute(delete(reads).where(reads.c.id.in_(gone)))
        try:
            if changed:
                await self._conn.execute(update(reads).where(reads.c.id == bindparam("k_id")), changed)
            if new:
                await insert_rows(self._conn, reads, new)
        except IntegrityError as exc:
            # A racing writer opened a read of this entry first (uq_reads_open); the transaction is over.
            if "unique" in str(exc.orig).lower():
                raise ReadAlreadyOpen("another read of this book was opened meanwhile") from None
            raise
        for entry in entries:
            self._stored[(entry.user_id, entry.book_id)] = {read.id: _read_values(read) for read in entry.reads}

    async def delete(self, user_id: UUID, book_id: UUID) -> None:
        await self._conn.execute(delete(shelf_entries).where(*self._key(user_id, book_id)))  # reads cascade

    async def page(
        self, user_id: UUID, *, status: ShelfStatus | None, sort: ShelfSort, limit: int, offset: int
    ) -> tuple[Sequence[ShelfItem], int]:
        where = [shelf_entries.c.user_id == user_id]
        if status is not None:
            where.append(shelf_entries.c.status == status.value)
        total = (await self._conn.execute(select(func.count()).select_from(shelf_entries).where(*where))).scalar_one()
        if total <= offset:
            return [], total
        # One statement for the page: each entry with its book, the book's genre and the reader's live review.
        live = (
            (reviews.c.user_id == shelf_entries.c.user_id)
            & (reviews.c.book_id == shelf_entries.c.book_id)
            & reviews.c.deleted_at.is_(None)
        )
        source = (
            shelf_entries.join(books, books.c.id == shelf_entries.c.book_id)
            .outerjoin(genres, genres.c.id == books.c.genre_id)
            .outerjoin(users, users.c.id == books.c.added_by)  # a reader's own book shows who added it
            .outerjoin(reviews, live)
        )
        columns = [
            *shelf_entries.c,
            *(column.label(f"{_BOOK}{column.key}") for column in books.c),
            genres.c.name.label(f"{_BOOK}genre_name"),
            genres.c.slug.label(f"{_BOOK}genre_slug"),
            users.c.username.label(f"{_BOOK}added_by_name"),
            *(column.label(f"{_REVIEW}{column.key}") for column in reviews.c),
        ]
        query = select(*columns).select_from(source).where(*where).order_by(*_ORDER[sort]).limit(limit).offset(offset)
        rows = (await self._conn.execute(query)).mappings().all()
        return [_to_item(row) for row in rows], total


class SqlPurchaseHistory:
    """Reads the commerce capability's orders: a CONFIRMED order line of the book is a purchase."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def has_bought(self, user_id: UUID, book_id: UUID) -> bool:
        query = (
            select(order_items.c.id)
            .join(orders, orders.c.id == order_items.c.order_id)
            .where(orders.c.user_id == user_id, orders.c.status == CONFIRMED, order_items.c.book_id == book_id)
            .limit(1)
        )
        return (await self._conn.execute(query)).first() is not None

    async def bought_of(self, user_id: UUID, book_ids: Sequence[UUID]) -> set[UUID]:
        wanted = sorted(set(book_ids))
        if not wanted:
            return set()
        of_books, params = one_of(self._conn, order_items.c.book_id, wanted, "book_ids", item=Uuid())
        query = (
            select(order_items.c.book_id)
            .join(orders, orders.c.id == order_items.c.order_id)
            .where(orders.c.user_id == user_id, orders.c.status == CONFIRMED, of_books)
            .distinct()
        )
        return set((await self._conn.execute(query, params)).scalars())
