from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from operator import itemgetter
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, Uuid, bindparam, delete, exists, func, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.arrays import one_of
from adapters.sql.copy_encoder import insert_rows
from adapters.sql.tables import books, genres, order_items, users
from application.uow import UnitOfWorkBase
from domain.catalog import Book, Contributor, Genre, InsufficientStock, short_of_stock
from domain.money import Money

BOOK_WITH_GENRE = (
    books,
    genres.c.name.label("genre_name"),
    genres.c.slug.label("genre_slug"),
    users.c.username.label("added_by_name"),
)


def book_rows() -> Select[Any]:
    """`books` rows with what `to_book` needs of their genre and of the reader who added them."""
    return (
        select(*BOOK_WITH_GENRE)
        .outerjoin(genres, genres.c.id == books.c.genre_id)
        .outerjoin(users, users.c.id == books.c.added_by)
    )


#: Prices repeat across a catalog: one Money (immutable) per distinct amount read, so a page of books
#: checks and quantizes each price once per process, not once per row (bounded: past it, made each time).
_PRICES: dict[Any, Money] = {}
_PRICES_MAX = 4096


def _price(amount: Any) -> Money | None:
    if amount is None:
        return None
    found = _PRICES.get(amount)
    if found is None:
        found = Money(Decimal(amount))
        if len(_PRICES) < _PRICES_MAX:
            _PRICES[amount] = found
    return found


#: The columns of a `book_rows` row a Book is made of, in `_book`'s order.
_BOOK_READ = (  # noqa: SIM905 (a few lines of names, not one line per name)
    "id title author price created_at updated_at stock isbn description publisher publication_date pages language"
    " genre_id genre_name genre_slug tags rating_1 rating_2 rating_3 rating_4 rating_5 published added_by added_by_name"
).split()
_BY_NAME = itemgetter(*_BOOK_READ)


def _book(
    id: UUID,
    title: str,
    author: str,
    price: Any,
    created_at: Any,
    updated_at: Any,
    stock: int,
    isbn: str | None,
    description: str | None,
    publisher: str | None,
    publication_date: Any,
    pages: int | None,
    language: str | None,
    genre_id: UUID | None,
    genre_name: str,
    genre_slug: str,
    tags: Sequence[str],
    r1: int,
    r2: int,
    r3: int,
    r4: int,
    r5: int,
    published: bool,
    added_by: UUID | None,
    added_by_name: str,
) -> Book:
    return Book(
        id=id,
        title=title,
        author=author,
        price=_price(price),
        created_at=created_at,
        updated_at=updated_at,
        stock=stock,
        isbn=isbn,
        description=description,
        publisher=publisher,
        publication_date=publication_date,
        pages=pages,
        language=language,
        genre=None if genre_id is None else Genre(genre_id, genre_name, genre_slug),
        tags=list(tags),  # stored as the book keeps them: sorted, no repeats
        rating_counts=(r1, r2, r3, r4, r5),
        published=published,
        added_by=None if added_by is None else Contributor(added_by, added_by_name),
    )


def to_book(row: Mapping[str, Any] | RowMapping) -> Book:
    """Maps a `books` row joined with its genre's `genre_name` and `genre_slug`."""
    return _book(*_BY_NAME(row))


def book_maker(names: Sequence[str]) -> Callable[[Sequence[Any]], Book]:
    """`to_book` for rows given as values in the order of `names` (a driver's row factory): no dict per row."""
    picked = itemgetter(*[names.index(name) for name in _BOOK_READ])
    return lambda values: _book(*picked(values))


def rating_values(book: Book) -> dict[str, Any]:
    """The rating figures as the `books` row keeps them."""
    r1, r2, r3, r4, r5 = book.rating_counts
    average = book.average_rating
    return {
        "rating_1": r1,
        "rating_2": r2,
        "rating_3": r3,
        "rating_4": r4,
        "rating_5": r5,
        "review_count": book.review_count,
        "average_rating": None if average is None else Decimal(str(average)),
    }


def book_values(book: Book) -> dict[str, Any]:
    return rating_values(book) | {
        "title": book.title,
        "author": book.author,
        "isbn": book.isbn,
        "description": book.description,
        "publisher": book.publisher,
        "publication_date": book.publication_date,
        "pages": book.pages,
        "language": book.language,
        "genre_id": None if book.genre is None else book.genre.id,
        "price": None if book.price is None else book.price.amount,
        "stock": book.stock,
        "tags": book.tags,
        "updated_at": book.updated_at,
        "published": book.published,
        "added_by": None if book.added_by is None else book.added_by.id,
    }


def _refuse_short(wanted: Sequence[tuple[UUID, int]], found: Mapping[UUID, Book]) -> None:
    for book_id, quantity in wanted:
        book = found.get(book_id)
        if book is None or book.stock < quantity:
            raise InsufficientStock(short_of_stock(book, quantity))


