from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.identity import LastAdmin, Role, User, UserErased, ensure_admin_remains

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def a_user(role: Role = Role.USER, *, active: bool = True) -> User:
    n = uuid4().hex[:8]
    return User(uuid4(), f"{n}@example.com", f"u{n}", "hash", T0, role=role, is_active=active)


def test_the_last_active_admin_cannot_be_removed() -> None:
    admin = a_user(Role.ADMIN)
    with pytest.raises(LastAdmin):
        ensure_admin_remains(admin, active_admins=1, removes_admin=True)
    ensure_admin_remains(admin, active_admins=2, removes_admin=True)
    ensure_admin_remains(admin, active_admins=1, removes_admin=False)
    ensure_admin_remains(a_user(Role.ADMIN, active=False), active_admins=1, removes_admin=True)


def test_verbs_report_whether_tokens_must_go() -> None:
    user = a_user()
    assert not user.change_role(Role.USER)
    assert user.change_role(Role.MODERATOR)
    assert user.deactivate()
    assert not user.deactivate()
    user.reactivate()
    assert user.is_active
    user.erase()
    assert user.events == [UserErased(user.id)]


_changes = st.lists(
    st.tuples(st.integers(0, 5), st.sampled_from(["demote", "deactivate", "delete", "promote", "reactivate"])),
    max_size=40,
)


@given(admins=st.integers(1, 4), changes=_changes)
def test_guarded_changes_always_leave_an_active_admin(admins: int, changes: list[tuple[int, str]]) -> None:
    users = [a_user(Role.ADMIN) for _ in range(admins)] + [a_user() for _ in range(6 - admins)]
    for index, change in changes:
        if index >= len(users):
            continue
        target = users[index]
        active_admins = sum(u.is_active_admin for u in users)
        removes = change in {"demote", "deactivate", "delete"}
        with suppress(LastAdmin):
            ensure_admin_remains(target, active_admins=active_admins, removes_admin=removes)
            if change == "demote":
                target.change_role(Role.USER)
            elif change == "deactivate":
                target.deactivate()
            elif change == "delete":
                users.remove(target)
            elif change == "promote":
                target.change_role(Role.ADMIN)
            else:
                target.reactivate()
        assert any(u.is_active_admin for u in users)
