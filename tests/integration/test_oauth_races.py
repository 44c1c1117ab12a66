"""Concurrent provider sign-ins on the real databases: one account per person, unique usernames."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from adapters.memory.identity_providers import FakeIdentityProvider
from application.identity.admin import ListUsers
from application.identity.oauth import FinishSignIn, StartSignIn
from domain.linked_identities import ExternalIdentity
from entrypoints.bootstrap import Services, bootstrap
from tests.support.settings import make_settings


@pytest.fixture
async def wired(db_url: str, tmp_path: Path) -> AsyncIterator[tuple[Services, FakeIdentityProvider]]:
    google = FakeIdentityProvider()
    services = bootstrap(make_settings(tmp_path / "var", database_url=db_url), identity_providers={"google": google})
    yield services, google
    await services.aclose()


async def _sign_in(services: Services, google: FakeIdentityProvider, identity: ExternalIdentity) -> str:
    started = await services.identity.start_sign_in(StartSignIn("google"))
    state = parse_qs(urlparse(started.authorization_url).query)["state"][0]
    code = google.approve(state, identity)
    signed_in = await services.identity.finish_sign_in(
        FinishSignIn("google", state, code, browser_binding=started.browser_binding)
    )
    assert signed_in.tokens is not None
    principal = await services.identity.authenticate(signed_in.tokens.access_token)
    assert principal is not None
    return str(principal.user_id)


async def test_one_person_signing_in_twice_at_once_gets_one_account(
    wired: tuple[Services, FakeIdentityProvider],
) -> None:
    services, google = wired
    ann = ExternalIdentity("google", "sub-ann", "ann@example.com", True, "ann")
    ids = await asyncio.gather(*(_sign_in(services, google, ann) for _ in range(4)))
    assert len(set(ids)) == 1
    users, total = await services.identity.list_users(ListUsers())
    assert total == 1
    links = await services.identity.linked_identities(users[0].id)
    assert [(link.provider, link.subject) for link in links] == [("google", "sub-ann")]


async def test_people_with_one_username_signing_in_at_once_get_distinct_ones(
    wired: tuple[Services, FakeIdentityProvider],
) -> None:
    services, google = wired
    people = [ExternalIdentity("google", f"sub-{n}", f"sam{n}@example.com", True, "sam") for n in range(4)]
    await asyncio.gather(*(_sign_in(services, google, person) for person in people))
    users, total = await services.identity.list_users(ListUsers())
    assert total == 4
    assert sorted(user.username for user in users) == ["sam", "sam2", "sam3", "sam4"]
