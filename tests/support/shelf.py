"""Helpers for the reading tracker's tests: purchases stored straight into orders, signed-in readers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from litestar.testing import AsyncTestClient
from sqlalchemy import insert

from adapters.memory.uow import MemoryUnitOfWork
from adapters.sql.tables import order_items, orders
from adapters.sql.uow import SqlUnitOfWork
from application.ports.shelf import ReviewSort
from application.reviews.change_review import DeleteReview, ReviseReview
from application.reviews.create_review import CreateReview
from application.shelf.add_to_shelf import AddToShelf
from domain.identity import Role, User
from domain.reviews import AlreadyReviewed
from domain.shelf import ShelfStatus
from entrypoints.bootstrap import Services
from tests.support.builders import T0, add_user
from tests.support.http import session_for


async def record_purchase(services: Services, user_id: UUID, book_id: UUID, *, status: str = "CONFIRMED") -> None:
    """An order of one copy, written as the commerce capability would store it (no checkout needed)."""
    async with services.uow() as uow:
        if isinstance(uow, MemoryUnitOfWork):
            if status == "CONFIRMED":
                uow.purchases.record(user_id, book_id)
        else:
            assert isinstance(uow, SqlUnitOfWork)
            order_id = uuid4()
            await uow.connection.execute(
                insert(orders).values(
                    id=order_id, user_id=user_id, status=status, total=Decimal("10.00"), currency="USD", created_at=T0
                )
            )
            await uow.connection.execute(
                insert(order_items).values(
                    id=uuid4(),
                    order_id=order_id,
                    book_id=book_id,
                    title="A book",
                    author="An author",
                    unit_price=Decimal("10.00"),
                    quantity=1,
                    line_total=Decimal("10.00"),
                )
            )
        await uow.commit()


async def finish(services: Services, user_id: UUID, book_id: UUID) -> None:
    """Puts the book on the reader's shelf as COMPLETED, which makes them eligible to review it."""
    await services.shelf.add(AddToShelf(user_id, book_id, ShelfStatus.COMPLETED))


async def review(services: Services, user_id: UUID, book_id: UUID, rating: int, text: str | None = None) -> UUID:
    """Finishes the book and reviews it; returns the review id."""
    await finish(services, user_id, book_id)
    item = await services.reviews.create(CreateReview(user_id, book_id, rating, text))
    return item.review.id


async def reader(
    client: AsyncTestClient[Any], services: Services, *, role: Role = Role.USER, verified: bool = True
) -> tuple[User, dict[str, str]]:
    """A stored user and the Authorization header of a fresh session of theirs."""
    user = await add_user(services, role=role, verified=verified)
    return user, await session_for(client, user.email)


#: One step of a review history: (reviewer index, what they do, stars).
Op = tuple[int, str, int]


async def play(services: Services, users: list[User], book_id: UUID, ops: list[Op]) -> dict[int, int]:
    """Runs create/update/delete steps through the use cases; returns each reviewer's live rating."""
    live: dict[int, tuple[UUID, int]] = {}
    for who, action, stars in ops:
        user = users[who]
        if action == "create":
            try:
                item = await services.reviews.create(CreateReview(user.id, book_id, stars))
            except AlreadyReviewed:
                assert who in live
                continue
            assert who not in live
            live[who] = (item.review.id, stars)
        elif who in live and action == "update":
            await services.reviews.revise(ReviseReview(user.id, live[who][0], rating=stars))
            live[who] = (live[who][0], stars)
        elif who in live and action in {"delete", "moderate"}:
            # "moderate": the next reviewer deletes it as a moderator would.
            by = user if action == "delete" else users[(who + 1) % len(users)]
            await services.reviews.delete(DeleteReview(by.id, live.pop(who)[0], moderator=action == "moderate"))
    return {who: stars for who, (_, stars) in live.items()}


async def stored_and_recomputed(
    services: Services, book_id: UUID
) -> tuple[tuple[int, int, int, int, int], tuple[int, int, int, int, int]]:
    """The book's stored rating counts, and the counts recomputed from its live reviews."""
    async with services.uow(read_only=True) as uow:
        book = await uow.books.get(book_id)
        items, total = await uow.reviews.of_book(book_id, sort=ReviewSort.NEWEST, limit=100, offset=0)
    assert book is not None
    assert total == len(items)
    counts = [0] * 5
    for item in items:
        counts[item.review.rating - 1] += 1
    return book.rating_counts, (counts[0], counts[1], counts[2], counts[3], counts[4])
