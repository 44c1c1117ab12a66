"""ISBN: accepted as ISBN-10 or ISBN-13, with or without hyphens or spaces; kept as ISBN-13."""

from __future__ import annotations

from domain.errors import InvalidField


def _isbn13_check(digits12: str) -> str:
    codes = digits12.encode()  # ASCII digits, as the callers checked: each byte is 48 + its digit
    total = sum(codes[0:12:2]) + 3 * sum(codes[1:12:2]) - 48 * (6 + 3 * 6)
    return "0123456789"[-total % 10]


def _isbn10_check(digits9: str) -> str:
    total = sum(int(d) * (10 - i) for i, d in enumerate(digits9))
    check = (11 - total % 11) % 11
    return "X" if check == 10 else str(check)


def normalize_isbn(raw: str, *, field: str = "isbn") -> str:
    """The ISBN-13 form of `raw`; a wrong length, character or check digit is an InvalidField."""
    compact = raw if raw.isdigit() else raw.replace("-", "").replace(" ", "").upper()
    if len(compact) == 10:
        body, check = compact[:9], compact[9]
        if not body.isdigit() or not (check.isdigit() or check == "X") or not body.isascii():
            raise InvalidField(field, "an ISBN-10 is nine digits and a check digit or X")
        if _isbn10_check(body) != check:
            raise InvalidField(field, "the ISBN-10 check digit is wrong")
        return "978" + body + _isbn13_check("978" + body)
    if len(compact) == 13:
        if not compact.isdigit() or not compact.isascii():
            raise InvalidField(field, "an ISBN-13 is thirteen digits")
        if not compact.startswith(("978", "979")):
            raise InvalidField(field, "an ISBN-13 starts with 978 or 979")
        if _isbn13_check(compact[:12]) != compact[12]:
            raise InvalidField(field, "the ISBN-13 check digit is wrong")
        return compact
    raise InvalidField(field, "an ISBN has 10 or 13 digits")


def to_isbn10(isbn13: str) -> str | None:
    """The ISBN-10 form of an ISBN-13, where one exists (978 prefix only)."""
    if not isbn13.startswith("978"):
        return None
    body = isbn13[3:12]
    return body + _isbn10_check(body)
