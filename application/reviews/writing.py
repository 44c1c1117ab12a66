"""Writing a review inside an open unit of work: shared by the review and shelf use cases.

Every change locks the book row first, so its rating figures move in step with the reviews,
and concurrent writers of one book queue up instead of losing a count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from application.ports.uow import UnitOfWork
from domain.catalog import Book
from domain.errors import NotFound
from domain.identity import User
from domain.reviews import AlreadyReviewed, Review, check_eligible
from domain.shelf import ShelfEntry


async def writer(uow: UnitOfWork, user_id: UUID) -> User:
    user = await uow.users.get(user_id)
    if user is None:
        raise NotFound("user")
    return user


async def locked_book(uow: UnitOfWork, book_id: UUID) -> Book:
    book = await uow.books.get(book_id, lock=True)
    if book is None:
        raise NotFound("book")
    return book


async def create_review(
    uow: UnitOfWork,
    user: User,
    book: Book,
    *,
    rating: int,
    text: str | None,
    now: datetime,
    require_verified_email: bool,
) -> Review:
    """`book` must be locked by this unit of work."""
    if await uow.reviews.get_live(user.id, book.id) is not None:
        raise AlreadyReviewed("you have reviewed this book already; change that review instead")
    review = _written(
        user,
        book,
        rating=rating,
        text=text,
        bought=await uow.purchases.has_bought(user.id, book.id),
        shelf_entry=await uow.shelf.get(user.id, book.id),
        require_verified_email=require_verified_email,
        now=now,
    )
    await uow.reviews.add(review)
    uow.track(review)  # ReviewWritten: the reader's activity
    await uow.reviews.store_ratings(book)
    return review


async def revise_review(
    uow: UnitOfWork,
    user: User,
    book: Book,
    review: Review,
    *,
    rating: int | None,
    text: str | None,
    set_text: bool,
    now: datetime,
    require_verified_email: bool,
) -> None:
    """`book` must be locked by this unit of work and `review` read after taking that lock."""
    change = (rating, text, set_text)
    moved = _revised(user, book, review, change, verified_only=require_verified_email, now=now)
    await uow.reviews.update(review)
    uow.track(review)  # ReviewEdited: the replaced version is kept, and the activity
    if moved:
        await uow.reviews.store_ratings(book)


def _written(
    user: User,
    book: Book,
    *,
    rating: int,
    text: str | None,
    bought: bool,
    shelf_entry: ShelfEntry | None,
    require_verified_email: bool,
    now: datetime,
) -> Review:
    """A new review by the review rules, its rating counted on `book`."""
    verified = check_eligible(
        user, bought=bought, shelf_entry=shelf_entry, require_verified_email=require_verified_email
    )
    review = Review.write(
        uuid4(), book_id=book.id, user_id=user.id, rating=rating, text=text, verified_purchase=verified, now=now
    )
    book.add_rating(review.rating)
    return review


def _revised(
    user: User,
    book: Book,
    review: Review,
    change: tuple[int | None, str | None, bool],
    *,
    verified_only: bool,
    now: datetime,
) -> bool:
    """Revises `review` by the review rules (`change`: the rating, the text, whether the text is set);
    whether its rating moved `book`'s figures."""
    rating, text, set_text = change
    review.ensure_owner(user.id)
    user.ensure_verified(required=verified_only)
    old = review.rating
    review.revise(by=user.id, rating=rating, text=text, set_text=set_text, now=now)
    if review.rating == old:
        return False
    book.change_rating(old, review.rating)
    return True


@dataclass(frozen=True, slots=True)
class Rated:
    """What a reader wants their review of a book to be (the text as given: None is no text)."""

    book_id: UUID
    rating: int
    text: str | None


