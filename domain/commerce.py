"""The store: a cart per user, orders with price snapshots, pre-bookings of sold-out books."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from domain.activity import ActivityEvent, ActivityKind, Done
from domain.catalog import Book, InsufficientStock, short_of_stock
from domain.errors import Conflict, DomainError, InvalidField, NotFound
from domain.events import DomainEvent
from domain.money import Money

#: The most copies of one book a cart line (and so an order line) may hold.
MAX_QUANTITY = 100


class CartEmpty(DomainError):
    code = "cart-empty"
    title = "The cart is empty"


class PaymentFailed(DomainError):
    code = "payment-failed"
    title = "Payment failed"


class BookInStock(Conflict):
    code = "book-in-stock"
    title = "The book is in stock"


class AlreadyPrebooked(Conflict):
    code = "already-prebooked"
    title = "Already pre-booked"


def check_quantity(quantity: int) -> int:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidField("quantity", f"must be between 1 and {MAX_QUANTITY}")
    return quantity


@dataclass(frozen=True, slots=True)
class PreBooked(ActivityEvent):
    kind = ActivityKind.PREBOOKED
    prebooking_id: UUID
    user_id: UUID
    book_id: UUID
    at: datetime

    def done(self) -> Done:
        return Done(self.user_id, self.at, self.book_id, {"prebooking_id": str(self.prebooking_id)})


def _ensure_in_stock(book: Book, quantity: int) -> None:
    book.sale_price  # noqa: B018 - raises NotForSale for a book without a price or not published
    if quantity > book.stock:
        raise InsufficientStock(short_of_stock(book, quantity))


@dataclass(eq=False, slots=True)
class CartItem:
    """One book in a user's cart; priced at the book's current price until checkout."""

    id: UUID
    user_id: UUID
    book_id: UUID
    quantity: int
    added_at: datetime


@dataclass(eq=False, slots=True)
class Cart:
    """A user's cart: at most one line per book, each of 1..100 copies, never more than in stock."""

    user_id: UUID
    items: list[CartItem] = field(default_factory=list)

    def item(self, item_id: UUID) -> CartItem:
        for item in self.items:
            if item.id == item_id:
                return item
        raise NotFound("cart item")

    def add(self, book: Book, quantity: int, *, item_id: UUID, now: datetime) -> tuple[CartItem, bool]:
        """Adds copies of `book`; the same book again grows its line. Returns the line and whether it is new."""
        check_quantity(quantity)
        for item in self.items:
            if item.book_id == book.id:
                wanted = item.quantity + quantity
                check_quantity(wanted)
                _ensure_in_stock(book, wanted)
                item.quantity = wanted
                return item, False
        _ensure_in_stock(book, quantity)
        item = CartItem(item_id, self.user_id, book.id, quantity, now)
        self.items.append(item)
        return item, True

    def change(self, item_id: UUID, book: Book, quantity: int) -> CartItem:
        item = self.item(item_id)
        check_quantity(quantity)
        _ensure_in_stock(book, quantity)
        item.quantity = quantity
        return item

    def remove(self, item_id: UUID) -> CartItem:
        item = self.item(item_id)
        self.items.remove(item)
        return item

    def book_ids(self) -> list[UUID]:
        return sorted({item.book_id for item in self.items})

    def total(self, books: Mapping[UUID, Book]) -> Money:
        """The sum of the lines at each book's current price, exact to the cent; a line whose book
        was taken off sale counts nothing (checkout refuses it)."""
        total = Money.zero()
        for item in self.items:
            book = books[item.book_id]
            if book.for_sale:
                total += book.sale_price * item.quantity
        return total


@dataclass(frozen=True, slots=True)
class OrderConfirmed(ActivityEvent):
    """An order was paid: its buyer's activity says so, and its buyer owns its books (the shelf marks them)."""

    kind = ActivityKind.ORDERED
    order_id: UUID
    user_id: UUID
    book_ids: tuple[UUID, ...]
    total: Money
    copies: int
    at: datetime

    def done(self) -> Done:
        detail = {"order_id": str(self.order_id), "total": str(self.total), "copies": self.copies}
        return Done(self.user_id, self.at, None, detail)


class OrderStatus(StrEnum):
    PENDING = "PENDING"  # only while the checkout runs; never stored
    CONFIRMED = "CONFIRMED"
    PAYMENT_FAILED = "PAYMENT_FAILED"


