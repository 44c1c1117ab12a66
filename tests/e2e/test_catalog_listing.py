"""GET /books: every filter and sort, pagination totals and bad input, on both databases."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from entrypoints.bootstrap import Services
from tests.e2e.test_conventions import assert_problem
from tests.support.builders import T0, a_book, add_books, add_genre
from tests.support.catalog import list_books, titles
from tests.support.http import API

Client = AsyncTestClient[Any]


@pytest.fixture
async def shelf(services: Services) -> None:
    fantasy = await add_genre(services, "Fantasy")
    await add_books(
        services,
        a_book(
            title="Alpha",
            author="Ursula Le Guin",
            price="30.00",
            stock=0,
            language="en",
            genre=fantasy,
            tags=["magic"],
            created_at=T0,
            publication_date=date(1968, 1, 1),
            rating_counts=(0, 0, 0, 0, 2),
        ),
        a_book(
            title="Bravo",
            author="Terry Pratchett",
            price="10.00",
            stock=5,
            language="en",
            genre=fantasy,
            tags=["funny", "magic"],
            created_at=T0 + timedelta(days=1),
            publication_date=date(1983, 1, 1),
            rating_counts=(0, 0, 1, 0, 0),
        ),
        a_book(
            title="Charlie",
            author="100% Real_Author",
            price="20.00",
            stock=2,
            language="fr",
            created_at=T0 + timedelta(days=2),
        ),
    )


@pytest.mark.usefixtures("shelf")
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["Charlie", "Bravo", "Alpha"]),
        ({"genre": "fantasy"}, ["Bravo", "Alpha"]),
        ({"genre": "no-such"}, []),
        ({"author": "PRATCH"}, ["Bravo"]),
        ({"author": "%"}, ["Charlie"]),
        ({"author": "r_a"}, []),
        ({"author": "real_"}, ["Charlie"]),
        ({"tag": "magic"}, ["Bravo", "Alpha"]),
        ({"tag": "funny"}, ["Bravo"]),
        ({"min_price": "15"}, ["Charlie", "Alpha"]),
        ({"max_price": "20.00"}, ["Charlie", "Bravo"]),
        ({"min_price": "10", "max_price": "10"}, ["Bravo"]),
        ({"in_stock": "true"}, ["Charlie", "Bravo"]),
        ({"language": "fr"}, ["Charlie"]),
        ({"sort": "title"}, ["Alpha", "Bravo", "Charlie"]),
        ({"sort": "price"}, ["Bravo", "Charlie", "Alpha"]),
        ({"sort": "-price"}, ["Alpha", "Charlie", "Bravo"]),
        ({"sort": "-rating"}, ["Alpha", "Bravo", "Charlie"]),
        ({"sort": "-publication_date"}, ["Bravo", "Alpha", "Charlie"]),
        ({"sort": "-created_at"}, ["Charlie", "Bravo", "Alpha"]),
        ({"q": "pratchett"}, ["Bravo"]),
        ({"q": "magic"}, []),
    ],
)
async def test_filters_and_sorts(client: Client, params: dict[str, str], expected: list[str]) -> None:
    page = await list_books(client, **params)
    assert titles(page) == expected
    assert page["total"] == len(expected)


@pytest.mark.usefixtures("shelf")
async def test_pages_carry_the_total(client: Client) -> None:
    first = await list_books(client, limit=2, sort="title")
    second = await list_books(client, limit=2, offset=2, sort="title")
    beyond = await list_books(client, limit=2, offset=50, sort="title")
    assert (titles(first), first["total"], first["limit"], first["offset"]) == (["Alpha", "Bravo"], 3, 2, 0)
    assert (titles(second), second["total"]) == (["Charlie"], 3)
    assert (titles(beyond), beyond["total"]) == ([], 3)


@pytest.mark.usefixtures("shelf")
async def test_next_cursors_walk_the_pages_and_bad_ones_are_422_on_after(client: Client) -> None:
    first = await list_books(client, limit=2, sort="-price")
    assert (titles(first), first["total"], first["offset"]) == (["Alpha", "Charlie"], 3, 0)
    assert first["total_estimated"] is False
    second = await list_books(client, limit=2, sort="-price", after=first["next"])
    assert (titles(second), second["total"], second["next"]) == (["Bravo"], 3, None)
    assert (await list_books(client, q="ursula"))["next"] is None  # relevance order pages by offset
    cursor = first["next"]
    for params in [
        {"sort": "-price", "after": cursor[:-3]},
        {"sort": "-price", "after": cursor, "offset": "2"},
        {"sort": "title", "after": cursor},
        {"q": "ursula", "after": cursor},
        {"sort": "-price", "after": "x" * 7000},
    ]:
        body = assert_problem(await client.get(f"{API}/books", params=params), 422, "validation")
        assert [error["field"] for error in body["errors"]] == ["after"], params


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "popularity"},
        {"limit": "0"},
        {"limit": "1000"},
        {"limit": "abc"},
        {"offset": "-1"},
        {"offset": str(2**31)},
        {"offset": str(10**30)},
        {"min_price": "-1"},
        {"min_price": "1e30"},
        {"max_price": "NaN"},
        {"max_price": "Infinity"},
        {"min_price": "cheap"},
        {"in_stock": "maybe"},
        {"q": "x" * 1000},
    ],
)
async def test_bad_query_values_are_422(client: Client, params: dict[str, str]) -> None:
    assert_problem(await client.get(f"{API}/books", params=params), 422, "validation")


@pytest.mark.usefixtures("shelf")
@pytest.mark.parametrize("q", ["'; DROP TABLE books; --", '"unbalanced', "a:* & !b", "%", "NEAR(", "\\", "(("])
async def test_query_syntax_in_q_is_no_error(client: Client, q: str) -> None:
    response = await client.get(f"{API}/books", params={"q": q})
    assert response.status_code == 200, response.text
    assert (await list_books(client))["total"] == 3


async def test_unknown_book_is_404(client: Client) -> None:
    assert_problem(await client.get(f"{API}/books/00000000-0000-4000-8000-000000000000"), 404, "not-found")
    assert_problem(await client.get(f"{API}/books/not-a-uuid"), 404, "not-found")


@pytest.mark.parametrize("q", ["the", "THE", "of the"])
async def test_a_query_of_stop_words_lists_the_titles_that_begin_with_it(
    services: Services, client: Client, q: str
) -> None:
    await add_books(
        services,
        a_book(title="The Hobbit", author="J. R. R. Tolkien"),
        a_book(title="Of the Farm", author="John Updike"),
        a_book(title="Theory of Everything", author="Ann Lee"),
        a_book(title="Tho Ugh", author="The Other"),  # close to `the`, and `the` is its author's word: no match
        a_book(title="Cat", author="Bo", description="the the the"),
    )
    page = await list_books(client, q=q)
    expected = ["Of the Farm"] if q == "of the" else ["The Hobbit", "Theory of Everything"]
    assert (titles(page), page["total"]) == (expected, len(expected))
