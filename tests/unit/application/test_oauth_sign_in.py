"""The provider sign-in use cases on in-memory fakes (the fake provider port, a clock the test moves)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlparse
from uuid import UUID

import pytest
from msgspec.structs import replace

from adapters.memory.identity_providers import FakeIdentityProvider
from application.identity.admin import ListUsers, UpdateUser
from application.identity.linked import Unlink
from application.identity.login import Login
from application.identity.oauth import ExchangeLoginCode, FinishSignIn, SignedIn, StartSignIn
from application.identity.recovery import ForgotPassword, ResetPassword
from application.identity.register import Register
from domain.errors import InvalidField, NotFound
from domain.identity import AccountInactive, EmailNotVerified, EmailTaken, InvalidCode, InvalidCredentials
from domain.linked_identities import ExternalIdentity, LastLoginMethod, ProviderError
from entrypoints.bootstrap import Services
from entrypoints.settings import Settings
from tests.support.clock import FakeClock
from tests.support.http import PASSWORD
from tests.support.identity import reset_code
from tests.support.wiring import fake_services

_subjects = itertools.count(1)
PAGE = "https://app.example/signed-in"


@pytest.fixture
def google() -> FakeIdentityProvider:
    return FakeIdentityProvider()


@pytest.fixture
async def wired(test_settings: Settings, clock: FakeClock, google: FakeIdentityProvider) -> AsyncIterator[Services]:
    settings = replace(test_settings, oauth_redirect_uris=(PAGE,))
    services = fake_services(
        settings,
        clock=clock,
        identity_providers={"google": google, "github": FakeIdentityProvider("github", "GitHub")},
    )
    yield services
    await services.aclose()


def person(email: str | None = None, *, verified: bool = True, username: str | None = "ann") -> ExternalIdentity:
    n = next(_subjects)
    return ExternalIdentity("google", f"sub-{n}", email or f"person{n}@example.com", verified, username, "Ann")


async def sign_in(
    services: Services, provider: FakeIdentityProvider, identity: ExternalIdentity, *, page: str | None = None
) -> SignedIn:
    started = await services.identity.start_sign_in(StartSignIn(provider.name, page))
    state = parse_qs(urlparse(started.authorization_url).query)["state"][0]
    code = provider.approve(state, identity)
    finish = FinishSignIn(provider.name, state, code, browser_binding=started.browser_binding)
    return await services.identity.finish_sign_in(finish)


async def user_of(services: Services, signed_in: SignedIn) -> str:
    assert signed_in.tokens is not None
    principal = await services.identity.authenticate(signed_in.tokens.access_token)
    assert principal is not None
    return str(principal.user_id)


async def test_a_linked_identity_signs_in_to_its_account_even_after_an_email_change(
    wired: Services, google: FakeIdentityProvider
) -> None:
    ann = person()
    first = await user_of(wired, await sign_in(wired, google, ann))
    moved = ExternalIdentity(ann.provider, ann.subject, "new-address@example.com", True, "ann")
    assert await user_of(wired, await sign_in(wired, google, moved)) == first
    # ...and an unverified email does not matter once the identity is linked.
    unverified = ExternalIdentity(ann.provider, ann.subject, None, False)
    assert await user_of(wired, await sign_in(wired, google, unverified)) == first


async def test_new_accounts_get_unique_usernames(wired: Services, google: FakeIdentityProvider) -> None:
    names = []
    for _ in range(3):
        user_id = await user_of(wired, await sign_in(wired, google, person(username="ann")))
        names.append((await wired.identity.get_user(UUID(user_id))).username)
    assert names == ["ann", "ann2", "ann3"]


async def test_no_verified_email_no_account(wired: Services, google: FakeIdentityProvider) -> None:
    with pytest.raises(EmailNotVerified):
        await sign_in(wired, google, person(verified=False))
    _, total = await wired.identity.list_users(ListUsers())
    assert total == 0


async def test_state_expires_after_ten_minutes_and_works_once(
    wired: Services, google: FakeIdentityProvider, clock: FakeClock
) -> None:
    started = await wired.identity.start_sign_in(StartSignIn("google"))
    state = parse_qs(urlparse(started.authorization_url).query)["state"][0]
    code = google.approve(state, person())
    clock.advance(minutes=10, seconds=1)
    with pytest.raises(InvalidCode):
        await wired.identity.finish_sign_in(
            FinishSignIn("google", state, code, browser_binding=started.browser_binding)
        )


async def test_the_flow_is_bound_to_its_browser_and_provider(wired: Services, google: FakeIdentityProvider) -> None:
    for provider, binding in (("google", "another-browser"), ("google", None), ("github", "right")):
        started = await wired.identity.start_sign_in(StartSignIn("google"))
        state = parse_qs(urlparse(started.authorization_url).query)["state"][0]
        code = google.approve(state, person())
        chosen = started.browser_binding if binding == "right" else binding
        with pytest.raises(InvalidCode):
            await wired.identity.finish_sign_in(FinishSignIn(provider, state, code, browser_binding=chosen))
        # The failed attempt spent the state: the right browser cannot use it afterwards either.
        with pytest.raises(InvalidCode):
            await wired.identity.finish_sign_in(
                FinishSignIn("google", state, code, browser_binding=started.browser_binding)
            )


async def test_a_browser_keeps_one_binding_for_parallel_flows(wired: Services, google: FakeIdentityProvider) -> None:
    first = await wired.identity.start_sign_in(StartSignIn("google"))
    second = await wired.identity.start_sign_in(StartSignIn("google", browser_binding=first.browser_binding))
    assert second.browser_binding == first.browser_binding
    for started in (first, second):
        state = parse_qs(urlparse(started.authorization_url).query)["state"][0]
        code = google.approve(state, person())
        finish = FinishSignIn("google", state, code, browser_binding=first.browser_binding)
        assert (await wired.identity.finish_sign_in(finish)).tokens is not None


async def test_a_provider_that_fails_is_a_provider_error(wired: Services, google: FakeIdentityProvider) -> None:
    started = await wired.identity.start_sign_in(StartSignIn("google"))
    state = parse_qs(urlparse(started.authorization_url).query)["state"][0]
    code = google.approve(state, person())
    google.down = True
    with pytest.raises(ProviderError):
        await wired.identity.finish_sign_in(
            FinishSignIn("google", state, code, browser_binding=started.browser_binding)
        )
    with pytest.raises(ProviderError):
        await wired.identity.start_sign_in(StartSignIn("google"))


async def test_unknown_providers_and_pages(wired: Services) -> None:
    with pytest.raises(NotFound):
        await wired.identity.start_sign_in(StartSignIn("twitter"))
    with pytest.raises(InvalidField) as raised:
        await wired.identity.start_sign_in(StartSignIn("google", PAGE + "/"))
    assert raised.value.field == "redirect_uri"


async def test_a_login_code_lives_sixty_seconds_and_is_spent_once(
    wired: Services, google: FakeIdentityProvider, clock: FakeClock
) -> None:
    for wait, works in ((59, True), (61, False)):
        signed_in = await sign_in(wired, google, person(), page=PAGE)
        assert signed_in.tokens is None
        assert signed_in.redirect_to is not None
        code = signed_in.redirect_to.removeprefix(f"{PAGE}#login_code=")
        clock.advance(seconds=wait)
        if works:
            assert (await wired.identity.exchange_login_code(ExchangeLoginCode(code))).access_token
        with pytest.raises(InvalidCode):
            await wired.identity.exchange_login_code(ExchangeLoginCode(code))


async def test_a_deactivated_account_cannot_exchange_its_login_code(
    wired: Services, google: FakeIdentityProvider
) -> None:
    signed_in = await sign_in(wired, google, person(), page=PAGE)
    assert signed_in.redirect_to is not None
    code = signed_in.redirect_to.partition("#login_code=")[2]
    async with wired.uow(read_only=True) as uow:
        (user,), _ = await uow.users.search(q=None, role=None, is_active=None, limit=1, offset=0)
    await wired.identity.update_user(UpdateUser(user.id, is_active=False))
    with pytest.raises(AccountInactive):
        await wired.identity.exchange_login_code(ExchangeLoginCode(code))


async def test_a_password_less_account_gets_a_password_through_reset(
    wired: Services, google: FakeIdentityProvider
) -> None:
    ann = person(email="ann@example.com")
    user_id = await user_of(wired, await sign_in(wired, google, ann))
    with pytest.raises(InvalidCredentials):
        await wired.identity.login(Login("ann@example.com", PASSWORD))
    with pytest.raises(LastLoginMethod):
        await wired.identity.unlink(Unlink(UUID(user_id), "google"))
    await wired.identity.forgot_password(ForgotPassword("ann@example.com"))
    code = await reset_code(wired, "ann@example.com")
    await wired.identity.reset_password(ResetPassword("ann@example.com", code, PASSWORD))
    assert (await wired.identity.login(Login("ann@example.com", PASSWORD))).access_token
    await wired.identity.unlink(Unlink(UUID(user_id), "google"))
    assert not await wired.identity.linked_identities(UUID(user_id))


async def test_an_identity_of_another_provider_keeps_the_account_reachable(wired: Services) -> None:
    google, github = wired.identity.provider("google"), wired.identity.provider("github")
    assert isinstance(google, FakeIdentityProvider)
    assert isinstance(github, FakeIdentityProvider)
    user_id = await user_of(wired, await sign_in(wired, google, person(email="two@example.com")))
    assert await user_of(wired, await sign_in(wired, github, person(email="two@example.com"))) == user_id
    uid = UUID(user_id)
    await wired.identity.unlink(Unlink(uid, "google"))
    with pytest.raises(LastLoginMethod):
        await wired.identity.unlink(Unlink(uid, "github"))
    with pytest.raises(NotFound):
        await wired.identity.unlink(Unlink(uid, "google"))


async def test_registering_after_a_provider_sign_in_finds_the_email_taken(
    wired: Services, google: FakeIdentityProvider
) -> None:
    await sign_in(wired, google, person(email="taken@example.com"))
    with pytest.raises(EmailTaken):
        await wired.identity.register(Register("taken@example.com", "someone", PASSWORD))


async def test_signing_in_to_an_unproven_account_ends_its_registrants_access(
    wired: Services, google: FakeIdentityProvider, clock: FakeClock
) -> None:
    registered = await wired.identity.register(Register("owner@example.com", "squatter", PASSWORD))
    early = await wired.identity.login(Login("owner@example.com", PASSWORD))
    clock.advance(seconds=1)
    signed_in = await sign_in(wired, google, person(email="owner@example.com"))
    assert await user_of(wired, signed_in) == str(registered.id)  # the new session works at the same instant
    assert await wired.identity.authenticate(early.access_token) is None
    with pytest.raises(InvalidCredentials):
        await wired.identity.login(Login("owner@example.com", PASSWORD))
    user = await wired.identity.get_user(registered.id)
    assert user.is_verified
    assert not user.has_password