class ReviewBatch:
    """One reader's reviews of many books, written as a set by the same rules as `create_review` and
    `revise_review`: the books that change are locked and their reviews read after that, in a statement
    each; `write` decides each review in memory; `flush` writes the new reviews, the changed ones and each
    book's rating figures in a statement each, whatever the number of books. Books the batch itself makes
    (`load`'s `new_books`) are not stored yet: the caller stores them, with the figures their reviews
    gave them, between `write` and `flush`."""

    def __init__(self, user: User, *, require_verified_email: bool, now: datetime, announce_new: bool = True) -> None:
        self._user = user
        self._announce_new = announce_new  # whether a new review records ReviewWritten (the reader's activity)
        self._require_verified = require_verified_email
        self._now = now
        self._books: dict[UUID, Book] = {}
        self._live: dict[UUID, Review] = {}
        self._bought: set[UUID] = set()
        self._added: dict[UUID, Review] = {}
        self._revised: dict[UUID, Review] = {}
        self._touched: dict[UUID, Review] = {}  # in the order they were written: their events' order
        self._figures: set[UUID] = set()
        self._new: set[UUID] = set()
        #: The books whose reviews changed (their figures, their review lists).
        self.changed: set[UUID] = set()

    async def load(self, uow: UnitOfWork, wanted: Sequence[Rated], *, new_books: Sequence[Book] = ()) -> None:
        """Reads the reader's live reviews of these books; those that `wanted` would change are read
        again once their books are locked (in id order), with whether the reader bought them. `new_books`:
        books this transaction makes and has not stored yet, which no one else can see, so none has a
        review, a purchase or a writer to wait for."""
        self._books = {book.id: book for book in new_books}
        self._new = set(self._books)
        ids = sorted({rated.book_id for rated in wanted} - self._new)
        self._live = await uow.reviews.live_of(self._user.id, ids) if ids else {}
        changing = sorted({rated.book_id for rated in wanted if not self._same(rated)} - self._new)
        if not changing:
            return
        self._books |= {book.id: book for book in await uow.books.get_many(changing, lock=True)}
        for book_id in changing:
            self._live.pop(book_id, None)
        self._live |= await uow.reviews.live_of(self._user.id, changing)
        unreviewed = [book_id for book_id in changing if book_id not in self._live]
        self._bought = await uow.purchases.bought_of(self._user.id, unreviewed) if unreviewed else set()

    def _same(self, rated: Rated) -> bool:
        review = self._live.get(rated.book_id)
        return review is not None and (review.rating, review.text) == (rated.rating, rated.text)

    def write(self, rated: Rated, shelf_entry: ShelfEntry | None) -> bool:
        """The review as `rated` says, if the rules allow it (else the rule's DomainError); whether it changed.
        `shelf_entry`: the reader's entry of that book as the batch leaves it."""
        if self._same(rated):
            return False
        book = self._books.get(rated.book_id)
        if book is None:
            raise NotFound("book")
        review = self._live.get(rated.book_id)
        if review is None:
            review = _written(
                self._user,
                book,
                rating=rated.rating,
                text=rated.text,
                bought=rated.book_id in self._bought,
                shelf_entry=shelf_entry,
                require_verified_email=self._require_verified,
                now=self._now,
            )
            self._live[rated.book_id] = self._added[review.id] = review
            self._figures.add(book.id)
        else:
            change = (rated.rating, rated.text, True)
            moved = _revised(self._user, book, review, change, verified_only=self._require_verified, now=self._now)
            if review.id not in self._added:
                self._revised[review.id] = review
            if moved:
                self._figures.add(book.id)
        self._touched.setdefault(review.id, review)
        self.changed.add(book.id)
        return True

    async def flush(self, uow: UnitOfWork) -> None:
        """Writes what `write` decided; the reviews' events (activity, history) go with the commit."""
        await uow.reviews.add_many(list(self._added.values()))
        await uow.reviews.update_many(list(self._revised.values()))
        stored = sorted(self._figures - self._new)  # a new book's figures went in with it
        await uow.reviews.store_ratings_of([self._books[book_id] for book_id in stored])
        for review in self._touched.values():
            if not self._announce_new and review.id in self._added:
                review.events.clear()
            uow.track(review)
        self._added, self._revised, self._touched, self._figures = {}, {}, {}, set()


async def withdraw_reviews_of(uow: UnitOfWork, user_id: UUID, *, now: datetime) -> int:
    """Soft-deletes every live review of a user and takes the ratings off their books.

    Call it before deleting an account: the foreign key cascade alone would leave the books'
    figures counting reviews that no longer exist. Returns how many reviews were withdrawn.
    """
    items, _ = await uow.reviews.of_user(user_id, limit=2**31 - 1, offset=0)
    withdrawn = 0
    for book_id in sorted({item.review.book_id for item in items}):  # lock books in id order
        book = await uow.books.get(book_id, lock=True)
        review = await uow.reviews.get_live(user_id, book_id)
        if book is None or review is None:
            continue
        review.delete(by=user_id, moderator=False, now=now)
        book.remove_rating(review.rating)
        await uow.reviews.update(review)
        await uow.reviews.store_ratings(book)
        withdrawn += 1
    return withdrawn
