"""Helpers for the store's tests: restocking as an admin would, reading the outbox, signed-in buyers."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from litestar.testing import AsyncTestClient
from sqlalchemy import select

from adapters.memory.uow import MemoryUowFactory
from adapters.sql.tables import outbox as outbox_table
from adapters.sql.uow import SqlUowFactory
from application.identity.tokens import sign_access
from application.ports.outbox import OutboxMessage
from domain.catalog import Book
from domain.identity import User
from domain.money import Money
from entrypoints.bootstrap import Services
from tests.support.builders import add_user
from tests.support.http import API, session_for


async def restock(services: Services, book_id: UUID, stock: int) -> Book:
    """Sets a book's stock in one transaction (the catalog's stock use case does the same)."""
    async with services.uow() as uow:
        book = await uow.books.get(book_id, lock=True)
        assert book is not None
        book.set_stock(stock, now=services.clock.now())
        await uow.books.update(book)
        await uow.commit()
    return book


async def set_price(services: Services, book_id: UUID, price: Any) -> None:
    async with services.uow() as uow:
        book = await uow.books.get(book_id, lock=True)
        assert book is not None
        book.price = Money.of(price)
        await uow.books.update(book)
        await uow.commit()


async def stock_of(services: Services, book_id: UUID) -> int:
    async with services.uow(read_only=True) as uow:
        book = await uow.books.get(book_id)
    assert book is not None
    return book.stock


async def outbox(services: Services, kind: str | None = None) -> list[OutboxMessage]:
    """Every mail written to the outbox, sent or not (the app's embedded worker may have sent it already)."""
    factory = services.uow
    if isinstance(factory, SqlUowFactory):
        async with factory.engine.connect() as conn:
            ids = list((await conn.execute(select(outbox_table.c.id))).scalars())
    else:
        assert isinstance(factory, MemoryUowFactory)
        ids = list(factory.store.tables.get("outbox", {}))
    async with services.uow(read_only=True) as uow:
        found = [await uow.outbox.get(i) for i in ids]
    return [m for m in found if m is not None and (kind is None or m.kind == kind)]


async def buyer(
    client: AsyncTestClient[Any], services: Services, *, verified: bool = True, **kwargs: Any
) -> tuple[User, dict[str, str]]:
    """A user signed in over HTTP."""
    user = await add_user(services, verified=verified, **kwargs)
    return user, await session_for(client, user.email)


async def put_in_cart(client: AsyncTestClient[Any], headers: dict[str, str], book_id: UUID, quantity: int = 1) -> Any:
    response = await client.post(
        f"{API}/cart/items", json={"book_id": str(book_id), "quantity": quantity}, headers=headers
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


async def many_buyers(services: Services, count: int, *, prefix: str = "buyer") -> list[User]:
    """Verified users stored in one transaction (no password hashing: tests sign their tokens directly)."""
    now = services.clock.now()
    users = [
        User(
            uuid4(),
            f"{prefix}{n}-{uuid4().hex[:6]}@example.com",
            f"{prefix}{n}-{uuid4().hex[:6]}",
            "-",
            now,
            is_verified=True,
        )
        for n in range(count)
    ]
    async with services.uow() as uow:
        for user in users:
            await uow.users.add(user)
        await uow.commit()
    return users


def bearer_for(services: Services, user: User) -> dict[str, str]:
    """An access token for `user`, signed with the test secret (valid in every API process using it)."""
    token = sign_access(services.credentials, user.id, user.role, uuid4(), services.clock.now())
    return {"Authorization": f"Bearer {token}"}
