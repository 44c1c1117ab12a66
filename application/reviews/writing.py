"""Writing a review inside an open unit of work: shared by the review and shelf use cases.

Every change locks the book row first, so its rating figures move in step with the reviews,
and concurrent writers of one book queue up instead of losing a count.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from application.ports.uow import UnitOfWork
from domain.catalog import Book
from domain.errors import NotFound
from domain.identity import User
from domain.reviews import AlreadyReviewed, Review, check_eligible


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
    verified = check_eligible(
        user,
        bought=await uow.purchases.has_bought(user.id, book.id),
        shelf_entry=await uow.shelf.get(user.id, book.id),
        require_verified_email=require_verified_email,
    )
    review = Review.write(
        uuid4(), book_id=book.id, user_id=user.id, rating=rating, text=text, verified_purchase=verified, now=now
    )
    book.add_rating(review.rating)
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
    review.ensure_owner(user.id)
    user.ensure_verified(required=require_verified_email)
    old = review.rating
    review.revise(by=user.id, rating=rating, text=text, set_text=set_text, now=now)
    await uow.reviews.update(review)
    uow.track(review)  # ReviewEdited: the replaced version is kept, and the activity
    if review.rating != old:
        book.change_rating(old, review.rating)
        await uow.reviews.store_ratings(book)


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
