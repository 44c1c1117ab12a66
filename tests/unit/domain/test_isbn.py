from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidField
from domain.isbn import _isbn10_check, _isbn13_check, normalize_isbn, to_isbn10
from entrypoints.seed import _isbn

nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9)


def isbn10(body: str) -> str:
    return body + _isbn10_check(body)


@given(nine_digits)
def test_every_isbn10_converts_to_a_valid_isbn13_and_back(body: str) -> None:
    old = isbn10(body)
    new = normalize_isbn(old)
    assert len(new) == 13
    assert new.startswith("978")
    assert normalize_isbn(new) == new
    assert to_isbn10(new) == old


@given(nine_digits, st.sampled_from(["-", " ", ""]))
def test_hyphens_and_spaces_do_not_matter(body: str, sep: str) -> None:
    old = isbn10(body)
    spaced = sep.join([old[:1], old[1:4], old[4:9], old[9:]])
    assert normalize_isbn(spaced) == normalize_isbn(old)


@given(nine_digits, st.integers(0, 9), st.integers(1, 9))
def test_one_wrong_digit_in_an_isbn10_is_caught(body: str, position: int, shift: int) -> None:
    good = isbn10(body)
    if good[position] == "X":
        return
    bad = good[:position] + str((int(good[position]) + shift) % 10) + good[position + 1 :]
    with pytest.raises(InvalidField):
        normalize_isbn(bad)


@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.integers(0, 12), st.integers(1, 9))
def test_one_wrong_digit_in_an_isbn13_is_caught(body: str, position: int, shift: int) -> None:
    good = "978" + body + _isbn13_check("978" + body)
    bad = good[:position] + str((int(good[position]) + shift) % 10) + good[position + 1 :]
    with pytest.raises(InvalidField) as raised:
        normalize_isbn(bad)
    assert raised.value.field == "isbn"


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_the_isbn13_check_digit_weighs_digits_one_and_three_in_turn(body: str) -> None:
    total = sum(int(digit) * (3 if position % 2 else 1) for position, digit in enumerate(body))
    assert _isbn13_check(body) == str((10 - total % 10) % 10)


@pytest.mark.parametrize("raw", ["", "123", "97803064061571", "abcdefghij", "978030640615X", "1234567890123"])
def test_malformed_isbns_are_refused(raw: str) -> None:
    with pytest.raises(InvalidField):
        normalize_isbn(raw)


@given(st.integers(1, 10**9 - 1))
def test_seeded_isbns_are_valid(n: int) -> None:
    assert normalize_isbn(_isbn(n)) == _isbn(n)
