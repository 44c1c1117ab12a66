from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from tests.e2e.test_conventions import assert_problem
from tests.support.http import API, PASSWORD, bearer, login, register

Client = AsyncTestClient[Any]


async def test_register_login_and_read_me(client: Client) -> None:
    user = await register(client, name="ada")
    assert user["email"] == "ada@example.com"
    assert user["role"] == "USER"
    assert user["is_verified"] is False
    assert "password" not in str(user)
    tokens = await login(client, "ADA@example.com")
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 900
    me = await client.get(f"{API}/users/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200
    assert me.json()["id"] == user["id"]


async def test_role_in_the_register_body_is_ignored(client: Client) -> None:
    response = await client.post(
        f"{API}/auth/register",
        json={"email": "eve@example.com", "username": "eve", "password": PASSWORD, "role": "ADMIN"},
    )
    assert response.status_code == 201
    assert response.json()["role"] == "USER"


async def test_duplicate_email_and_username_conflict(client: Client) -> None:
    await register(client, name="ada")
    same_email = {"email": "Ada@example.com", "username": "other", "password": PASSWORD}
    assert_problem(await client.post(f"{API}/auth/register", json=same_email), 409, "email-taken")
    same_name = {"email": "other@example.com", "username": "ADA", "password": PASSWORD}
    assert_problem(await client.post(f"{API}/auth/register", json=same_name), 409, "username-taken")


async def test_weak_password_is_refused(client: Client) -> None:
    body = {"email": "bob@example.com", "username": "bob", "password": "password123"}
    assert_problem(await client.post(f"{API}/auth/register", json=body), 422, "weak-password")


async def test_oauth2_password_form_gives_tokens(client: Client) -> None:
    await register(client, name="ada")
    response = await client.post(f"{API}/auth/token", data={"username": "ada@example.com", "password": PASSWORD})
    assert response.status_code == 200, response.text
    assert response.json()["access_token"]


async def test_bad_credentials_are_one_401(client: Client) -> None:
    await register(client, name="ada")
    wrong = await client.post(f"{API}/auth/login", json={"email": "ada@example.com", "password": "wrong-password!"})
    unknown = await client.post(f"{API}/auth/login", json={"email": "zed@example.com", "password": PASSWORD})
    assert assert_problem(wrong, 401, "invalid-credentials") == assert_problem(unknown, 401, "invalid-credentials")
    assert wrong.headers["www-authenticate"] == "Bearer"


async def test_missing_or_forged_token_is_401(client: Client) -> None:
    assert_problem(await client.get(f"{API}/users/me"), 401, "unauthorized")
    forged = await client.get(f"{API}/users/me", headers=bearer("eyJhbGciOiJub25lIn0.e30."))
    assert_problem(forged, 401, "unauthorized")
    assert forged.headers["www-authenticate"] == "Bearer"
