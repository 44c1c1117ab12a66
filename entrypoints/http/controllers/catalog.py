from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from application.catalog.books import CreateBook, DeleteBook, PublishBook, SetStock, UpdateBook
from application.catalog.genres import CreateGenre, DeleteGenre
from application.catalog.queries import ListBooks
from application.identity.tokens import Principal
from application.ports.catalog import Sort
from domain.book_policy import Viewer
from entrypoints.bootstrap import Services
from entrypoints.http.auth import BEARER, requires_admin, requires_moderator, requires_user, services_of, viewer_of
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

#: Route options of the admins' catalog writes.
ADMIN: dict[str, Any] = {"guards": [requires_admin], "security": BEARER}
#: ... of the writes the BookPolicy decides on (readers' own books, moderators).
SIGNED_IN: dict[str, Any] = {"guards": [requires_user], "security": BEARER}


#: A cursor holds a title and an author at their longest (500 and 300 characters, each up to 6 bytes
#: of JSON), in base64.
AFTER_MAX = 6600


def _by(principal: Principal) -> Viewer:
    return Viewer(principal.user_id, principal.role)


def _text(max_length: int, description: str) -> Any:
    return QueryParameter(max_length=max_length, description=description)


class BooksController(Controller):
    path = "/books"
    tags = ["catalog"]

    @get("/", responses=problem_responses(401, 422))
    async def list_books(
        self,
        request: Request[Any, Any, Any],
        q: Annotated[str | None, _text(200, "Full-text search over title, author, description")] = None,
        genre: Annotated[str | None, _text(120, "Genre slug")] = None,
        author: Annotated[str | None, _text(300, "Case-insensitive substring of the author")] = None,
        tag: Annotated[str | None, _text(50, "Tag name")] = None,
        min_price: Annotated[str | None, _text(32, "Lowest price, a decimal")] = None,
        max_price: Annotated[str | None, _text(32, "Highest price, a decimal")] = None,
        in_stock: FromQuery[bool | None] = None,
        language: Annotated[str | None, _text(35, "Language code")] = None,
        sort: FromQuery[Sort | None] = None,
        for_sale: FromQuery[bool | None] = None,
        added_by: Annotated[str | None, _text(36, "A user id, or `me`: the books that reader added")] = None,
        published: FromQuery[bool | None] = None,
        limit: Limit = 20,
        offset: Offset = 0,
        after: Annotated[
            str | None,
            _text(AFTER_MAX, "The `next` cursor of a page: the page after it, in constant time however deep"),
        ] = None,
    ) -> BookPage:
        """Lists and searches the catalog (relevance order by default when `q` is given). Readers'
        unpublished books show only to them and to moderators, with `added_by` or `published=false`.

        Deep pages: each page's `next` is a cursor; `?after=<next>` with the same filters and sort gives
        the page after it, at the cost of a first page (an offset costs the books it skips). `after` takes
        no `offset`; relevance order has no cursor (`next` null, `after` refused with 422).

        A text search counts its matches exactly up to a cap; past it `total` is the cap and
        `total_estimated` is true (a lower bound: paging reaches every match)."""
        cmd = ListBooks(
            q,
            genre,
            author,
            tag,
            min_price,
            max_price,
            in_stock,
            language,
            sort.value if sort else None,
            limit,
            offset,
            for_sale=for_sale,
            added_by=added_by,
            published=published,
            viewer=viewer_of(request),
            after=after,
        )
        found = await services_of(request).catalog.list_page(cmd)
        items = [BookOut.of(book) for book in found.items]
        return BookPage(items, found.total, limit, offset, found.next, found.total_estimated)

    @get(
        "/{book_id:uuid}",
        responses={
            200: ResponseSpec(data_container=BookDetailOut, description="The book"),
            **problem_responses(404),
        },
    )
    async def get_book(
        self,
        book_id: FromPath[UUID],
        request: Request[Any, Any, Any],
    ) -> Response[bytes]:
        """A book with its rating distribution; sends an ETag and answers 304 to a matching If-None-Match."""
        book = await services_of(request).catalog.get_book(book_id, viewer_of(request))
        return etag_response(request, BookDetailOut.detail(book))

    @post("/", status_code=201, **SIGNED_IN, responses=problem_responses(401, 403, 409, 422, 429))
    async def create_book(
        self, data: JSONBody[BookIn], principal: NamedDependency[Principal], services: NamedDependency[Services]
    ) -> Response[BookOut]:
        """Adds a book: an admin's is published (and needs a price); anyone else's is their own,
        unpublished and not for sale (50 a day), until a moderator publishes it."""
        book = await services.catalog.create_book(
            CreateBook(
                by=_by(principal),
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
        return Response(BookOut.of(book), status_code=201, headers={"Location": f"/api/v1/books/{book.id}"})

    @post(
        "/{book_id:uuid}/publish",
        status_code=200,
        guards=[requires_moderator],
        security=BEARER,
        responses=problem_responses(401, 403, 404, 409),
    )
    async def publish_book(
        self, book_id: FromPath[UUID], principal: NamedDependency[Principal], services: NamedDependency[Services]
    ) -> BookOut:
        """Publishes a reader's book to the catalog (moderators and admins); still not for sale until priced."""
        return BookOut.of(await services.catalog.publish_book(PublishBook(_by(principal), book_id)))

    @patch("/{book_id:uuid}", **SIGNED_IN, responses=problem_responses(401, 403, 404, 409, 422))
    async def update_book(
        self,
        book_id: FromPath[UUID],
        data: JSONBody[BookPatch],
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
    ) -> BookOut:
        """Changes the fields sent: admins, moderators, or the reader who added it while unpublished;
        `price` and `stock` are admins' (`"price": null` takes the book off sale)."""
        cmd = UpdateBook(_by(principal), book_id, data.changes())
        return BookOut.of(await services.catalog.update_book(cmd))

    @delete("/{book_id:uuid}", **SIGNED_IN, responses=problem_responses(401, 403, 404, 409))
    async def delete_book(
        self, book_id: FromPath[UUID], principal: NamedDependency[Principal], services: NamedDependency[Services]
    ) -> None:
        """Deletes a book (admins, moderators, or its reader while unpublished); a book with orders
        only by an admin. Shelf, cart and pre-booking entries go with it, past orders keep their snapshot."""
        await services.catalog.delete_book(DeleteBook(_by(principal), book_id))

    @patch(
        "/{book_id:uuid}/stock",
        guards=[requires_admin],
        security=BEARER,
        responses=problem_responses(401, 403, 404, 422),
    )
    async def set_stock(
        self,
        book_id: FromPath[UUID],
        data: JSONBody[StockIn],
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
    ) -> BookOut:
        """Sets the stock; from 0 to above 0 notifies waiting pre-bookings."""
        return BookOut.of(await services.catalog.set_stock(SetStock(_by(principal), book_id, data.stock)))


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
