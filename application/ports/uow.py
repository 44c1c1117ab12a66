from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, Self

from domain.events import DomainEvent

if TYPE_CHECKING:  # the repositories' ports are annotations only: a unit of work imports none of them
    from application.ports.activity import ActivityRepository, ReviewHistory
    from application.ports.catalog import GenreRepository
    from application.ports.commerce import CartRepository, OrderRepository, PreBookingRepository
    from application.ports.identity_providers import LinkedIdentityRepository
    from application.ports.imports import BookImportRepository, ImportFileRepository
    from application.ports.journal import GoalRepository, JournalQueries
    from application.ports.outbox import Outbox
    from application.ports.repositories import BookRepository, UserRepository
    from application.ports.shelf import PurchaseHistory, ReviewRepository, ShelfRepository


class UnitOfWork(Protocol):
    """One database transaction. Leaving it without `commit()` rolls back."""

    @property
    def users(self) -> UserRepository: ...
    @property
    def identities(self) -> LinkedIdentityRepository: ...
    @property
    def books(self) -> BookRepository: ...
    @property
    def outbox(self) -> Outbox: ...
    # reading tracker
    @property
    def shelf(self) -> ShelfRepository: ...
    @property
    def reviews(self) -> ReviewRepository: ...
    @property
    def purchases(self) -> PurchaseHistory: ...
    # reading journal
    @property
    def goals(self) -> GoalRepository: ...
    @property
    def journal(self) -> JournalQueries: ...

    # commerce
    @property
    def carts(self) -> CartRepository: ...
    @property
    def orders(self) -> OrderRepository: ...
    @property
    def prebookings(self) -> PreBookingRepository: ...
    # CSV import
    @property
    def import_files(self) -> ImportFileRepository: ...
    @property
    def book_import(self) -> BookImportRepository: ...

    # catalog
    @property
    def genres(self) -> GenreRepository: ...

    # readers' activity and review history
    @property
    def activity(self) -> ActivityRepository: ...
    @property
    def review_history(self) -> ReviewHistory: ...

    async def __aenter__(self) -> Self: ...
    async def __aexit__(self, *exc: object) -> None: ...
    async def commit(self) -> None:
        """Dispatches the events recorded, then commits; on leaving, hands them to the subscribers."""

    async def dispatch(self) -> None:
        """Runs the in-transaction handlers of the events recorded so far now (so that their statements
        come before the ones that follow); `commit()` dispatches whatever is recorded after."""

    def track(self, aggregate: object) -> None:
        """Remembers an aggregate whose `events` are dispatched at commit."""

    def record(self, event: DomainEvent) -> None:
        """Records what the use case did (mail queued, books changed) for the handlers and subscribers."""


#: Builds a fresh unit of work. `read_only=True` promises no writes (no writer lock on SQLite).
class UowFactory(Protocol):
    #: What runs after each commit, by event type (the composition root sets it: its subscribers
    #: need ports, such as the catalog cache, that are built beside this factory).
    subscribers: Subscribers

    def __call__(self, *, read_only: bool = False) -> UnitOfWork: ...


#: Runs inside the committing unit of work, before the commit; may change more and record more.
EventHandler = Callable[[UnitOfWork, DomainEvent], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Batched:
    """A handler given each run of consecutive events of its type at once, in the order recorded (so a
    use case that records many writes them in a statement, not one each)."""

    handle: Callable[[UnitOfWork, Sequence[DomainEvent]], Awaitable[None]]


EventHandlers = Mapping[type[DomainEvent], Sequence[EventHandler | Batched]]
#: Runs once the transaction is committed and its connection released, with the unit's events of
#: one type; a failure is logged and the commit stands.
Subscriber = Callable[[Sequence[Any]], Awaitable[None]]
Subscribers = Mapping[type[DomainEvent], Sequence[Subscriber]]
