"""HTTP helpers for end-to-end tests."""

from __future__ import annotations

import itertools
from typing import Any

from litestar.testing import AsyncTestClient

PASSWORD = "a-long-enough-passphrase"
API = "/api/v1"
_counter = itertools.count()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def register(
    client: AsyncTestClient[Any], *, name: str | None = None, password: str = PASSWORD
) -> dict[str, Any]:
    name = name or f"reader{next(_counter)}"
    response = await client.post(
        f"{API}/auth/register", json={"email": f"{name}@example.com", "username": name, "password": password}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def login(client: AsyncTestClient[Any], email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = await client.post(f"{API}/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def signed_in(client: AsyncTestClient[Any], *, name: str | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """Registers a user and signs in; returns the user and the Authorization header."""
    user = await register(client, name=name)
    tokens = await login(client, user["email"])
    return user, bearer(tokens["access_token"])


async def session_for(client: AsyncTestClient[Any], email: str) -> dict[str, str]:
    """The Authorization header of a fresh session of an existing user (password PASSWORD)."""
    return bearer((await login(client, email))["access_token"])
