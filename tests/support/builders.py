"""Builders for domain objects and for stored test data (through the ports, on any backend)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from application.identity.register import Register
from domain.catalog import Book, Genre
from domain.identity import Role, User
from domain.money import Money
from entrypoints.bootstrap import Services
from tests.support.http import PASSWORD

_counter = itertools.count(1)
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def a_book(**fields: Any) -> Book:
    n = next(_counter)
    price = fields.pop("price", "10.00")
    values: dict[str, Any] = {
        "id": uuid4(),
        "title": f"Book {n}",
        "author": f"Author {n}",
        "price": price if price is None or isinstance(price, Money) else Money(Decimal(price)),
        "created_at": T0,
        "updated_at": T0,
        "stock": 10,
    }
    values.update(fields)
    return Book(**values)


async def add_books(services: Services, *books: Book) -> list[Book]:
    async with services.uow() as uow:
        for book in books:
            await uow.books.add(book)
        await uow.commit()
    return list(books)


async def add_book(services: Services, **fields: Any) -> Book:
    return (await add_books(services, a_book(**fields)))[0]


async def add_genre(services: Services, name: str) -> Genre:
    """Stores a genre straight into the `genres` table or memory store (no genre use case needed)."""
    genre = Genre(uuid4(), name, name.lower().replace(" ", "-"))
    async with services.uow() as uow:
        add = getattr(uow, "genres", None)
        assert add is not None, "this unit of work has no genre repository yet"
        await add.add(genre)
        await uow.commit()
    return genre


async def add_user(
    services: Services, name: str | None = None, *, role: Role = Role.USER, verified: bool = True
) -> User:
    """Registers through the use case, then sets role and verification as an admin would."""
    name = name or f"user{next(_counter)}"
    user = await services.identity.register(Register(f"{name}@example.com", name, PASSWORD))
    async with services.uow() as uow:
        stored = await uow.users.get(user.id)
        assert stored is not None
        stored.role = role
        stored.is_verified = verified
        await uow.users.update(stored)
        await uow.commit()
    return stored


async def set_user(services: Services, user_id: UUID, **fields: Any) -> None:
    async with services.uow() as uow:
        user = await uow.users.get(user_id)
        assert user is not None
        for key, value in fields.items():
            setattr(user, key, value)
        await uow.users.update(user)
        await uow.commit()
