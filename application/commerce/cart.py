"""The cart use cases: add a book, change a line's quantity, remove a line, and the cart as shown."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

from application.catalog.visibility import visible_book
from application.ports.clock import Clock
from application.ports.uow import UnitOfWork, UowFactory
from domain.catalog import Book
from domain.commerce import Cart, CartItem, check_quantity
from domain.errors import NotFound
from domain.money import Money


@dataclass(frozen=True, slots=True)
class CartLine:
    item: CartItem
    book: Book

    @property
    def unit_price(self) -> Money | None:
        """None once the book was taken off sale: the line stays, and checkout refuses it."""
        return self.book.price if self.book.for_sale else None

    @property
    def line_total(self) -> Money | None:
        price = self.unit_price
        return None if price is None else price * self.item.quantity


@dataclass(frozen=True, slots=True)
class CartView:
    """The cart priced at the books' current prices."""

    lines: list[CartLine]
    total: Money
    currency: str


@dataclass(frozen=True, slots=True)
class AddToCart:
    user_id: UUID
    book_id: UUID
    quantity: int


@dataclass(frozen=True, slots=True)
class ChangeCartItem:
    user_id: UUID
    item_id: UUID
    quantity: int


@dataclass(frozen=True, slots=True)
class RemoveCartItem:
    user_id: UUID
    item_id: UUID


async def load_cart(uow: UnitOfWork, user_id: UUID) -> Cart:
    return Cart(user_id, await uow.carts.items_of(user_id))


async def lock_cart(uow: UnitOfWork, user_id: UUID) -> Cart:
    """The cart, after locking its owner's row: one change (or checkout) of a user's cart at a time."""
    if await uow.users.get(user_id, lock=True) is None:
        raise NotFound("user")
    return await load_cart(uow, user_id)


async def view_cart(uow_factory: UowFactory, user_id: UUID, *, currency: str) -> CartView:
    async with uow_factory(read_only=True) as uow:
        cart = await load_cart(uow, user_id)
        books = {book.id: book for book in await uow.books.get_many(cart.book_ids())}
    # A book deleted between the two reads drops out of both the lines and the total.
    cart.items = [item for item in cart.items if item.book_id in books]
    lines = [CartLine(item, books[item.book_id]) for item in cart.items]
    return CartView(lines, cart.total(books), currency)


class AddToCartHandler:
    """Adds copies of a book; the same book again grows its line (the result says which)."""

    def __init__(self, *, uow: UowFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, cmd: AddToCart) -> tuple[CartLine, bool]:
        check_quantity(cmd.quantity)
        async with self._uow() as uow:
            cart = await lock_cart(uow, cmd.user_id)  # two adds of one book at once merge, never collide
            book = await visible_book(uow, cmd.book_id, cmd.user_id)
            item, created = cart.add(book, cmd.quantity, item_id=uuid4(), now=self._clock.now())
            if created:
                await uow.carts.add(item)
            else:
                await uow.carts.update(item)
            await uow.commit()
        return CartLine(item, book), created


class ChangeCartItemHandler:
    """Sets a line's quantity; another user's line is not found."""

    def __init__(self, *, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(self, cmd: ChangeCartItem) -> CartLine:
        check_quantity(cmd.quantity)
        async with self._uow() as uow:
            cart = await lock_cart(uow, cmd.user_id)
            book = await uow.books.get(cart.item(cmd.item_id).book_id)
            if book is None:
                raise NotFound("cart item")
            item = cart.change(cmd.item_id, book, cmd.quantity)
            await uow.carts.update(item)
            await uow.commit()
        return CartLine(item, book)


class RemoveCartItemHandler:
    def __init__(self, *, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(self, cmd: RemoveCartItem) -> None:
        async with self._uow() as uow:
            cart = await load_cart(uow, cmd.user_id)
            item = cart.remove(cmd.item_id)
            await uow.carts.delete(item.id)
            await uow.commit()
