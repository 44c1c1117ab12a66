from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass, field
from typing import Any, Self

from adapters.memory.activity import MemoryActivityRepository, MemoryReviewHistory
from adapters.memory.catalog import MemoryBookRepository
from adapters.memory.commerce import MemoryCartRepository, MemoryOrderRepository, MemoryPreBookingRepository
from adapters.memory.genres import MemoryGenreRepository
from adapters.memory.identities import MemoryLinkedIdentityRepository
from adapters.memory.imports import MemoryBookImport, MemoryImportFiles
from adapters.memory.journal import MemoryGoalRepository, MemoryJournalQueries
from adapters.memory.outbox import MemoryOutbox
from adapters.memory.shelf import MemoryPurchaseHistory, MemoryReviewRepository, MemoryShelfRepository
from adapters.memory.users import MemoryUserRepository
from application.ports.uow import EventHandlers, Subscribers
from application.uow import UnitOfWorkBase


@dataclass
class MemoryStore:
    """The 'database': named tables of copies. Writers work on a copy and swap it in on commit."""

    tables: dict[str, dict[Any, Any]] = field(default_factory=dict)
    write_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class MemoryUnitOfWork(UnitOfWorkBase):
    users: MemoryUserRepository
    identities: MemoryLinkedIdentityRepository
    books: MemoryBookRepository
    outbox: MemoryOutbox
    shelf: MemoryShelfRepository
    reviews: MemoryReviewRepository
    purchases: MemoryPurchaseHistory
    goals: MemoryGoalRepository
    journal: MemoryJournalQueries
    carts: MemoryCartRepository
    orders: MemoryOrderRepository
    prebookings: MemoryPreBookingRepository
    import_files: MemoryImportFiles
    book_import: MemoryBookImport
    genres: MemoryGenreRepository
    activity: MemoryActivityRepository
    review_history: MemoryReviewHistory

    def __init__(
        self, store: MemoryStore, *, read_only: bool, handlers: EventHandlers, subscribers: Subscribers
    ) -> None:
        super().__init__(handlers=handlers, subscribers=subscribers)
        self.store = store
        self._read_only = read_only
        self.tables: dict[str, dict[Any, Any]] = {}

    def table(self, name: str) -> dict[Any, Any]:
        return self.tables.setdefault(name, {})

    async def __aenter__(self) -> Self:
        if self._read_only:
            self.tables = self.store.tables
        else:
            await self.store.write_lock.acquire()
            self.tables = copy.deepcopy(self.store.tables)
        self.users = MemoryUserRepository(self)
        self.identities = MemoryLinkedIdentityRepository(self)
        self.books = MemoryBookRepository(self)
        self.outbox = MemoryOutbox(self)
        self.shelf = MemoryShelfRepository(self)
        self.reviews = MemoryReviewRepository(self)
        self.purchases = MemoryPurchaseHistory(self)
        self.goals = MemoryGoalRepository(self)
        self.journal = MemoryJournalQueries(self)
        # commerce
        self.carts = MemoryCartRepository(self)
        self.orders = MemoryOrderRepository(self)
        self.prebookings = MemoryPreBookingRepository(self)
        self.import_files = MemoryImportFiles(self)
        self.book_import = MemoryBookImport(self)
        self.genres = MemoryGenreRepository(self)
        self.activity = MemoryActivityRepository(self)
        self.review_history = MemoryReviewHistory(self)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if not self._read_only:
            self.store.write_lock.release()
        self.tables = {}
        try:
            await self._after_commit()
        finally:
            self._reset()

    async def dispatch(self) -> None:
        await self._dispatch(self)

    async def commit(self) -> None:
        if self._read_only:
            raise RuntimeError("commit in a read-only unit of work")
        await self.dispatch()
        self.store.tables = self.tables
        self.tables = copy.deepcopy(self.tables)
        self._committed = True


class MemoryUowFactory:
    def __init__(
        self,
        store: MemoryStore | None = None,
        *,
        handlers: EventHandlers | None = None,
        subscribers: Subscribers | None = None,
    ) -> None:
        self.store = store or MemoryStore()
        self._handlers = handlers or {}
        self.subscribers: Subscribers = subscribers or {}

    def __call__(self, *, read_only: bool = False) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self.store, read_only=read_only, handlers=self._handlers, subscribers=self.subscribers)
