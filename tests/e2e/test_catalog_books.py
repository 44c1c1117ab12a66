"""Books over HTTP on both databases: admin writes, public reads, ETags, bad input."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from entrypoints.bootstrap import Services
from tests.e2e.test_conventions import assert_problem
from tests.support.catalog import admin_headers, create_book, list_books, titles, user_headers
from tests.support.http import API

Client = AsyncTestClient[Any]


async def test_admin_creates_a_book_that_anyone_reads(client: Client, services: Services) -> None:
    admin = await admin_headers(client, services)
    await client.post(f"{API}/genres", json={"name": "Science Fiction"}, headers=admin)
    book = await create_book(
        client,
        admin,
        title="Dune",
        author="Frank Herbert",
        price="9.5",
        isbn="0-441-17271-7",
        genre="science-fiction",
        tags=["classic", "desert", "classic"],
        stock=3,
        publication_date="1965-08-01",
        language="en",
    )
    assert book["isbn"] == "9780441172719"
    assert book["price"] == "9.50"
    assert book["genre"]["slug"] == "science-fiction"
    assert book["tags"] == ["classic", "desert"]
    response = await client.get(f"{API}/books/{book['id']}")
    assert response.status_code == 200
    detail = response.json()
    assert detail["rating_distribution"] == {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}
    assert detail["average_rating"] is None
    assert detail["stock"] == 3


async def test_catalog_writes_need_an_admin_and_a_reader_never_prices(client: Client, services: Services) -> None:
    # A reader may POST a book of their own (tests/e2e/test_readers_books.py), never with a price.
    user = await user_headers(client, services)
    body = {"title": "T", "author": "A", "price": "1.00"}
    assert_problem(await client.post(f"{API}/books", json=body), 401, "unauthorized")
    assert_problem(await client.post(f"{API}/books", json=body, headers=user), 403, "forbidden")
    assert_problem(await client.post(f"{API}/genres", json={"name": "X"}, headers=user), 403, "forbidden")
    admin = await admin_headers(client, services)
    book = await create_book(client, admin)
    path = f"{API}/books/{book['id']}"
    assert_problem(await client.patch(path, json={"price": "0.01"}, headers=user), 403, "forbidden")
    assert_problem(await client.patch(f"{path}/stock", json={"stock": 0}), 401, "unauthorized")
    assert_problem(await client.delete(path, headers=user), 403, "forbidden")
    assert (await client.get(path)).json()["price"] == "10.00"


async def test_duplicate_isbn_is_a_conflict_and_a_bad_one_is_named(client: Client, services: Services) -> None:
    admin = await admin_headers(client, services)
    await create_book(client, admin, isbn="978-0-306-40615-7")
    response = await client.post(
        f"{API}/books", json={"title": "B", "author": "A", "price": "1", "isbn": "0306406152"}, headers=admin
    )
    assert_problem(response, 409, "conflict")
    response = await client.post(
        f"{API}/books", json={"title": "B", "author": "A", "price": "1", "isbn": "978-0-306-40615-8"}, headers=admin
    )
    body = assert_problem(response, 422, "validation")
    assert body["errors"][0]["field"] == "isbn"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "T", "author": "A", "price": "-1.00"}, "price"),
        ({"title": "T", "author": "A", "price": "abc"}, "price"),
        ({"title": "T", "author": "A", "price": "1e30"}, "price"),
        ({"title": "T", "author": "A", "price": "1", "stock": -1}, "stock"),
        ({"title": "T", "author": "A", "price": "1", "genre": "no-such-genre"}, "genre"),
        ({"title": "  ", "author": "A", "price": "1"}, "title"),
        ({"author": "A", "price": "1"}, "title"),  # a missing field is named as itself, never "body"
    ],
)
async def test_bad_books_are_refused_on_their_field(
    client: Client, services: Services, body: dict[str, Any], field: str
) -> None:
    admin = await admin_headers(client, services)
    problem = assert_problem(await client.post(f"{API}/books", json=body, headers=admin), 422, "validation")
    assert field in {error["field"] for error in problem["errors"]}


async def test_patch_changes_only_what_was_sent(client: Client, services: Services) -> None:
    admin = await admin_headers(client, services)
    book = await create_book(client, admin, description="old", tags=["a"])
    path = f"{API}/books/{book['id']}"
    response = await client.patch(path, json={"price": "12.34", "description": None, "tags": ["b"]}, headers=admin)
    assert response.status_code == 200, response.text
    changed = response.json()
    assert (changed["price"], changed["description"], changed["tags"], changed["title"]) == (
        "12.34",
        None,
        ["b"],
        "Untitled",
    )
    assert_problem(await client.patch(path, json={"price": "-5"}, headers=admin), 422, "validation")


async def test_stock_is_set_and_never_negative(client: Client, services: Services) -> None:
    admin = await admin_headers(client, services)
    book = await create_book(client, admin, stock=0)
    path = f"{API}/books/{book['id']}/stock"
    assert_problem(await client.patch(path, json={"stock": -1}, headers=admin), 422, "validation")
    assert_problem(await client.patch(path, json={"stock": 2**31}, headers=admin), 422, "validation")
    response = await client.patch(path, json={"stock": 7}, headers=admin)
    assert response.status_code == 200
    assert response.json()["stock"] == 7


async def test_delete_book_then_it_is_gone(client: Client, services: Services) -> None:
    admin = await admin_headers(client, services)
    book = await create_book(client, admin)
    path = f"{API}/books/{book['id']}"
    assert (await client.delete(path, headers=admin)).status_code == 204
    assert_problem(await client.get(path), 404, "not-found")
    assert_problem(await client.delete(path, headers=admin), 404, "not-found")
    assert (await list_books(client))["total"] == 0


async def test_etag_and_304(client: Client, services: Services) -> None:
    admin = await admin_headers(client, services)
    book = await create_book(client, admin)
    path = f"{API}/books/{book['id']}"
    first = await client.get(path)
    etag = first.headers["etag"]
    again = await client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert (await client.get(path, headers={"If-None-Match": '"other"'})).status_code == 200
    await client.patch(path, json={"price": "11.00"}, headers=admin)
    changed = await client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.json()["price"] == "11.00"
    assert changed.headers["etag"] != etag


async def test_genres_and_tags_lists(client: Client, services: Services) -> None:
    admin = await admin_headers(client, services)
    created = await client.post(f"{API}/genres", json={"name": "Crime Fiction"}, headers=admin)
    assert created.status_code == 201
    genre = created.json()
    assert genre["slug"] == "crime-fiction"
    assert_problem(await client.post(f"{API}/genres", json={"name": "crime fiction"}, headers=admin), 409, "conflict")
    book = await create_book(client, admin, genre="crime-fiction", tags=["noir", "paris"])
    await create_book(client, admin, tags=["noir"])
    genres = (await client.get(f"{API}/genres")).json()
    assert genres == [{"id": genre["id"], "name": "Crime Fiction", "slug": "crime-fiction", "book_count": 1}]
    assert (await client.get(f"{API}/tags")).json() == [
        {"name": "noir", "book_count": 2},
        {"name": "paris", "book_count": 1},
    ]
    assert (await client.delete(f"{API}/genres/{genre['id']}", headers=admin)).status_code == 204
    assert (await client.get(f"{API}/books/{book['id']}")).json()["genre"] is None
    assert (await client.get(f"{API}/genres")).json() == []
    assert titles(await list_books(client, tag="paris")) == ["Untitled"]
