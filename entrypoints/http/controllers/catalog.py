from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from application.catalog.books import CreateBook, DeleteBook, SetStock, UpdateBook
from application.catalog.genres import CreateGenre, DeleteGenre
from application.catalog.queries import ListBooks
from application.ports.catalog import Sort
from entrypoints.bootstrap import Services
from entrypoints.http.auth import BEARER, requires_admin
from entrypoints.http.etag import etag_response
from entrypoints.http.pagination import Limit, Offset
from entrypoints.http.problems import problem_responses
from entrypoints.http.schemas.catalog import (
    BookDetailOut,
    BookIn,
    BookOut,
    BookPage,
    BookPatch,
    GenreIn,
    GenreOut,
    StockIn,
    TagOut,
)

#: Route options of every catalog write.
ADMIN: dict[str, Any] = {"guards": [requires_admin], "security": BEARER}


def _text(max_length: int, description: str) -> Any:
    return QueryParameter(max_length=max_length, description=description)


class BooksController(Controller):
    path = "/books"
    tags = ["catalog"]

    @get("/", responses=problem_responses(422))
    async def list_books(
        self,
        services: NamedDependency[Services],
        q: Annotated[str | None, _text(200, "Full-text search over title, author, description")] = None,
        genre: Annotated[str | None, _text(120, "Genre slug")] = None,
        author: Annotated[str | None, _text(300, "Case-insensitive substring of the author")] = None,
        tag: Annotated[str | None, _text(50, "Tag name")] = None,
        min_price: Annotated[str | None, _text(32, "Lowest price, a decimal")] = None,
        max_price: Annotated[str | None, _text(32, "Highest price, a decimal")] = None,
        in_stock: FromQuery[bool | None] = None,
        language: Annotated[str | None, _text(35, "Language code")] = None,
        sort: FromQuery[Sort | None] = None,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> BookPage:
        """Lists and searches the catalog (relevance order by default when `q` is given)."""
        cmd = ListBooks(
            q, genre, author, tag, min_price, max_price, in_stock, language, sort.value if sort else None, limit, offset
        )
        found, total = await services.catalog.list_books(cmd)
        return BookPage([BookOut.of(book) for book in found], total, limit, offset)

    @get(
        "/{book_id:uuid}",
        responses={
            200: ResponseSpec(data_container=BookDetailOut, description="The book"),
            **problem_responses(404),
        },
    )
    async def get_book(
        self, book_id: FromPath[UUID], services: NamedDependency[Services], request: Request[Any, Any, Any]
    ) -> Response[bytes]:
        """A book with its rating distribution; sends an ETag and answers 304 to a matching If-None-Match."""
        book = await services.catalog.get_book(book_id)
        return etag_response(request, BookDetailOut.detail(book))

    @post("/", status_code=201, **ADMIN, responses=problem_responses(401, 403, 409, 422))
    async def create_book(self, data: JSONBody[BookIn], services: NamedDependency[Services]) -> BookOut:
        """Adds a book (admins)."""
        book = await services.catalog.create_book(
            CreateBook(
                title=data.title,
                author=data.author,
                price=data.price,
                isbn=data.isbn,
                description=data.description,
                publisher=data.publisher,
                publication_date=data.publication_date,
                pages=data.pages,
                language=data.language,
                genre=data.genre,
                tags=list(data.tags),
                stock=data.stock,
            )
        )
        return BookOut.of(book)

    @patch(
        "/{book_id:uuid}",
        guards=[requires_admin],
        security=BEARER,
        responses=problem_responses(401, 403, 404, 409, 422),
    )
    async def update_book(
        self, book_id: FromPath[UUID], data: JSONBody[BookPatch], services: NamedDependency[Services]
    ) -> BookOut:
        """Changes the fields sent (admins)."""
        return BookOut.of(await services.catalog.update_book(UpdateBook(book_id, data.changes())))

    @delete("/{book_id:uuid}", **ADMIN, responses=problem_responses(401, 403, 404))
    async def delete_book(self, book_id: FromPath[UUID], services: NamedDependency[Services]) -> None:
        """Deletes a book; shelf, cart and pre-booking entries go with it, past orders keep their snapshot."""
        await services.catalog.delete_book(DeleteBook(book_id))

    @patch(
        "/{book_id:uuid}/stock",
        guards=[requires_admin],
        security=BEARER,
        responses=problem_responses(401, 403, 404, 422),
    )
    async def set_stock(
        self, book_id: FromPath[UUID], data: JSONBody[StockIn], services: NamedDependency[Services]
    ) -> BookOut:
        """Sets the stock; from 0 to above 0 notifies waiting pre-bookings."""
        return BookOut.of(await services.catalog.set_stock(SetStock(book_id, data.stock)))


class GenresController(Controller):
    path = "/genres"
    tags = ["catalog"]

    @get("/")
    async def list_genres(self, services: NamedDependency[Services]) -> list[GenreOut]:
        """Every genre with its number of books."""
        return [GenreOut.of(genre) for genre in await services.catalog.genres()]

    @post("/", status_code=201, **ADMIN, responses=problem_responses(401, 403, 409, 422))
    async def create_genre(self, data: JSONBody[GenreIn], services: NamedDependency[Services]) -> GenreOut:
        """Adds a genre (admins); its slug is made from the name."""
        genre = await services.catalog.create_genre(CreateGenre(data.name))
        return GenreOut(genre.id, genre.name, genre.slug, 0)

    @delete("/{genre_id:uuid}", **ADMIN, responses=problem_responses(401, 403, 404))
    async def delete_genre(self, genre_id: FromPath[UUID], services: NamedDependency[Services]) -> None:
        """Deletes a genre; its books keep no genre."""
        await services.catalog.delete_genre(DeleteGenre(genre_id))


class TagsController(Controller):
    path = "/tags"
    tags = ["catalog"]

    @get("/")
    async def list_tags(self, services: NamedDependency[Services]) -> list[TagOut]:
        """Every tag in use with its number of books."""
        return [TagOut(tag.name, tag.book_count) for tag in await services.catalog.tags()]


CATALOG_ROUTES = [BooksController, GenresController, TagsController]
