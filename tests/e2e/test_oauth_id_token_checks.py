"""The ID token checks, against an OpenID Connect stand-in that signs with its own JWKS (real HTTP,
real RS256): another audience, a signature by an unpublished key, an expired token and another
issuer are each a 502; a key rotation is followed; a slow issuer is a 502 within a bounded time."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from entrypoints.bootstrap import Services
from tests.support.http import API
from tests.support.oauth import authorize, callback, oauth_app, provider_settings
from tests.support.oauth_servers import OidcStandIn, follow

Client = AsyncTestClient[Any]


@pytest.fixture
def issuer() -> Iterator[OidcStandIn]:
    with OidcStandIn() as server:
        yield server


@pytest.fixture
async def app(tmp_path: Path, sqlite_url: str, issuer: OidcStandIn) -> AsyncIterator[tuple[Services, Client]]:
    async with oauth_app(tmp_path, sqlite_url, **provider_settings(google=issuer.issuer)) as wired:
        yield wired


async def sign_in(client: Client, issuer: OidcStandIn) -> Any:
    sub = secrets.token_hex(6)
    issuer.claims = {"sub": sub, "email": f"{sub}@example.com", "email_verified": True}
    return await callback(client, follow(await authorize(client, "google")))


async def test_a_good_id_token_signs_in(app: tuple[Services, Client], issuer: OidcStandIn) -> None:
    _, client = app
    response = await sign_in(client, issuer)
    assert response.status_code == 200, response.text  # the stand-in checked PKCE and the client secret


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("wrong-audience", "Invalid claim: 'aud'"),
        ("bad-signature", "BadSignatureError"),
        ("expired", "ExpiredTokenError"),
        ("wrong-issuer", "Invalid claim: 'iss'"),
    ],
)
async def test_an_id_token_failing_a_check_is_a_provider_error(
    app: tuple[Services, Client], issuer: OidcStandIn, mode: str, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    services, client = app
    issuer.mode = mode
    with caplog.at_level(logging.WARNING, logger="folio.oauth"):
        response = await sign_in(client, issuer)
    assert reason in caplog.text  # refused by that check, not by another
    assert response.status_code == 502, response.text
    assert response.json()["type"] == "/problems/provider-error"
    async with services.uow(read_only=True) as uow:
        _, total = await uow.users.search(q=None, role=None, is_active=None, limit=1, offset=0)
    assert total == 0


async def test_rotated_keys_are_fetched_again(app: tuple[Services, Client], issuer: OidcStandIn) -> None:
    _, client = app
    assert (await sign_in(client, issuer)).status_code == 200
    jwks_reads = issuer.requests.count(("GET", "/jwks"))
    assert (await sign_in(client, issuer)).status_code == 200
    assert issuer.requests.count(("GET", "/jwks")) == jwks_reads  # kept while the key is known
    issuer.rotate_keys()
    assert (await sign_in(client, issuer)).status_code == 200
    assert issuer.requests.count(("GET", "/jwks")) == jwks_reads + 1
    assert issuer.requests.count(("GET", "/.well-known/openid-configuration")) == 1  # discovery is cached


async def test_a_code_the_issuer_refuses_is_a_provider_error(app: tuple[Services, Client], issuer: OidcStandIn) -> None:
    _, client = app
    back = follow(await authorize(client, "google"))
    code = back.split("code=")[1].split("&")[0]
    forged = back.replace(f"code={code}", "code=forged")
    response = await callback(client, forged)
    assert response.status_code == 502
    assert response.json()["type"] == "/problems/provider-error"


async def test_a_slow_issuer_is_a_502_within_a_bounded_time(app: tuple[Services, Client], issuer: OidcStandIn) -> None:
    _, client = app
    back = follow(await authorize(client, "google"))
    issuer.delay = 10.0  # the app gives each step 2 s (FOLIO_OAUTH_TIMEOUT) and a sign-in 4 s in all
    started = time.monotonic()
    response = await callback(client, back)
    elapsed = time.monotonic() - started
    issuer.delay = 0.0
    assert response.status_code == 502
    assert response.json()["type"] == "/problems/provider-error"
    assert elapsed < 6, elapsed


async def test_the_callback_accepts_only_its_own_providers_flows(tmp_path: Path, sqlite_url: str) -> None:
    with OidcStandIn() as google:
        async with oauth_app(tmp_path, sqlite_url, **provider_settings(google=google.issuer, github=google.url)) as (
            _,
            client,
        ):
            back = follow(await authorize(client, "google"))
            response = await callback(client, back.replace("/google/", "/github/"))
            assert response.status_code == 400
            assert response.json()["type"] == "/problems/invalid-code"
            assert (await client.get(f"{API}/auth/oauth/providers")).json() == [
                {"name": "google", "display_name": "Google"},
                {"name": "github", "display_name": "GitHub"},
            ]
