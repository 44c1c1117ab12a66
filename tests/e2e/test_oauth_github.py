"""Sign in with GitHub, against a stand-in speaking GitHub's endpoints on loopback; linked identities."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from entrypoints.bootstrap import Services
from tests.support.http import API, PASSWORD, bearer, register, session_for
from tests.support.identity import admin_session, reset_code
from tests.support.oauth import authorize, callback, oauth_app, provider_settings, query_of
from tests.support.oauth_servers import CLIENT_ID, GitHubStandIn, follow

Client = AsyncTestClient[Any]
_ids = itertools.count(1000)


@pytest.fixture
def github() -> Iterator[GitHubStandIn]:
    with GitHubStandIn() as server:
        yield server


@pytest.fixture
async def app(tmp_path: Path, db_url: str, github: GitHubStandIn) -> AsyncIterator[tuple[Services, Client]]:
    async with oauth_app(tmp_path, db_url, **provider_settings(github=github.url)) as wired:
        yield wired


def octocat(github: GitHubStandIn, login: str, *emails: tuple[str, bool, bool]) -> int:
    """The next person GitHub signs in: (email, primary, verified) rows; returns their GitHub id."""
    user_id = next(_ids)
    github.user = {"id": user_id, "login": login, "name": f"{login.title()} Cat", "email": None}
    github.emails = [{"email": e, "primary": p, "verified": v, "visibility": None} for e, p, v in emails]
    return user_id


async def sign_in(client: Client, github: GitHubStandIn) -> Any:
    return await callback(client, follow(await authorize(client, "github")))


async def test_authorize_goes_to_github_with_pkce_and_the_callback(app: tuple[Services, Client]) -> None:
    _, client = app
    url = await authorize(client, "github")
    assert url.split("?")[0].endswith("/login/oauth/authorize")
    query = query_of(url)
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == "http://folio.test/api/v1/auth/oauth/github/callback"
    assert query["code_challenge_method"] == "S256"
    assert "user:email" in query["scope"]


async def test_only_the_primary_verified_email_counts(app: tuple[Services, Client], github: GitHubStandIn) -> None:
    _, client = app
    octocat(github, "mona", ("mona@work.example", False, True), ("mona@home.example", True, True))
    response = await sign_in(client, github)
    assert response.status_code == 200, response.text
    me = (await client.get(f"{API}/users/me", headers=bearer(response.json()["access_token"]))).json()
    assert (me["email"], me["username"], me["full_name"], me["is_verified"]) == (
        "mona@home.example",
        "mona",
        "Mona Cat",
        True,
    )
    for emails in (
        [("a@x.example", True, False), ("b@x.example", False, True)],  # primary unverified, verified not primary
        [],
    ):
        octocat(github, "nobody", *emails)
        refused = await sign_in(client, github)
        assert refused.status_code == 403, emails
        assert refused.json()["type"] == "/problems/email-not-verified"


async def test_usernames_are_made_unique(app: tuple[Services, Client], github: GitHubStandIn) -> None:
    _, client = app
    await register(client, name="octo")
    names = []
    for n in range(2):
        octocat(github, "Octo", (f"octo{n}@gh.example", True, True))
        tokens = (await sign_in(client, github)).json()
        names.append((await client.get(f"{API}/users/me", headers=bearer(tokens["access_token"]))).json()["username"])
    assert names == ["Octo2", "Octo3"]


async def test_a_refused_code_is_a_provider_error(app: tuple[Services, Client], github: GitHubStandIn) -> None:
    _, client = app
    octocat(github, "late", ("late@gh.example", True, True))
    github.refuse_codes = True
    response = await sign_in(client, github)
    assert response.status_code == 502
    assert response.json()["type"] == "/problems/provider-error"


async def test_the_last_login_method_stays_until_a_password_is_set(
    app: tuple[Services, Client], github: GitHubStandIn
) -> None:
    services, client = app
    octocat(github, "solo", ("solo@gh.example", True, True))
    auth = bearer((await sign_in(client, github)).json()["access_token"])
    listed = await client.get(f"{API}/users/me/identities", headers=auth)
    assert [(i["provider"], i["email"]) for i in listed.json()] == [("github", "solo@gh.example")]
    assert listed.json()[0]["linked_at"]
    refused = await client.delete(f"{API}/users/me/identities/github", headers=auth)
    assert refused.status_code == 409
    assert refused.json()["type"] == "/problems/last-login-method"
    assert (await client.delete(f"{API}/users/me/identities/google", headers=auth)).status_code == 404
    # forgot/reset-password gives the account a password; then the link may go.
    assert (await client.post(f"{API}/auth/forgot-password", json={"email": "solo@gh.example"})).status_code == 202
    code = await reset_code(services, "solo@gh.example")
    reset = {"email": "solo@gh.example", "code": code, "new_password": PASSWORD}
    assert (await client.post(f"{API}/auth/reset-password", json=reset)).status_code == 204
    auth = await session_for(client, "solo@gh.example")
    assert (await client.delete(f"{API}/users/me/identities/github", headers=auth)).status_code == 204
    assert (await client.get(f"{API}/users/me/identities", headers=auth)).json() == []


async def test_erasing_the_account_removes_its_links(app: tuple[Services, Client], github: GitHubStandIn) -> None:
    services, client = app
    github_id = octocat(github, "gone", ("gone@gh.example", True, True))
    first = await client.get(f"{API}/users/me", headers=bearer((await sign_in(client, github)).json()["access_token"]))
    user_id = first.json()["id"]
    _, admin = await admin_session(client, services)
    assert (await client.delete(f"{API}/admin/users/{user_id}", headers=admin)).status_code == 204
    async with services.uow(read_only=True) as uow:
        assert await uow.identities.get("github", str(github_id)) is None
    # The same GitHub person signing in again gets a new account.
    again = await sign_in(client, github)
    assert again.status_code == 200
    me = (await client.get(f"{API}/users/me", headers=bearer(again.json()["access_token"]))).json()
    assert me["id"] != user_id
    assert me["email"] == "gone@gh.example"


async def test_a_deactivated_linked_account_stays_out(app: tuple[Services, Client], github: GitHubStandIn) -> None:
    services, client = app
    octocat(github, "paused", ("paused@gh.example", True, True))
    user_id = (
        await client.get(f"{API}/users/me", headers=bearer((await sign_in(client, github)).json()["access_token"]))
    ).json()["id"]
    _, admin = await admin_session(client, services)
    assert (await client.post(f"{API}/admin/users/{user_id}/deactivate", headers=admin)).status_code == 200
    response = await sign_in(client, github)
    assert response.status_code == 403
    assert response.json()["type"] == "/problems/account-inactive"
