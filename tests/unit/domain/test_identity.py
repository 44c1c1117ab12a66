from __future__ import annotations

import pytest

from domain.errors import InvalidField
from domain.identity import WeakPassword, check_password, check_username, normalize_email


def test_emails_compare_case_insensitively() -> None:
    assert normalize_email("  Ada@Example.COM ") == "ada@example.com"


@pytest.mark.parametrize("raw", ["", "no-at-sign", "a@b", "two@@signs.com", "x" * 250 + "@example.com"])
def test_bad_emails_are_refused(raw: str) -> None:
    with pytest.raises(InvalidField):
        normalize_email(raw)


@pytest.mark.parametrize("password", ["short", "x" * 129, "password123", "Qwertyuiop", "12345678"])
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(WeakPassword):
        check_password(password)


def test_a_long_uncommon_password_is_accepted() -> None:
    check_password("correct horse battery staple")
    check_password("x" * 128)


@pytest.mark.parametrize("raw", ["ab", "has space", "semi;colon", "x" * 51])
def test_bad_usernames_are_refused(raw: str) -> None:
    with pytest.raises(InvalidField):
        check_username(raw)
