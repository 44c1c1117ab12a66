"""What one checkout costs PostgreSQL: its statements and transactions, counted at the driver and pinned.

The order-confirmation mail is handed to the publisher right after the commit, without a transaction of
its own, and the catalog cache hears of the sale through the same after-commit event path.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.uow import SqlUowFactory
from application.commerce.cart import AddToCart
from application.commerce.checkout import Checkout
from entrypoints.bootstrap import Services, bootstrap
from tests.support.builders import a_book, add_books
from tests.support.commerce import many_buyers
from tests.support.settings import make_settings

pytestmark = [pytest.mark.postgres]

#: Locking the buyer, reading the cart with its books (no row locks), the order with its lines, emptying the
#: cart, the outbox row, the activity entry, the owned shelf entries, and last the stock taken (the books'
#: row locks are held from there to the commit). Nothing after the commit. A cart of several books locks
#: them first, in id order, with one more statement.
STATEMENTS_PER_CHECKOUT = 8
TRANSACTIONS_PER_CHECKOUT = 1


class RecordingPublisher:
    def __init__(self) -> None:
        self.published: list[UUID] = []

    async def publish(self, message_ids: Sequence[UUID]) -> None:
        self.published.extend(message_ids)


@dataclass
class Counts:
    statements: list[str] = field(default_factory=list)
    transactions: int = 0


@contextmanager
def counting(engine: AsyncEngine) -> Iterator[Counts]:
    counts = Counts()

    def on_statement(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        counts.statements.append(statement.split(None, 1)[0].upper())

    def on_begin(conn: Any) -> None:
        counts.transactions += 1

    sync = engine.sync_engine
    event.listen(sync, "before_cursor_execute", on_statement)
    event.listen(sync, "begin", on_begin)
    try:
        yield counts
    finally:
        event.remove(sync, "before_cursor_execute", on_statement)
        event.remove(sync, "begin", on_begin)


@pytest.fixture
async def services(pg_url: str, tmp_path: Path) -> AsyncIterator[tuple[Services, RecordingPublisher]]:
    publisher = RecordingPublisher()
    wired = bootstrap(make_settings(tmp_path / "var", database_url=pg_url, db_pool_size=2), publisher=publisher)
    yield wired, publisher
    await wired.aclose()


@pytest.mark.parametrize("lines", [1, 3])
async def test_a_checkout_is_one_transaction_and_a_pinned_number_of_statements(
    services: tuple[Services, RecordingPublisher], lines: int
) -> None:
    s, publisher = services
    [user] = await many_buyers(s, 1)
    books = await add_books(s, *(a_book(stock=5) for _ in range(lines)))
    for book in books:
        await s.commerce.add_to_cart(AddToCart(user.id, book.id, 1))
    factory = s.uow
    assert isinstance(factory, SqlUowFactory)

    with counting(factory.engine) as counts:
        result = await s.commerce.checkout(Checkout(user.id))

    assert len(publisher.published) == 1  # the confirmation, handed on after the commit
    assert result.order.total.amount > 0
    assert counts.statements == [
        *("SELECT", "SELECT"),  # the buyer locked, the cart with its books
        *("WITH", "DELETE", "INSERT"),  # the order with its lines (one INSERT), the cart emptied, the outbox row
        *("INSERT", "UPDATE"),  # the buyer's activity entry, their shelf entries of the books owned
        *(() if lines == 1 else ("SELECT",)),  # several books: their row locks, in id order
        "UPDATE",  # the stock taken, where enough is left
    ]
    assert (len(counts.statements), counts.transactions) == (
        STATEMENTS_PER_CHECKOUT + (lines > 1),
        TRANSACTIONS_PER_CHECKOUT,
    )
