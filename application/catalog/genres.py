"""Admin writes to genres."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

from application.ports.uow import UowFactory
from domain.catalog import Genre, has_word, slugify
from domain.errors import Conflict, InvalidField, NotFound
from domain.events import BooksChanged


@dataclass(frozen=True, slots=True)
class CreateGenre:
    name: str


@dataclass(frozen=True, slots=True)
class DeleteGenre:
    genre_id: UUID


class CreateGenreHandler:
    def __init__(self, *, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(self, cmd: CreateGenre) -> Genre:
        name = " ".join(cmd.name.split())
        if not has_word(name):
            raise InvalidField("name", "must hold a letter or digit")
        slug = slugify(name)
        async with self._uow() as uow:
            if await uow.genres.name_taken(name) or await uow.genres.get_by_slug(slug) is not None:
                raise Conflict(f"a genre named {name!r} exists")
            genre = Genre(uuid4(), name, slug)
            await uow.genres.add(genre)
            uow.record(BooksChanged())
            await uow.commit()
        return genre


class DeleteGenreHandler:
    def __init__(self, *, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(self, cmd: DeleteGenre) -> None:
        async with self._uow() as uow:
            if await uow.genres.get(cmd.genre_id) is None:
                raise NotFound("genre")
            await uow.genres.delete(cmd.genre_id)  # its books keep no genre
            uow.record(BooksChanged())
            await uow.commit()
