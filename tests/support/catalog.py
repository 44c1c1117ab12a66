"""Helpers for catalog tests."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from domain.identity import Role
from entrypoints.bootstrap import Services
from tests.support.builders import add_user
from tests.support.http import API, session_for


async def admin_headers(client: AsyncTestClient[Any], services: Services) -> dict[str, str]:
    admin = await add_user(services, role=Role.ADMIN)
    return await session_for(client, admin.email)


async def user_headers(client: AsyncTestClient[Any], services: Services) -> dict[str, str]:
    user = await add_user(services)
    return await session_for(client, user.email)


async def create_book(client: AsyncTestClient[Any], headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {"title": "Untitled", "author": "Anonymous", "price": "10.00"} | fields
    response = await client.post(f"{API}/books", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def list_books(client: AsyncTestClient[Any], **params: Any) -> dict[str, Any]:
    response = await client.get(f"{API}/books", params=params)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def titles(page: dict[str, Any]) -> list[str]:
    return [item["title"] for item in page["items"]]