class SqlBookRepository:
    def __init__(self, conn: AsyncConnection, uow: UnitOfWorkBase) -> None:
        self._conn = conn
        self._uow = uow

    async def get(self, book_id: UUID, *, lock: bool = False) -> Book | None:
        found = await self.get_many([book_id], lock=lock)
        return found[0] if found else None

    async def get_many(self, book_ids: Sequence[UUID], *, lock: bool = False) -> list[Book]:
        ids = sorted(set(book_ids))
        if not ids:
            return []
        # Ids as one uuid[] parameter on PostgreSQL (see bench/imports.py).
        wanted, params = one_of(self._conn, books.c.id, ids, "ids", item=Uuid())
        query = book_rows().where(wanted).order_by(books.c.id)
        if lock:
            query = query.with_for_update(of=books)
        rows = (await self._conn.execute(query, params)).mappings().all()
        found = [to_book(row) for row in rows]
        for book in found:
            self._uow.track(book)
        return found

    async def with_isbns(self, isbns: Sequence[str]) -> list[Book]:
        if not isbns:
            return []
        wanted, params = one_of(self._conn, books.c.isbn, sorted(set(isbns)), "isbns")
        rows = (await self._conn.execute(book_rows().where(wanted), params)).mappings().all()
        return [to_book(row) for row in rows]

    async def add(self, book: Book) -> None:
        await self.add_many([book])

    async def add_many(self, new: Sequence[Book]) -> None:
        if not new:
            return
        rows = [book_values(book) | {"id": book.id, "created_at": book.created_at} for book in new]
        await insert_rows(self._conn, books, rows)
        for book in new:
            self._uow.track(book)

    async def update(self, book: Book) -> None:
        await self._conn.execute(update(books).where(books.c.id == book.id).values(book_values(book)))

    async def take_stock(self, quantities: Mapping[UUID, int]) -> dict[UUID, int]:
        wanted = sorted(quantities.items())
        if not wanted:
            return {}
        taking = update(books).where(books.c.id == bindparam("book_id"), books.c.stock >= bindparam("quantity"))
        taking = taking.values(stock=books.c.stock - bindparam("quantity"))
        if len(wanted) == 1:
            # The guard is the database's: a book with fewer copies left than wanted is not touched.
            [(book_id, quantity)] = wanted
            left = (
                await self._conn.execute(taking.returning(books.c.stock), {"book_id": book_id, "quantity": quantity})
            ).scalar()
            if left is None:
                _refuse_short(wanted, {book.id: book for book in await self.get_many([book_id])})
                raise InsufficientStock("a book in the cart was sold out meanwhile")
            return {book_id: left}
        # Several books: all their row locks first, in id order, so two carts never wait on each other
        # in a cycle; a book short of stock is found under its lock and refused before any is taken.
        locked = {book.id: book for book in await self.get_many(list(quantities), lock=True)}
        _refuse_short(wanted, locked)
        taken = await self._conn.execute(taking, [{"book_id": b, "quantity": q} for b, q in wanted])
        if taken.rowcount != len(wanted):
            raise InsufficientStock("a book in the cart was sold out meanwhile")
        return {book_id: locked[book_id].stock - quantity for book_id, quantity in wanted}

    async def delete(self, book_id: UUID) -> None:
        await self._conn.execute(delete(books).where(books.c.id == book_id))

    async def isbn_taken(self, isbn: str, *, exclude: UUID | None = None) -> bool:
        return await self.by_isbn(isbn, exclude=exclude) is not None

    async def by_isbn(self, isbn: str, *, exclude: UUID | None = None) -> Book | None:
        query = book_rows().where(books.c.isbn == isbn)
        if exclude is not None:
            query = query.where(books.c.id != exclude)
        row = (await self._conn.execute(query.limit(1))).mappings().first()
        return None if row is None else to_book(row)

    async def match_candidates(self, titles: Sequence[str], authors: Sequence[str]) -> list[Book]:
        if not titles and not authors:
            return []
        wanted: list[ColumnElement[bool]] = []
        params: dict[str, Any] = {}
        for column, names, name in (
            (func.lower(books.c.title), titles, "titles"),
            (func.lower(books.c.author), authors, "authors"),
        ):
            if names:
                condition, given = one_of(self._conn, column, sorted(set(names)), name)
                wanted.append(condition)
                params |= given
        rows = (await self._conn.execute(book_rows().where(or_(*wanted)).order_by(books.c.id), params)).mappings()
        return [to_book(row) for row in rows.all()]

    async def has_orders(self, book_id: UUID) -> bool:
        query = select(exists().where(order_items.c.book_id == book_id))
        return bool((await self._conn.execute(query)).scalar())
