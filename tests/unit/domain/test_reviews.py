from __future__ import annotations

from collections import Counter
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import Forbidden, InvalidField
from domain.identity import EmailNotVerified, User
from domain.reviews import NotEligibleToReview, Review, check_eligible
from domain.shelf import ShelfEntry, ShelfStatus
from tests.support.builders import T0, a_book

STARS = st.integers(1, 5)
STEPS = st.lists(st.tuples(st.sampled_from(["add", "change", "remove"]), STARS, STARS), max_size=60)


@given(steps=STEPS)
def test_rating_figures_always_match_the_ratings_counted(steps: list[tuple[str, int, int]]) -> None:
    book = a_book()
    ratings: Counter[int] = Counter()
    for verb, stars, other in steps:
        if verb == "add":
            book.add_rating(stars)
            ratings[stars] += 1
        elif ratings[stars] and verb == "change":
            book.change_rating(stars, other)
            ratings[stars] -= 1
            ratings[other] += 1
        elif ratings[stars] and verb == "remove":
            book.remove_rating(stars)
            ratings[stars] -= 1
    assert book.rating_counts == tuple(ratings[s] for s in range(1, 6))
    assert book.review_count == sum(ratings.values())
    if book.review_count:
        expected = sum(s * n for s, n in ratings.items()) / book.review_count
        assert book.average_rating == round(expected, 2)
        assert 1 <= book.average_rating <= 5
    else:
        assert book.average_rating is None


def test_a_rating_not_counted_cannot_be_removed_and_stars_stay_in_range() -> None:
    book = a_book()
    with pytest.raises(ValueError, match="no 3-star"):
        book.remove_rating(3)
    for stars in (0, 6):
        with pytest.raises(InvalidField):
            book.add_rating(stars)
    assert book.rating_counts == (0, 0, 0, 0, 0)


def _user(*, verified: bool = True) -> User:
    return User(uuid4(), "a@example.com", "ada", "hash", T0, is_verified=verified)


def _entry(status: ShelfStatus) -> ShelfEntry:
    return ShelfEntry.place(uuid4(), uuid4(), status, now=T0, read_id=uuid4())


def test_buyers_write_verified_reviews_finishers_unverified_others_none() -> None:
    assert check_eligible(_user(), bought=True, shelf_entry=None, require_verified_email=True) is True
    completed = _entry(ShelfStatus.COMPLETED)
    assert check_eligible(_user(), bought=False, shelf_entry=completed, require_verified_email=True) is False
    for status in ShelfStatus:
        if status is not ShelfStatus.COMPLETED:
            with pytest.raises(NotEligibleToReview):
                check_eligible(_user(), bought=False, shelf_entry=_entry(status), require_verified_email=True)
    with pytest.raises(NotEligibleToReview):
        check_eligible(_user(), bought=False, shelf_entry=None, require_verified_email=True)
    # A re-read in progress: finished once, so still eligible.
    completed.move_to(ShelfStatus.READING, now=T0, read_id=uuid4())
    assert check_eligible(_user(), bought=False, shelf_entry=completed, require_verified_email=True) is False


def test_writing_needs_a_verified_email_unless_the_policy_says_otherwise() -> None:
    with pytest.raises(EmailNotVerified):
        check_eligible(_user(verified=False), bought=True, shelf_entry=None, require_verified_email=True)
    assert check_eligible(_user(verified=False), bought=True, shelf_entry=None, require_verified_email=False)


def _review(author: User) -> Review:
    return Review.write(
        uuid4(), book_id=uuid4(), user_id=author.id, rating=3, text="  fine  ", verified_purchase=False, now=T0
    )


def test_only_the_author_revises_and_moderators_may_delete() -> None:
    author, other = _user(), _user()
    review = _review(author)
    assert review.text == "fine"
    with pytest.raises(Forbidden):
        review.revise(by=other.id, rating=1, text=None, set_text=False, now=T0)
    with pytest.raises(Forbidden):
        review.delete(by=other.id, moderator=False, now=T0)
    review.revise(by=author.id, rating=None, text="   ", set_text=True, now=T0)
    assert (review.rating, review.text) == (3, None)
    review.delete(by=other.id, moderator=True, now=T0)
    assert not review.is_live


@pytest.mark.parametrize("rating", [0, 6, -1])
def test_ratings_outside_one_to_five_are_refused(rating: int) -> None:
    author = _user()
    with pytest.raises(InvalidField):
        Review.write(
            uuid4(), book_id=uuid4(), user_id=author.id, rating=rating, text=None, verified_purchase=False, now=T0
        )
    with pytest.raises(InvalidField):
        _review(author).revise(by=author.id, rating=rating, text=None, set_text=False, now=T0)


def test_review_text_is_bounded() -> None:
    author = _user()
    with pytest.raises(InvalidField):
        Review.write(
            uuid4(), book_id=uuid4(), user_id=author.id, rating=3, text="x" * 5001, verified_purchase=False, now=T0
        )
