"""Sign in with Google, against a real OpenID Connect provider on loopback (oidc-provider-mock)."""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient

from domain.identity import Role
from entrypoints.bootstrap import Services
from tests.support.builders import add_user
from tests.support.http import API, PASSWORD, bearer, register
from tests.support.oauth import (
    CLIENT_PAGE,
    authorize,
    callback,
    login_code,
    oauth_app,
    provider_settings,
    query_of,
)
from tests.support.oauth_servers import (
    CLIENT_ID,
    approve_at_mock,
    deny_at_mock,
    mock_oidc_provider,
    s256,
    set_mock_user,
)
from tests.support.processes import free_port

Client = AsyncTestClient[Any]


@pytest.fixture
def issuer() -> Iterator[str]:
    with mock_oidc_provider(require_nonce=True) as url:
        yield url


@pytest.fixture
async def app(tmp_path: Path, db_url: str, issuer: str) -> AsyncIterator[tuple[Services, Client]]:
    async with oauth_app(tmp_path, db_url, **provider_settings(google=issuer)) as wired:
        yield wired


def person(issuer: str, *, verified: bool = True, email: str | None = None, **claims: Any) -> tuple[str, str]:
    """A person known to the provider: (sub, email)."""
    sub = f"google-{secrets.token_hex(6)}"
    email = email or f"{sub}@gmail.example"
    set_mock_user(issuer, sub, email=email, email_verified=verified, **claims)
    return sub, email


async def sign_in(client: Client, issuer: str, sub: str, **params: str) -> httpx.Response:
    return await callback(client, approve_at_mock(await authorize(client, "google", **params), sub))


async def me(client: Client, tokens: dict[str, Any]) -> dict[str, Any]:
    response = await client.get(f"{API}/users/me", headers=bearer(tokens["access_token"]))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_only_configured_providers_are_offered(app: tuple[Services, Client]) -> None:
    _, client = app
    listed = await client.get(f"{API}/auth/oauth/providers")
    assert listed.json() == [{"name": "google", "display_name": "Google"}]
    for path in ("github/authorize", "github/callback?code=x&state=y", "twitter/authorize"):
        response = await client.get(f"{API}/auth/oauth/{path}")
        assert response.status_code == 404, path
        assert response.json()["type"] == "/problems/not-found"


async def test_authorize_sends_state_pkce_s256_and_nonce(app: tuple[Services, Client], issuer: str) -> None:
    _, client = app
    query = query_of(await authorize(client, "google"))
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == "http://folio.test/api/v1/auth/oauth/google/callback"
    assert query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43  # base64url of a SHA-256 digest, never the verifier itself
    assert set(query["scope"].split()) >= {"openid", "email"}
    assert len(query["state"]) >= 32
    assert len(query["nonce"]) >= 32
    second = query_of(await authorize(client, "google"))
    assert (second["state"], second["nonce"], second["code_challenge"]) != (
        query["state"],
        query["nonce"],
        query["code_challenge"],
    )
    assert s256("x") != query["code_challenge"]


