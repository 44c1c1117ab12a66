from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidField
from domain.money import MAX_AMOUNT, Money

cents = st.integers(min_value=0, max_value=10**9)


@given(cents, cents)
def test_addition_is_exact_to_the_cent(a: int, b: int) -> None:
    total = Money(Decimal(a) / 100) + Money(Decimal(b) / 100)
    assert total.amount == Decimal(a + b) / 100


@given(cents, st.integers(min_value=0, max_value=100))
def test_multiplying_by_a_quantity_is_repeated_addition(a: int, qty: int) -> None:
    unit = Money(Decimal(a) / 100)
    expected = Money.zero()
    for _ in range(qty):
        expected = expected + unit
    assert unit * qty == expected


@pytest.mark.parametrize("raw", ["-0.01", "NaN", "Infinity", "1e30", "abc", ""])
def test_bad_amounts_are_refused_on_the_named_field(raw: str) -> None:
    with pytest.raises(InvalidField) as caught:
        Money.of(raw, field="min_price")
    assert caught.value.field == "min_price"


def test_amounts_are_rendered_with_two_places() -> None:
    assert str(Money.of("29.9")) == "29.90"
    assert str(Money.of(MAX_AMOUNT)) == "9999999999.99"