@dataclass(frozen=True, slots=True)
class OrderLine:
    """What was bought, as it was at checkout: later price or title changes leave it alone."""

    book_id: UUID
    title: str
    author: str
    unit_price: Money
    quantity: int

    @property
    def line_total(self) -> Money:
        return self.unit_price * self.quantity


@dataclass(eq=False, slots=True)
class Order:
    """A checkout's outcome: CONFIRMED (paid, stock taken) or PAYMENT_FAILED (nothing taken)."""

    id: UUID
    user_id: UUID | None
    status: OrderStatus
    lines: list[OrderLine]
    currency: str
    created_at: datetime
    idempotency_key: str | None = None
    events: list[DomainEvent] = field(default_factory=list, repr=False, compare=False)

    @property
    def total(self) -> Money:
        total = Money.zero()
        for line in self.lines:
            total += line.line_total
        return total

    @classmethod
    def from_cart(
        cls,
        cart: Cart,
        books: Mapping[UUID, Book],
        *,
        order_id: UUID,
        currency: str,
        now: datetime,
        idempotency_key: str | None = None,
    ) -> Order:
        """Snapshots every line at the current price; any line short of stock refuses the whole cart."""
        if not cart.items:
            raise CartEmpty("add a book to the cart first")
        lines: list[OrderLine] = []
        for item in cart.items:
            book = books.get(item.book_id)
            if book is None:
                raise InsufficientStock(short_of_stock(None, item.quantity))
            _ensure_in_stock(book, item.quantity)
            lines.append(OrderLine(book.id, book.title, book.author, book.sale_price, item.quantity))
        lines.sort(key=lambda line: (line.title, str(line.book_id)))
        return cls(order_id, cart.user_id, OrderStatus.PENDING, lines, currency, now, idempotency_key)

    def confirm(self, books: Mapping[UUID, Book]) -> None:
        """The payment went through: takes the copies out of stock."""
        self._ensure_pending()
        for line in self.lines:
            books[line.book_id].withdraw(line.quantity)
        self.status = OrderStatus.CONFIRMED
        if self.user_id is not None:
            book_ids = tuple(line.book_id for line in self.lines)
            copies = sum(line.quantity for line in self.lines)
            self.events.append(OrderConfirmed(self.id, self.user_id, book_ids, self.total, copies, self.created_at))

    def fail_payment(self) -> None:
        self._ensure_pending()
        self.status = OrderStatus.PAYMENT_FAILED

    def _ensure_pending(self) -> None:
        if self.status is not OrderStatus.PENDING:
            raise Conflict(f"order {self.id} is already {self.status.value}")


class PreBookingStatus(StrEnum):
    WAITING = "WAITING"
    NOTIFIED = "NOTIFIED"
    CANCELLED = "CANCELLED"


@dataclass(eq=False, slots=True)
class PreBooking:
    """A user's wish to hear when a sold-out book is back; one WAITING per user and book."""

    id: UUID
    user_id: UUID
    book_id: UUID
    status: PreBookingStatus
    created_at: datetime
    notified_at: datetime | None = None
    events: list[DomainEvent] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def open(
        cls, book: Book, user_id: UUID, *, waiting: Sequence[PreBooking], prebooking_id: UUID, now: datetime
    ) -> PreBooking:
        """`waiting` holds the user's WAITING pre-bookings of this book (at most one)."""
        book.sale_price  # noqa: B018 - raises NotForSale: only a book on sale can come back in stock
        if book.stock > 0:
            raise BookInStock(f"{book.title} is in stock: {book.stock} left")
        if any(p.status is PreBookingStatus.WAITING for p in waiting):
            raise AlreadyPrebooked(f"you are already waiting for {book.title}")
        prebooking = cls(prebooking_id, user_id, book.id, PreBookingStatus.WAITING, now)
        prebooking.events.append(PreBooked(prebooking_id, user_id, book.id, now))
        return prebooking

    def notify(self, now: datetime) -> bool:
        """Marks it NOTIFIED; False (and nothing changes) unless it was WAITING."""
        if self.status is not PreBookingStatus.WAITING:
            return False
        self.status = PreBookingStatus.NOTIFIED
        self.notified_at = now
        return True

    def cancel(self) -> None:
        self.status = PreBookingStatus.CANCELLED
