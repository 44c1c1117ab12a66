"""Goodreads and StoryGraph exports: detection, the quirks of each, matching keys, and the export round trip."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from itertools import count
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidField
from domain.library import (
    GOODREADS_COLUMNS,
    GOODREADS_LEGACY_ONLY,
    STORYGRAPH_COLUMNS,
    ExportedBook,
    LibraryFormat,
    LibraryReader,
    LibraryRow,
    ReadDates,
    apply_to_entry,
    detect_format,
    exported_row,
    goodreads_row,
    imported_status,
    match_key,
    new_entry,
    not_reviewed_note,
)
from domain.reviews import Review
from domain.shelf import ShelfEntry, ShelfStatus

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
LEGACY = [
    *list(GOODREADS_COLUMNS[:23]),
    "Recommended For",
    "Recommended By",
    "Owned Copies",
    *list(GOODREADS_LEGACY_ONLY[2:]),
]


def goodreads(**cells: str) -> list[str]:
    row = dict.fromkeys(GOODREADS_COLUMNS, "")
    row.update({"Title": "Leviathan Wakes", "Author": "James S. A. Corey", "ISBN": '=""', "ISBN13": '=""'})
    row.update({"My Rating": "0", "Exclusive Shelf": "to-read"})
    row.update({name.replace("_", " "): value for name, value in cells.items()})
    return [row[name] for name in GOODREADS_COLUMNS]


def storygraph(**cells: str) -> list[str]:
    row = dict.fromkeys(STORYGRAPH_COLUMNS, "")
    row.update({"Title": "Piranesi", "Authors": "Susanna Clarke", "Read Status": "read"})
    row.update({name.replace("_", " "): value for name, value in cells.items()})
    return [row[name] for name in STORYGRAPH_COLUMNS]


def test_formats_are_detected_from_the_header() -> None:
    assert detect_format(GOODREADS_COLUMNS) is LibraryFormat.GOODREADS
    assert len(LEGACY) == 31
    assert detect_format(LEGACY) is LibraryFormat.GOODREADS_LEGACY
    assert detect_format(STORYGRAPH_COLUMNS) is LibraryFormat.STORYGRAPH
    assert detect_format(list(reversed(GOODREADS_COLUMNS))) is LibraryFormat.GOODREADS  # by name
    with pytest.raises(InvalidField) as caught:
        detect_format(["title", "author", "price"])
    assert caught.value.field == "file"


def test_legacy_columns_are_read_by_name() -> None:
    reader = LibraryReader(LEGACY)
    cells = dict(zip(GOODREADS_COLUMNS, goodreads(Owned_Copies="2", Read_Count="1"), strict=True))
    row = reader.read([cells.get(name, "someone") for name in LEGACY])
    assert row.owned
    assert row.read_count == 1


def test_goodreads_quoted_isbns_prefer_isbn13_and_convert_isbn10() -> None:
    reader = LibraryReader(GOODREADS_COLUMNS)
    assert reader.read(goodreads(ISBN='="0441013597"')).isbn == "9780441013593"
    assert reader.read(goodreads(ISBN='="0441013597"', ISBN13='="9780316029186"')).isbn == "9780316029186"
    assert reader.read(goodreads()).isbn is None  # =""


def test_a_broken_isbn_is_noted_not_fatal() -> None:
    row = LibraryReader(GOODREADS_COLUMNS).read(goodreads(ISBN13='="9780441013590"'))
    assert row.isbn is None
    assert "check digit" in row.notes[0]


def test_goodreads_dates_ratings_reviews_and_reads() -> None:
    row = LibraryReader(GOODREADS_COLUMNS).read(
        goodreads(
            My_Rating="4",
            Date_Read="2024/03/09",
            Date_Added="2023/12/31",
            Exclusive_Shelf="read",
            My_Review="Great.<br/><br/>Really<br />great.",
            Read_Count="1",
        )
    )
    assert row.status is ShelfStatus.COMPLETED
    assert row.rating == 4
    assert row.review == "Great.\n\nReally\ngreat."
    assert row.reads == (ReadDates(None, date(2024, 3, 9)),)
    assert row.date_added == date(2023, 12, 31)


def test_rating_zero_is_no_rating_and_bad_cells_name_their_column() -> None:
    reader = LibraryReader(GOODREADS_COLUMNS)
    assert reader.read(goodreads(My_Rating="0")).rating is None
    for cells, column in (
        (goodreads(My_Rating="6"), "My Rating"),
        (goodreads(My_Rating="x"), "My Rating"),
        (goodreads(Date_Read="2024/02/30"), "Date Read"),
        (goodreads(Date_Read="09/03/2024"), "Date Read"),
        (goodreads(Title=""), "Title"),
    ):
        with pytest.raises(InvalidField) as caught:
            reader.read(cells)
        assert caught.value.field == column


def test_nul_and_wrong_width_are_row_errors() -> None:
    reader = LibraryReader(GOODREADS_COLUMNS)
    with pytest.raises(InvalidField, match="NUL"):
        reader.read(goodreads(Title="a\x00b"))
    with pytest.raises(InvalidField, match="fields"):
        reader.read(goodreads()[:-1])


def test_custom_shelves_are_reported() -> None:
    row = LibraryReader(GOODREADS_COLUMNS).read(goodreads(Exclusive_Shelf="read", Bookshelves="sci-fi, favourites"))
    assert row.status is ShelfStatus.COMPLETED
    assert row.notes == ("shelves not kept: sci-fi, favourites",)
    custom = LibraryReader(GOODREADS_COLUMNS).read(goodreads(Exclusive_Shelf="abandoned"))
    assert custom.status is ShelfStatus.WISHLIST
    assert "abandoned" in custom.notes[0]


def test_author_from_last_first_when_author_is_empty() -> None:
    row = LibraryReader(GOODREADS_COLUMNS).read(goodreads(Author="", **{"Author l-f": "Corey, James S. A."}))
    assert row.author == "James S. A. Corey"


def test_storygraph_ranges_decimal_ratings_asins_and_statuses() -> None:
    reader = LibraryReader(STORYGRAPH_COLUMNS)
    row = reader.read(
        storygraph(
            Dates_Read="2025/01/01-2025/01/03;2025/02/05",
            Star_Rating="3.5",
            **{"ISBN/UID": "B00F3HJ8FS", "Owned?": "Yes", "Tags": "cosy"},
        )
    )
    assert row.reads == (ReadDates(date(2025, 1, 1), date(2025, 1, 3)), ReadDates(None, date(2025, 2, 5)))
    assert row.rating == 4  # half up
    assert row.isbn is None
    assert "B00F3HJ8FS is an ASIN, not an ISBN" in row.notes
    assert row.owned
    assert "tags not kept: cosy" in row.notes
    assert reader.read(storygraph(Star_Rating="2.49")).rating == 2
    assert reader.read(storygraph(Star_Rating="0.25")).rating is None
    assert reader.read(storygraph(Read_Status="did-not-finish")).status is ShelfStatus.DID_NOT_FINISH
    assert reader.read(storygraph(Read_Status="paused")).status is ShelfStatus.PAUSED
    assert reader.read(storygraph(**{"ISBN/UID": "9780441013593"})).isbn == "9780441013593"
    with pytest.raises(InvalidField):
        reader.read(storygraph(Dates_Read="2025/01/05-2025/01/03"))


def test_storygraph_takes_the_first_of_several_authors() -> None:
    assert LibraryReader(STORYGRAPH_COLUMNS).read(storygraph(Authors="Neil Gaiman, Terry Pratchett")).author == (
        "Neil Gaiman"
    )


def test_match_key_ignores_case_punctuation_diacritics_series_and_author_order() -> None:
    base = match_key("Leviathan Wakes", "James S. A. Corey")
    assert match_key("leviathan wakes (The Expanse, #1)", "Corey, James S.A.") == base
    assert match_key("LEVIATHAN WAKES!", "james s a corey") == base
    assert match_key("Les Misérables", "Victor Hugo") == match_key("Les Miserables", "Hugo, Victor")
    assert match_key("Leviathan Falls", "James S. A. Corey") != base


@given(st.text(max_size=40), st.text(alphabet=st.characters(codec="ascii"), max_size=40))
def test_a_title_folds_the_same_whether_or_not_it_is_plain_ascii(any_text: str, ascii_text: str) -> None:
    # An accented letter folds to its plain one: appending it to plain ASCII text gives the same key as
    # appending that plain letter, whichever way the text is read.
    assert match_key(ascii_text + "é", "A")[0] == match_key(ascii_text + "e", "A")[0]
    assert match_key(any_text + "É", "A")[0] == match_key(any_text + "e", "A")[0]
    assert match_key(ascii_text, "A")[0].isalnum() or match_key(ascii_text, "A")[0] == ""


def test_status_never_moves_a_finished_book_back() -> None:
    assert imported_status(ShelfStatus.COMPLETED, ShelfStatus.WISHLIST, finished=True) is ShelfStatus.COMPLETED
    assert imported_status(ShelfStatus.COMPLETED, ShelfStatus.DID_NOT_FINISH, finished=True) is ShelfStatus.COMPLETED
    assert imported_status(ShelfStatus.READING, ShelfStatus.WISHLIST, finished=False) is ShelfStatus.READING
    assert imported_status(ShelfStatus.WISHLIST, ShelfStatus.COMPLETED, finished=False) is ShelfStatus.COMPLETED
    assert imported_status(ShelfStatus.READING, ShelfStatus.READING, finished=True) is ShelfStatus.READING


def test_reads_are_added_once() -> None:
    row = LibraryRow("T", "A", None, ShelfStatus.COMPLETED, reads=(ReadDates(None, date(2024, 1, 2)),))
    ids = (UUID(int=i) for i in count(1))
    entry = new_entry(uuid4(), uuid4(), row, now=NOW, read_ids=ids)
    assert entry.read_count == 1
    assert entry.status is ShelfStatus.COMPLETED
    assert not apply_to_entry(entry, row, now=NOW, read_ids=ids)
    assert entry.read_count == 1


def test_read_count_beyond_the_dates_is_undated_finished_reads_added_once() -> None:
    row = LibraryRow("T", "A", None, ShelfStatus.COMPLETED, reads=(ReadDates(None, date(2024, 1, 2)),), read_count=3)
    ids = (UUID(int=i) for i in count(1))
    entry = new_entry(uuid4(), uuid4(), row, now=NOW, read_ids=ids)
    assert entry.read_count == 3
    assert sorted((read.finished_on or date.min, read.finished_undated) for read in entry.reads) == [
        (date.min, True),
        (date.min, True),
        (date(2024, 1, 2), False),
    ]
    assert not apply_to_entry(entry, row, now=NOW, read_ids=ids)  # a second import adds no more
    assert entry.read_count == 3
    # a later export dating another of those reads dates one of the undated ones: no fourth read
    later = LibraryRow("T", "A", None, ShelfStatus.COMPLETED, reads=(ReadDates(None, date(2025, 5, 6)),), read_count=3)
    assert apply_to_entry(entry, later, now=NOW, read_ids=ids)
    assert (entry.read_count, sum(read.finished_undated for read in entry.reads)) == (3, 1)
    # a count above what the entry has adds the difference; below it, nothing is taken away
    assert apply_to_entry(entry, LibraryRow("T", "A", None, ShelfStatus.COMPLETED, read_count=5), now=NOW, read_ids=ids)
    assert entry.read_count == 5
    assert not apply_to_entry(
        entry, LibraryRow("T", "A", None, ShelfStatus.COMPLETED, read_count=1), now=NOW, read_ids=ids
    )
    assert entry.read_count == 5 == sum(read.is_finished for read in entry.reads)


def test_a_review_without_a_rating_is_the_entrys_own_text() -> None:
    ids = (UUID(int=i) for i in count(1))
    unrated = LibraryRow("T", "A", None, ShelfStatus.WISHLIST, review="Someday.")
    entry = new_entry(uuid4(), uuid4(), unrated, now=NOW, read_ids=ids)
    assert entry.review_text == "Someday."
    assert not apply_to_entry(entry, unrated, now=NOW, read_ids=ids)
    rated = LibraryRow("T", "A", None, ShelfStatus.WISHLIST, rating=4, review="Other.")
    assert not apply_to_entry(entry, rated, now=NOW, read_ids=ids)  # a rated review is the review's to take
    assert entry.review_text == "Someday."
    assert not_reviewed_note(unrated, "a Folio review needs a rating").startswith("review kept as the shelf's text")
    assert not_reviewed_note(rated, "no").startswith("rating not kept, review kept as the shelf's text")
    assert not_reviewed_note(LibraryRow("T", "A", None, ShelfStatus.WISHLIST, rating=4), "no") == "rating not kept: no"


# -- the round trip ------------------------------------------------------------------------------------

_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=40)
_clean = _text.map(str.strip).filter(bool).filter(lambda s: "<" not in s and not s.startswith("="))
_isbn13 = st.from_regex(r"97[89][0-9]{9}", fullmatch=True).map(lambda body: body + _check(body))
_day = st.dates(date(1950, 1, 1), date(2026, 5, 31))


def _check(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return str(-total % 10)


@st.composite
def rows(draw: st.DrawFn) -> LibraryRow:
    status = draw(st.sampled_from(ShelfStatus))
    read_on = draw(st.none() | _day)
    lines = draw(st.lists(_clean, max_size=3))
    return LibraryRow(
        title=draw(_clean),
        author=draw(_clean.filter(lambda s: "," not in s)),
        isbn=draw(st.none() | _isbn13),
        status=status,
        rating=draw(st.none() | st.integers(1, 5)),
        review="\n".join(lines) or None,
        reads=() if read_on is None else (ReadDates(None, read_on),),
        read_count=draw(st.integers(0, 20)),
        date_added=draw(st.none() | _day),
        owned=draw(st.booleans()),
    )


@given(rows())
def test_any_valid_row_survives_export_then_import(row: LibraryRow) -> None:
    book = ExportedBook(uuid4(), row.title, row.author, row.isbn)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(GOODREADS_COLUMNS)
    writer.writerow(goodreads_row(book, row))
    header, cells = list(csv.reader(io.StringIO(out.getvalue())))
    back = LibraryReader(header).read(cells)
    assert back == row


def _through_the_file(book: ExportedBook, row: LibraryRow) -> LibraryRow:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(GOODREADS_COLUMNS)
    writer.writerow(goodreads_row(book, row))
    header, cells = list(csv.reader(io.StringIO(out.getvalue())))
    return LibraryReader(header).read(cells)


def _shelf(entry: ShelfEntry, review: Review | None) -> tuple[object, ...]:
    """What a reader sees of an entry: its status, rating, text, read count and dated reads."""
    dated = sorted(read.finished_on for read in entry.reads if read.finished_on is not None)
    return (
        entry.status,
        None if review is None else review.rating,
        entry.review_text if review is None else review.text,
        entry.read_count,
        entry.owned,
        dated[-1:],
    )


@given(rows(), st.booleans())
def test_any_imported_entry_exported_and_imported_into_an_empty_account_is_the_same_entry(
    row: LibraryRow, reviewable: bool
) -> None:
    """As the import does it: a rated row's review becomes a review when the rules allow (`reviewable`),
    else its text is the entry's own; the export writes the entry back; an empty account imports that."""

    def imported(row: LibraryRow, ids: Iterator[UUID]) -> tuple[ShelfEntry, Review | None]:
        entry = new_entry(uuid4(), book.id, row, now=NOW, read_ids=ids)
        if row.rating is None:
            return entry, None
        if reviewable or entry.is_completed:
            review = Review.write(
                uuid4(),
                book_id=book.id,
                user_id=entry.user_id,
                rating=row.rating,
                text=row.review,
                verified_purchase=reviewable,
                now=NOW,
            )
            return entry, review
        if row.review is not None:
            entry.keep_text(row.review, now=NOW)
        return entry, None

    book = ExportedBook(uuid4(), row.title, row.author, row.isbn)
    ids = (UUID(int=i) for i in count(1))
    first, first_review = imported(row, ids)
    again, again_review = imported(_through_the_file(book, exported_row(first, book, first_review)), ids)
    assert _shelf(again, again_review) == _shelf(first, first_review)
    assert again.read_count == sum(read.is_finished for read in again.reads)
