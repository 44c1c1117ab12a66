"""Sessions over in-memory fakes: rotation, reuse, logout, logout-all, password change."""

from __future__ import annotations

import pytest

from application.identity.login import Login
from application.identity.sessions import (
    ChangePassword,
    InvalidRefreshToken,
    Logout,
    LogoutAll,
    Refresh,
)
from application.identity.tokens import Principal, Tokens
from domain.identity import InvalidCredentials, TokenReused, WeakPassword
from entrypoints.bootstrap import Services
from tests.support.builders import add_user
from tests.support.clock import FakeClock
from tests.support.http import PASSWORD


async def _session(services: Services, email: str) -> Tokens:
    return await services.identity.login(Login(email, PASSWORD))


async def _principal(services: Services, tokens: Tokens) -> Principal:
    principal = await services.identity.authenticate(tokens.access_token)
    assert principal is not None
    return principal


async def _alive(services: Services, tokens: Tokens) -> bool:
    return await services.identity.authenticate(tokens.access_token) is not None


async def test_refresh_rotates_and_keeps_the_session(memory_services: Services, clock: FakeClock) -> None:
    user = await add_user(memory_services)
    first = await _session(memory_services, user.email)
    clock.advance(seconds=5)
    second = await memory_services.identity.refresh(Refresh(first.refresh_token))
    assert second.refresh_token != first.refresh_token
    assert (await _principal(memory_services, second)).session_id == (
        await _principal(memory_services, first)
    ).session_id
    third = await memory_services.identity.refresh(Refresh(second.refresh_token))
    assert await _alive(memory_services, third)


async def test_a_spent_refresh_token_revokes_the_whole_family(memory_services: Services) -> None:
    user = await add_user(memory_services)
    first = await _session(memory_services, user.email)
    other = await _session(memory_services, user.email)
    second = await memory_services.identity.refresh(Refresh(first.refresh_token))
    with pytest.raises(TokenReused):
        await memory_services.identity.refresh(Refresh(first.refresh_token))
    with pytest.raises(InvalidRefreshToken):
        await memory_services.identity.refresh(Refresh(second.refresh_token))
    assert not await _alive(memory_services, second)
    assert not await _alive(memory_services, first)
    assert await _alive(memory_services, other)  # another session of the same user is untouched
    await memory_services.identity.refresh(Refresh(other.refresh_token))


async def test_unknown_and_expired_refresh_tokens_are_refused(memory_services: Services, clock: FakeClock) -> None:
    user = await add_user(memory_services)
    tokens = await _session(memory_services, user.email)
    with pytest.raises(InvalidRefreshToken):
        await memory_services.identity.refresh(Refresh("not-a-token"))
    clock.advance(days=14, seconds=1)
    with pytest.raises(InvalidRefreshToken):
        await memory_services.identity.refresh(Refresh(tokens.refresh_token))


async def test_access_tokens_expire_with_the_clock(memory_services: Services, clock: FakeClock) -> None:
    user = await add_user(memory_services)
    tokens = await _session(memory_services, user.email)
    clock.advance(seconds=899)
    assert await _alive(memory_services, tokens)
    clock.advance(seconds=30)  # past 900 s and the 10 s leeway
    assert not await _alive(memory_services, tokens)


async def test_logout_ends_this_session_only(memory_services: Services) -> None:
    user = await add_user(memory_services)
    mine = await _session(memory_services, user.email)
    other = await _session(memory_services, user.email)
    await memory_services.identity.logout(Logout(await _principal(memory_services, mine)))
    assert not await _alive(memory_services, mine)
    with pytest.raises(InvalidRefreshToken):
        await memory_services.identity.refresh(Refresh(mine.refresh_token))
    assert await _alive(memory_services, other)


async def test_logout_with_another_users_refresh_token_leaves_theirs_alone(memory_services: Services) -> None:
    ada, bob = await add_user(memory_services), await add_user(memory_services)
    mine = await _session(memory_services, ada.email)
    theirs = await _session(memory_services, bob.email)
    await memory_services.identity.logout(Logout(await _principal(memory_services, mine), theirs.refresh_token))
    await memory_services.identity.refresh(Refresh(theirs.refresh_token))


async def test_logout_all_rejects_every_token_issued_until_now(memory_services: Services, clock: FakeClock) -> None:
    user = await add_user(memory_services)
    sessions = [await _session(memory_services, user.email) for _ in range(3)]
    clock.advance(seconds=1)
    await memory_services.identity.logout_all(LogoutAll(await _principal(memory_services, sessions[0])))
    for tokens in sessions:
        assert not await _alive(memory_services, tokens)
        with pytest.raises(InvalidRefreshToken):
            await memory_services.identity.refresh(Refresh(tokens.refresh_token))
    clock.advance(seconds=1)
    later = await _session(memory_services, user.email)
    assert await _alive(memory_services, later)


async def test_change_password_revokes_other_sessions_and_gives_fresh_tokens(memory_services: Services) -> None:
    user = await add_user(memory_services)
    mine, other = await _session(memory_services, user.email), await _session(memory_services, user.email)
    principal = await _principal(memory_services, mine)
    with pytest.raises(InvalidCredentials):
        await memory_services.identity.change_password(ChangePassword(principal, "wrong-password!", "new-passphrase-1"))
    with pytest.raises(WeakPassword):
        await memory_services.identity.change_password(ChangePassword(principal, PASSWORD, "short"))
    fresh = await memory_services.identity.change_password(ChangePassword(principal, PASSWORD, "new-passphrase-1"))
    # The clock has not moved: the fresh session still starts after the cut-off.
    assert await _alive(memory_services, fresh)
    await memory_services.identity.refresh(Refresh(fresh.refresh_token))
    for old in (mine, other):
        assert not await _alive(memory_services, old)
    with pytest.raises(InvalidCredentials):
        await memory_services.identity.login(Login(user.email, PASSWORD))
    await memory_services.identity.login(Login(user.email, "new-passphrase-1"))
