from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.identity import USERNAME_MAX, check_username
from domain.linked_identities import LastLoginMethod, ensure_can_unlink, username_base, username_candidates


@given(preferred=st.one_of(st.none(), st.text(max_size=80)), local=st.text(max_size=80))
def test_every_provider_name_gives_valid_usernames_with_room_for_a_number(preferred: str | None, local: str) -> None:
    base = username_base(preferred, f"{local}@example.com")
    for candidate in [*username_candidates(base, 20), f"{base}-abcdef"]:
        assert check_username(candidate) == candidate
        assert len(candidate) <= USERNAME_MAX


def test_the_provider_name_comes_first_then_the_email() -> None:
    assert username_base("Ann Reader!", "x@y.example") == "AnnReader"
    assert username_base("  ", "mary.jane@y.example") == "mary.jane"
    assert username_base("😀", "😀@y.example") == "reader"
    assert username_base("al", "x@y.example") == "al_"
    assert username_candidates("ann", 3) == ["ann", "ann2", "ann3"]


def test_the_last_way_in_stays() -> None:
    ensure_can_unlink(has_password=True, other_links=0)
    ensure_can_unlink(has_password=False, other_links=1)
    with pytest.raises(LastLoginMethod):
        ensure_can_unlink(has_password=False, other_links=0)
