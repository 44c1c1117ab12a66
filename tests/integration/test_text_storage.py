"""Text the edge lets through is stored and read back unchanged, on PostgreSQL and on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from sqlalchemy.exc import DataError

from entrypoints.bootstrap import Services, bootstrap
from tests.support.builders import a_book, add_books
from tests.support.settings import make_settings
from tests.unit.test_text_rule import storable


@settings(max_examples=40)
@given(text=storable)
async def test_any_text_the_rule_allows_round_trips_unchanged(services: Services, text: str) -> None:
    book = a_book(title=f"t{text}", author=f"a{text}", description=text, publisher=text[:300] or None)
    await add_books(services, book)
    async with services.uow(read_only=True) as uow:
        stored = await uow.books.get(book.id)
    assert stored is not None
    assert (stored.title, stored.author, stored.description, stored.publisher) == (
        book.title,
        book.author,
        book.description,
        book.publisher,
    )


async def test_postgresql_refuses_nul_which_is_why_the_edge_does(pg_url: str, tmp_path: Path) -> None:
    services = bootstrap(make_settings(tmp_path / "var", database_url=pg_url))
    try:
        with pytest.raises(DataError):
            await add_books(services, a_book(title="nul\x00here"))
    finally:
        await services.aclose()
