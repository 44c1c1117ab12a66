"""Reading one CSV row into a BookRecord: by column name, whatever the order of the file's columns."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.catalog import BackInStock, Genre
from domain.errors import InvalidField
from domain.imports import COLUMNS, MEMO_SIZE, TAGS_MEMO_SIZE, BookRecord, RowReader
from domain.money import Money

ROW = {
    "title": " Dune ",
    "author": "Frank Herbert",
    "price": "9.5",
    "isbn": "0-441-17271-7",
    "publication_date": "1965-08-01",
    "genre": "Science Fiction",
    "stock": "3",
    "tags": "classic| desert |classic||",
    "description": "Spice.",
    "publisher": "Chilton",
    "pages": "412",
    "language": "en",
}
DUNE = BookRecord(
    title="Dune",
    author="Frank Herbert",
    price=Money(Decimal("9.50")),
    isbn="9780441172719",
    publication_date=date(1965, 8, 1),
    genre="Science Fiction",
    stock=3,
    tags=("classic", "desert"),
    description="Spice.",
    publisher="Chilton",
    pages=412,
    language="en",
)


@given(
    order=st.permutations([*COLUMNS, "shelf", "notes"]),
    case=st.sampled_from([str.lower, str.upper, str.title]),
)
def test_a_row_reads_the_same_whatever_the_order_and_case_of_the_columns(order: list[str], case: object) -> None:
    header = [f" {case(name)} " for name in order]  # type: ignore[operator]
    cells = [ROW.get(name, "ignored") for name in order]
    assert RowReader(header).read(cells) == DUNE


def test_absent_and_empty_optional_columns_are_none() -> None:
    reader = RowReader(["price", "author", "title", "stock"])
    assert reader.read(["10", "Ann Leckie", "Ancillary Justice", ""]) == BookRecord(
        title="Ancillary Justice", author="Ann Leckie", price=Money(Decimal("10.00"))
    )


@pytest.mark.parametrize(
    ("column", "value", "field", "message"),
    [
        ("title", "   ", "title", "is required"),
        ("author", "x" * 301, "author", "at most 300"),
        ("price", "ten", "price", "decimal number"),
        ("price", "-1", "price", "not be negative"),
        ("isbn", "9780441172710", "isbn", "check digit"),
        ("publication_date", "1965-8-1", "publication_date", "YYYY-MM-DD"),
        ("stock", "-3", "stock", "whole number"),
        ("stock", str(2**31), "stock", "at most"),
        ("pages", "١٢", "pages", "whole number"),  # digits, but not ASCII ones
        ("tags", "|".join(f"t{n}" for n in range(31)), "tags", "at most 30 tags"),
        ("tags", "x" * 51, "tags", "at most 50 characters"),
        ("language", "x" * 36, "language", "at most 35"),
    ],
)
def test_a_broken_cell_names_its_column(column: str, value: str, field: str, message: str) -> None:
    reader = RowReader(list(ROW))
    with pytest.raises(InvalidField) as caught:
        reader.read([value if name == column else cell for name, cell in ROW.items()])
    assert caught.value.field == field
    assert message in caught.value.message


def test_rows_that_repeat_a_cell_read_it_alike_and_a_repeated_bad_cell_fails_each_row() -> None:
    reader = RowReader(["title", "author", "price", "publication_date", "tags"])
    first = reader.read(["Dune", "Frank Herbert", "9.5", "1965-08-01", "classic|desert"])
    again = reader.read(["Emma", "Jane Austen", "9.5", "1965-08-01", "classic|desert"])
    assert (again.price, again.publication_date, again.tags) == (first.price, first.publication_date, first.tags)
    for title in ("A", "B"):
        with pytest.raises(InvalidField) as caught:
            reader.read([title, "Anon", "9.5", "1965-13-01", ""])
        assert caught.value.field == "publication_date"


def test_more_distinct_cells_than_a_reader_keeps_are_all_read() -> None:
    reader = RowReader(["title", "author", "price"])
    prices = [reader.read(["T", "A", f"{cents / 100:.2f}"]).price for cents in range(MEMO_SIZE + 50)]
    assert prices[-1] == Money(Decimal(MEMO_SIZE + 49) / 100)
    assert len(set(prices)) == MEMO_SIZE + 50
    reader = RowReader(["title", "author", "price", "tags"])
    tags = [reader.read(["T", "A", "1", f"t{n}|u"]).tags for n in range(TAGS_MEMO_SIZE + 50)]
    assert tags[-1] == (f"t{TAGS_MEMO_SIZE + 49}", "u")
    assert len(set(tags)) == TAGS_MEMO_SIZE + 50


def test_the_first_broken_rule_in_column_order_is_reported() -> None:
    reader = RowReader(["stock", "price", "author", "title"])
    with pytest.raises(InvalidField) as caught:
        reader.read(["lots", "free", "", ""])
    assert caught.value.field == "title"


@pytest.mark.parametrize(
    ("header", "message"),
    [(["title", "author"], "lacks the required column(s) price"), (["title", "Title", "author", "price"], "repeats")],
)
def test_a_bad_header_is_refused(header: list[str], message: str) -> None:
    with pytest.raises(InvalidField) as caught:
        RowReader(header)
    assert message in caught.value.message


def test_a_row_applied_to_the_book_it_describes_changes_nothing() -> None:
    now = datetime(2026, 5, 1, tzinfo=UTC)
    genre = Genre(uuid4(), "Science Fiction", "science-fiction")
    book = DUNE.new_book(uuid4(), genre, now)
    later = now + timedelta(days=1)
    same_genre_read_again = Genre(genre.id, genre.name, genre.slug)
    assert DUNE.apply_to(book, same_genre_read_again, later) is False
    assert DUNE._replace(pages=None, description=None).apply_to(book, None, later) is False  # empty cells keep
    assert (book.updated_at, book.events) == (now, [])
    assert DUNE._replace(price=Money(Decimal("10.00"))).apply_to(book, genre, later) is True
    assert (book.updated_at, book.price) == (later, Money(Decimal("10.00")))


def test_a_row_that_restocks_a_sold_out_book_changes_it_and_records_back_in_stock() -> None:
    now = datetime(2026, 5, 1, tzinfo=UTC)
    book = DUNE._replace(stock=0).new_book(uuid4(), None, now)
    assert DUNE.apply_to(book, None, now + timedelta(days=1)) is True
    assert book.events == [BackInStock(book.id)]


def test_only_another_title_or_author_renames_a_book() -> None:
    book = DUNE.new_book(uuid4(), None, datetime(2026, 5, 1, tzinfo=UTC))
    assert not DUNE._replace(price=Money(Decimal("1.00")), stock=0, tags=("new",)).renames(book)
    assert not DUNE._replace(title="DUNE", author="frank herbert").renames(book)  # compared as duplicates are
    assert DUNE._replace(title="Dune Messiah").renames(book)
    assert DUNE._replace(author="Brian Herbert").renames(book)
