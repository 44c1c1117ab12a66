"""Genre slugs on each store: an admin's genre and an import's get the same slug from the same name, and
a link made with a slug of the old rules still finds its genre (in the genre filter and in book writes)."""

from __future__ import annotations

from uuid import uuid4

import pytest

from application.catalog.books import CreateBook
from application.catalog.genres import CreateGenre, DeleteGenre
from application.catalog.queries import ListBooks
from domain.book_policy import Viewer
from domain.catalog import Genre, slugify
from domain.identity import Role
from entrypoints.bootstrap import Services
from tests.support.builders import add_user
from tests.support.imports import import_bytes


@pytest.mark.parametrize("name", ["Café Noir", "日本文学", "Rock & Roll: Stories"])
async def test_an_import_and_an_admin_give_the_same_name_the_same_slug(backend: Services, name: str) -> None:
    progress = await import_bytes(backend, f'title,author,price,genre\nT,A,1.00,"{name}"\n'.encode())
    assert progress.created == 1
    [imported] = await backend.catalog.genres()
    await backend.catalog.delete_genre(DeleteGenre(imported.id))
    made = await backend.catalog.create_genre(CreateGenre(name))
    assert imported.slug == made.slug == slugify(name)


async def _stored(backend: Services, name: str, slug: str) -> Genre:
    """A genre as an older release left it, with the slug of an old rule."""
    genre = Genre(uuid4(), name, slug)
    async with backend.uow() as uow:
        await uow.genres.add(genre)
        await uow.commit()
    return genre


async def test_links_with_old_slugs_still_find_their_genres(backend: Services) -> None:
    await _stored(backend, "Café Noir", "cafe-noir")  # an admin's `café-noir`, rewritten by migration 0022
    await _stored(backend, "日本 文学", "genre-0123456789")  # an import's old hash, kept as it was
    admin = await add_user(backend, role=Role.ADMIN)
    by = Viewer(admin.id, admin.role)
    noir = await backend.catalog.create_book(CreateBook(by, "Noir", "A", "5.00", genre="café-noir"))
    japanese = await backend.catalog.create_book(CreateBook(by, "Bungaku", "B", "5.00", genre="genre-0123456789"))
    assert noir.genre is not None
    assert noir.genre.slug == "cafe-noir"
    for slug, book in (("café-noir", noir), ("cafe-noir", noir), ("genre-0123456789", japanese)):
        found, total = await backend.catalog.list_books(ListBooks(genre=slug))
        assert (total, [b.id for b in found]) == (1, [book.id]), slug
    assert await backend.catalog.list_books(ListBooks(genre="noir")) == ([], 0)
