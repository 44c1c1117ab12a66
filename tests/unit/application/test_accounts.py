"""The caller's account and admin user management, over in-memory fakes."""

from __future__ import annotations

import pytest

from application.identity.account import KEEP, DeleteMe, UpdateMe
from application.identity.admin import CreateUser, DeleteUser, ListUsers, UpdateUser
from application.identity.login import Login
from domain.errors import InvalidField, NotFound
from domain.identity import InvalidCredentials, LastAdmin, Role, UsernameTaken
from entrypoints.bootstrap import Services
from tests.support.builders import add_user
from tests.support.clock import FakeClock
from tests.support.http import PASSWORD


async def test_update_me_changes_only_what_is_sent(memory_services: Services) -> None:
    user = await add_user(memory_services, "ada")
    named = await memory_services.identity.update_me(UpdateMe(user.id, full_name="Ada Lovelace"))
    assert (named.username, named.full_name) == ("ada", "Ada Lovelace")
    renamed = await memory_services.identity.update_me(UpdateMe(user.id, username="countess"))
    assert (renamed.username, renamed.full_name) == ("countess", "Ada Lovelace")
    cleared = await memory_services.identity.update_me(UpdateMe(user.id, KEEP, None))
    assert cleared.full_name is None
    await add_user(memory_services, "bob")
    with pytest.raises(UsernameTaken):
        await memory_services.identity.update_me(UpdateMe(user.id, username="BOB"))
    with pytest.raises(InvalidField):
        await memory_services.identity.update_me(UpdateMe(user.id, username="no spaces"))


async def test_delete_me_needs_the_password_and_revokes_tokens(memory_services: Services) -> None:
    user = await add_user(memory_services)
    tokens = await memory_services.identity.login(Login(user.email, PASSWORD))
    with pytest.raises(InvalidCredentials):
        await memory_services.identity.delete_me(DeleteMe(user.id, "wrong-password!"))
    await memory_services.identity.delete_me(DeleteMe(user.id, PASSWORD))
    assert await memory_services.identity.authenticate(tokens.access_token) is None
    with pytest.raises(NotFound):
        await memory_services.identity.get_user(user.id)


async def test_the_last_active_admin_cannot_be_removed_in_any_way(memory_services: Services) -> None:
    admin = await add_user(memory_services, role=Role.ADMIN)
    for change in (UpdateUser(admin.id, role=Role.USER), UpdateUser(admin.id, is_active=False)):
        with pytest.raises(LastAdmin):
            await memory_services.identity.update_user(change)
    with pytest.raises(LastAdmin):
        await memory_services.identity.delete_user(DeleteUser(admin.id))
    with pytest.raises(LastAdmin):
        await memory_services.identity.delete_me(DeleteMe(admin.id, PASSWORD))
    second = await add_user(memory_services, role=Role.ADMIN)
    await memory_services.identity.update_user(UpdateUser(admin.id, role=Role.MODERATOR))
    with pytest.raises(LastAdmin):
        await memory_services.identity.update_user(UpdateUser(second.id, is_active=False))


async def test_an_inactive_admin_does_not_count(memory_services: Services) -> None:
    admin = await add_user(memory_services, role=Role.ADMIN)
    other = await add_user(memory_services, role=Role.ADMIN)
    await memory_services.identity.update_user(UpdateUser(other.id, is_active=False))
    with pytest.raises(LastAdmin):
        await memory_services.identity.update_user(UpdateUser(admin.id, role=Role.USER))
    await memory_services.identity.update_user(UpdateUser(other.id, role=Role.USER))  # demoting an inactive one


async def test_role_change_and_deactivation_revoke_tokens(memory_services: Services, clock: FakeClock) -> None:
    await add_user(memory_services, role=Role.ADMIN)
    user = await add_user(memory_services)
    first = await memory_services.identity.login(Login(user.email, PASSWORD))
    await memory_services.identity.update_user(UpdateUser(user.id, full_name="Kept Tokens"))
    assert await memory_services.identity.authenticate(first.access_token) is not None
    await memory_services.identity.update_user(UpdateUser(user.id, role=Role.MODERATOR))
    assert await memory_services.identity.authenticate(first.access_token) is None
    clock.advance(seconds=1)  # tokens issued at the very instant of a revocation are revoked too
    second = await memory_services.identity.login(Login(user.email, PASSWORD))
    principal = await memory_services.identity.authenticate(second.access_token)
    assert principal is not None
    assert principal.role is Role.MODERATOR
    await memory_services.identity.update_user(UpdateUser(user.id, is_active=False))
    assert await memory_services.identity.authenticate(second.access_token) is None


async def test_admin_created_users_are_verified_and_searchable_literally(memory_services: Services) -> None:
    made = await memory_services.identity.create_user(CreateUser("a_b@example.com", "a_b", PASSWORD, Role.MODERATOR))
    assert made.is_verified
    await add_user(memory_services, "axb")
    found, total = await memory_services.identity.list_users(ListUsers(q="a_b"))
    assert total == 1
    assert [u.id for u in found] == [made.id]
    _, none = await memory_services.identity.list_users(ListUsers(q="%"))
    assert none == 0
    mods, _ = await memory_services.identity.list_users(ListUsers(role=Role.MODERATOR))
    assert [u.id for u in mods] == [made.id]