async def test_a_new_person_gets_a_verified_account_without_a_password(
    app: tuple[Services, Client], issuer: str
) -> None:
    _, client = app
    sub, email = person(issuer, name="Ann Reader", preferred_username="ann.reader")
    response = await sign_in(client, issuer, sub)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    tokens = response.json()
    assert tokens["token_type"] == "bearer"
    user = await me(client, tokens)
    assert (user["email"], user["username"], user["full_name"]) == (email, "ann.reader", "Ann Reader")
    assert (user["role"], user["is_verified"], user["is_active"]) == ("USER", True, True)
    listed = await client.get(f"{API}/users/me/identities", headers=bearer(tokens["access_token"]))
    assert [(i["provider"], i["email"]) for i in listed.json()] == [("google", email)]
    # The account has no password: a password login fails exactly like a wrong password.
    for password in ("", PASSWORD, "None"):
        failed = await client.post(f"{API}/auth/login", json={"email": email, "password": password})
        assert failed.status_code == 401
        assert failed.json()["type"] == "/problems/invalid-credentials"
    # Signing in again lands in the same account, and its refresh token rotates like any other.
    again = await sign_in(client, issuer, sub)
    assert (await me(client, again.json()))["id"] == user["id"]
    refreshed = await client.post(f"{API}/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200


async def test_a_verified_email_links_the_existing_account(app: tuple[Services, Client], issuer: str) -> None:
    _, client = app
    existing = await register(client)
    assert existing["is_verified"] is False
    sub, _ = person(issuer, email=existing["email"].upper())
    response = await sign_in(client, issuer, sub)
    assert response.status_code == 200, response.text
    user = await me(client, response.json())
    assert user["id"] == existing["id"]
    assert user["is_verified"] is True  # the provider proved the address
    listed = await client.get(f"{API}/users/me/identities", headers=bearer(response.json()["access_token"]))
    assert [i["provider"] for i in listed.json()] == ["google"]


async def test_linking_an_unproven_account_drops_the_password_its_registrant_set(
    app: tuple[Services, Client], issuer: str
) -> None:
    """Pre-account takeover: someone registered the address before its owner signed in with Google."""
    _, client = app
    squatter = await register(client)
    early = await client.post(f"{API}/auth/login", json={"email": squatter["email"], "password": PASSWORD})
    sub, _ = person(issuer, email=squatter["email"])
    assert (await sign_in(client, issuer, sub)).status_code == 200
    late = await client.post(f"{API}/auth/login", json={"email": squatter["email"], "password": PASSWORD})
    assert late.status_code == 401
    assert (await client.get(f"{API}/users/me", headers=bearer(early.json()["access_token"]))).status_code == 401
    refresh = await client.post(f"{API}/auth/refresh", json={"refresh_token": early.json()["refresh_token"]})
    assert refresh.status_code == 401


async def test_linking_a_verified_account_keeps_its_password(app: tuple[Services, Client], issuer: str) -> None:
    services, client = app
    owner = await add_user(services, "owner", verified=True)
    sub, _ = person(issuer, email=owner.email)
    response = await sign_in(client, issuer, sub)
    assert (await me(client, response.json()))["id"] == str(owner.id)
    password_login = await client.post(f"{API}/auth/login", json={"email": owner.email, "password": PASSWORD})
    assert password_login.status_code == 200


async def test_an_unverified_email_is_refused(app: tuple[Services, Client], issuer: str) -> None:
    services, client = app
    existing = await register(client)
    for verified, email in ((False, existing["email"]), (False, None)):
        sub, _ = person(issuer, verified=verified, email=email)
        response = await sign_in(client, issuer, sub)
        assert response.status_code == 403, response.text
        assert response.json()["type"] == "/problems/email-not-verified"
    async with services.uow(read_only=True) as uow:
        assert not await uow.identities.of_user(existing["id"])
        _, total = await uow.users.search(q=None, role=None, is_active=None, limit=10, offset=0)
    assert total == 1


async def test_a_state_works_once_and_only_from_the_browser_that_started_it(
    app: tuple[Services, Client], issuer: str
) -> None:
    services, client = app
    sub, _ = person(issuer)
    back = approve_at_mock(await authorize(client, "google"), sub)
    # Another browser (without the binding cookie) cannot finish a flow it did not start.
    other_back = approve_at_mock(await authorize(client, "google"), sub)
    jar, client.cookies = client.cookies, httpx.Cookies()
    try:
        stolen = await callback(client, other_back)
    finally:
        client.cookies = jar
    assert stolen.status_code == 400
    assert stolen.json()["type"] == "/problems/invalid-code"
    assert (await callback(client, back)).status_code == 200
    replayed = await callback(client, back)
    assert replayed.status_code == 400
    assert replayed.json()["type"] == "/problems/invalid-code"
    for query in ("code=x&state=unknown", "code=x", "state=", ""):
        response = await client.get(f"{API}/auth/oauth/google/callback?{query}")
        assert response.status_code == 400, query
        assert response.json()["type"] == "/problems/invalid-code"
    assert services is not None


async def test_a_denied_sign_in_is_invalid_code_and_spends_the_state(app: tuple[Services, Client], issuer: str) -> None:
    _, client = app
    back = deny_at_mock(await authorize(client, "google"))
    assert query_of(back)["error"] == "access_denied"
    response = await callback(client, back)
    assert response.status_code == 400
    assert response.json()["type"] == "/problems/invalid-code"
    state = query_of(back)["state"]
    again = await client.get(f"{API}/auth/oauth/google/callback?code=x&state={state}")
    assert again.status_code == 400


async def test_an_id_token_with_another_flows_nonce_is_refused(app: tuple[Services, Client], issuer: str) -> None:
    _, client = app
    sub, _ = person(issuer)
    first = query_of(await authorize(client, "google"))
    second = await authorize(client, "google")
    # The provider signs in for the second flow (its nonce) but the browser returns with the first's state.
    back = approve_at_mock(second, sub, state=first["state"])
    response = await callback(client, back)
    assert response.status_code == 502, response.text
    assert response.json()["type"] == "/problems/provider-error"


async def test_a_client_page_gets_a_single_use_login_code(app: tuple[Services, Client], issuer: str) -> None:
    _, client = app
    sub, _ = person(issuer)
    code = login_code(await sign_in(client, issuer, sub, redirect_uri=CLIENT_PAGE))
    exchanged = await client.post(f"{API}/auth/oauth/exchange", json={"login_code": code})
    assert exchanged.status_code == 200, exchanged.text
    tokens = exchanged.json()
    await me(client, tokens)
    spent = await client.post(f"{API}/auth/oauth/exchange", json={"login_code": code})
    assert spent.status_code == 400
    assert spent.json()["type"] == "/problems/invalid-code"
    # Folio's own tokens: logout-all revokes them like a password session's.
    assert (await client.post(f"{API}/auth/logout-all", headers=bearer(tokens["access_token"]))).status_code == 204
    assert (await client.get(f"{API}/users/me", headers=bearer(tokens["access_token"]))).status_code == 401
    refresh = await client.post(f"{API}/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 401


async def test_a_redirect_uri_must_be_on_the_allow_list(app: tuple[Services, Client]) -> None:
    _, client = app
    for uri in ("https://evil.example/signed-in", f"{CLIENT_PAGE}/", f"{CLIENT_PAGE}?x=1", ""):
        response = await client.get(f"{API}/auth/oauth/google/authorize", params={"redirect_uri": uri})
        assert response.status_code == 422, uri
        body = response.json()
        assert body["type"] == "/problems/validation"
        assert [e["field"] for e in body["errors"]] == ["redirect_uri"]


async def test_a_deactivated_account_stays_out(app: tuple[Services, Client], issuer: str) -> None:
    services, client = app
    user = await add_user(services, "sleeper", role=Role.USER)
    sub, _ = person(issuer, email=user.email)
    async with services.uow() as uow:
        stored = await uow.users.get(user.id, lock=True)
        assert stored is not None
        stored.deactivate()
        await uow.users.update(stored)
        await uow.commit()
    response = await sign_in(client, issuer, sub)
    assert response.status_code == 403
    assert response.json()["type"] == "/problems/account-inactive"


async def test_the_callback_is_rate_limited_per_address(tmp_path: Path, db_url: str, issuer: str) -> None:
    settings = provider_settings(google=issuer) | {"rate_limit_login_per_address": "2"}
    async with oauth_app(tmp_path, db_url, **settings) as (_, client):
        for _ in range(2):
            assert (await client.get(f"{API}/auth/oauth/google/callback?code=x&state=y")).status_code == 400
        limited = await client.get(f"{API}/auth/oauth/google/callback?code=x&state=y")
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1


async def test_an_unreachable_provider_is_a_prompt_502(tmp_path: Path, db_url: str) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    async with oauth_app(tmp_path, db_url, **provider_settings(google=down)) as (_, client):
        started = time.monotonic()
        response = await client.get(f"{API}/auth/oauth/google/authorize")
        assert response.status_code == 502
        assert response.json()["type"] == "/problems/provider-error"
        assert time.monotonic() - started < 5


async def test_an_expired_id_token_from_the_provider_is_refused(tmp_path: Path, db_url: str) -> None:
    with mock_oidc_provider(require_nonce=True, access_token_max_age=timedelta(seconds=-300)) as stale:
        async with oauth_app(tmp_path, db_url, **provider_settings(google=stale)) as (_, client):
            sub, _ = person(stale)
            response = await sign_in(client, stale, sub)
            assert response.status_code == 502, response.text
            assert response.json()["type"] == "/problems/provider-error"
