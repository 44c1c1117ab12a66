"""The catalog read side's contract, on the in-memory fake, SQLite FTS5 and PostgreSQL full-text search."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.memory.uow import MemoryUowFactory
from application.events import event_handlers
from application.ports.catalog import BookQuery, CatalogReads, Sort
from entrypoints.bootstrap import Services, bootstrap
from tests.support.builders import a_book, add_books
from tests.support.settings import make_settings


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest) -> str | None:
    """None for the in-memory fake, else a database URL."""
    if request.param == "memory":
        return None
    url: str = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    return url


@pytest.fixture
async def wired(store: str | None, tmp_path: Path) -> AsyncIterator[Services]:
    if store is None:
        services = bootstrap(make_settings(tmp_path / "var"), uow=MemoryUowFactory(handlers=event_handlers()))
    else:
        services = bootstrap(make_settings(tmp_path / "var", database_url=store))
    yield services
    await services.aclose()


def reads_of(services: Services) -> CatalogReads:
    assert services.deps.catalog_reads is not None
    return services.deps.catalog_reads


async def search(services: Services, q: str, **fields: object) -> tuple[list[str], int]:
    reads = reads_of(services)
    query = BookQuery(q=q, sort=Sort.RELEVANCE, **fields)  # type: ignore[arg-type]
    matches = await reads.matches(query)
    return [book.title for book in await reads.page(query, matches)], matches.total


async def test_title_outranks_author_outranks_description(wired: Services) -> None:
    await add_books(
        wired,
        a_book(title="Notes from the Lighthouse", author="Ada Bell", description="About marmalade, briefly."),
        a_book(title="Marmalade Mornings", author="Ada Bell", description="A breakfast memoir."),
        a_book(title="Garden Diaries", author="Tom Marmalade", description="Roses."),
        a_book(title="Unrelated", author="Ada Bell", description="Nothing to see."),
    )
    found, total = await search(wired, "marmalade")
    assert found == ["Marmalade Mornings", "Garden Diaries", "Notes from the Lighthouse"]
    assert total == 3


async def test_word_prefixes_find_the_book(wired: Services) -> None:
    await add_books(
        wired,
        a_book(title="Harry Potter and the Philosopher's Stone", author="J. K. Rowling"),
        a_book(title="Harriet the Spy", author="Louise Fitzhugh"),
    )
    assert await search(wired, "harr pott") == (["Harry Potter and the Philosopher's Stone"], 1)
    assert (await search(wired, "harr"))[1] == 2


async def test_a_small_typo_still_finds_the_book(wired: Services) -> None:
    await add_books(
        wired,
        a_book(title="Harry Potter and the Philosopher's Stone", author="J. K. Rowling"),
        a_book(title="Pride and Prejudice", author="Jane Austen"),
    )
    assert (await search(wired, "Hary Poter"))[0] == ["Harry Potter and the Philosopher's Stone"]
    assert (await search(wired, "Jane Austin"))[0] == ["Pride and Prejudice"]
    assert await search(wired, "zzzzqqqq") == ([], 0)


@pytest.mark.parametrize(
    "q",
    [
        '"unbalanced',
        "foo AND (bar OR",
        "'; DROP TABLE books; --",
        "%_\\",
        ":* | & ! <-> ()",
        "NEAR(a b",
        "title:stone",
        "-",
        "*",
        "\x00",
    ],
)
async def test_query_syntax_in_q_is_never_an_error(wired: Services, q: str) -> None:
    await add_books(wired, a_book(title="The Stone Bridge"))
    found, total = await search(wired, q)
    assert total == len(found)


async def test_filters_combine_with_text(wired: Services) -> None:
    await add_books(
        wired,
        a_book(title="River Song", price="5.00", stock=0, language="en"),
        a_book(title="River Deep", price="25.00", stock=3, language="en"),
        a_book(title="River Bend", price="15.00", stock=3, language="fr"),
    )
    assert await search(wired, "river", in_stock=True, max_price=Decimal(20)) == (["River Bend"], 1)
    assert await search(wired, "river", language="en", min_price=Decimal(10)) == (["River Deep"], 1)


async def test_a_very_common_word_pages_through_every_match(wired: Services) -> None:
    await add_books(wired, *(a_book(title=f"Love Story {n}", description="love " * 5) for n in range(45)))
    found, total = await search(wired, "love", limit=20, offset=40)
    assert total == 45
    assert len(found) == 5
