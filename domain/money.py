"""Money: an exact decimal amount with two places in the store's single currency."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from domain.errors import InvalidField

CENT = Decimal("0.01")
#: The largest amount a NUMERIC(12, 2) column holds.
MAX_AMOUNT = Decimal("9999999999.99")


@dataclass(frozen=True, slots=True, order=True)
class Money:
    """A non-negative amount of the store's currency, always quantized to cents."""

    amount: Decimal

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money needs a Decimal")
        if not self.amount.is_finite():
            raise InvalidField("price", "must be a finite number")
        if self.amount < 0:
            raise InvalidField("price", "must not be negative")
        if self.amount > MAX_AMOUNT:
            raise InvalidField("price", f"must be at most {MAX_AMOUNT}")
        quantized = self.amount.quantize(CENT, rounding=ROUND_HALF_EVEN)
        object.__setattr__(self, "amount", quantized)

    @classmethod
    def of(cls, value: str | int | Decimal, *, field: str = "price") -> Money:
        """Parses a decimal string or whole number; a bad value is an InvalidField on `field`."""
        try:
            amount = value if isinstance(value, Decimal) else Decimal(str(value))
        except InvalidOperation:
            raise InvalidField(field, "must be a decimal number") from None
        try:
            return cls(amount)
        except InvalidField as exc:
            raise InvalidField(field, exc.message) from None

    @classmethod
    def zero(cls) -> Money:
        return cls(Decimal(0))

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + other.amount)

    def __mul__(self, qty: int) -> Money:
        return Money(self.amount * qty)

    def __str__(self) -> str:
        return f"{self.amount:.2f}"
