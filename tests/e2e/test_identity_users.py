"""Users and Admin end to end: profile, erasure, user management, last-admin protection."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from litestar.testing import AsyncTestClient
from sqlalchemy import insert, select

from adapters.sql.tables import orders
from adapters.sql.uow import SqlUnitOfWork
from entrypoints.bootstrap import Services
from tests.e2e.test_conventions import assert_problem
from tests.support.http import API, PASSWORD, bearer, login, register, signed_in
from tests.support.identity import admin_session

Client = AsyncTestClient[Any]
ADMIN = f"{API}/admin/users"


async def test_patch_me_changes_username_and_full_name(client: Client) -> None:
    _, auth = await signed_in(client, name="ada")
    response = await client.patch(f"{API}/users/me", json={"full_name": "Ada Lovelace"}, headers=auth)
    assert response.status_code == 200, response.text
    assert (response.json()["username"], response.json()["full_name"]) == ("ada", "Ada Lovelace")
    renamed = await client.patch(f"{API}/users/me", json={"username": "countess", "role": "ADMIN"}, headers=auth)
    assert renamed.json()["username"] == "countess"
    assert renamed.json()["role"] == "USER"
    assert renamed.json()["full_name"] == "Ada Lovelace"
    cleared = await client.patch(f"{API}/users/me", json={"full_name": None}, headers=auth)
    assert cleared.json()["full_name"] is None
    await register(client, name="bob")
    assert_problem(await client.patch(f"{API}/users/me", json={"username": "Bob"}, headers=auth), 409, "username-taken")
    too_long = {"full_name": "x" * 201}
    assert_problem(await client.patch(f"{API}/users/me", json=too_long, headers=auth), 422, "validation")
    assert_problem(await client.patch(f"{API}/users/me", json={"username": "a b"}, headers=auth), 422, "validation")
    assert_problem(await client.patch(f"{API}/users/me", json={"full_name": "x"}), 401, "unauthorized")


async def _add_order(services: Services, user_id: str) -> UUID:
    order_id = uuid4()
    async with services.uow() as uow:
        assert isinstance(uow, SqlUnitOfWork)
        values = {"id": order_id, "user_id": UUID(user_id), "status": "PAID", "total": Decimal("12.50")}
        values |= {"currency": "USD", "created_at": datetime.now(UTC)}
        await uow.connection.execute(insert(orders).values(values))
        await uow.commit()
    return order_id


async def test_delete_me_erases_the_account_and_keeps_orders_without_it(client: Client, services: Services) -> None:
    user, auth = await signed_in(client)
    order_id = await _add_order(services, user["id"])
    wrong = await client.request("DELETE", f"{API}/users/me", json={"password": "not-the-password"}, headers=auth)
    assert_problem(wrong, 401, "invalid-credentials")
    response = await client.request("DELETE", f"{API}/users/me", json={"password": PASSWORD}, headers=auth)
    assert response.status_code == 204, response.text
    assert (await client.get(f"{API}/users/me", headers=auth)).status_code == 401
    gone = await client.post(f"{API}/auth/login", json={"email": user["email"], "password": PASSWORD})
    assert_problem(gone, 401, "invalid-credentials")
    async with services.uow(read_only=True) as uow:
        assert isinstance(uow, SqlUnitOfWork)
        row = (await uow.connection.execute(select(orders.c.user_id).where(orders.c.id == order_id))).one()
    assert row.user_id is None


async def test_admin_endpoints_need_an_admin(client: Client, services: Services) -> None:
    _, auth = await signed_in(client)
    assert_problem(await client.get(ADMIN), 401, "unauthorized")
    assert_problem(await client.get(ADMIN, headers=auth), 403, "forbidden")
    assert_problem(await client.post(f"{ADMIN}/{uuid4()}/deactivate", headers=auth), 403, "forbidden")
    assert_problem(await client.delete(f"{ADMIN}/{uuid4()}", headers=auth), 403, "forbidden")


async def test_admin_lists_and_filters_users_literally(client: Client, services: Services) -> None:
    _, auth = await admin_session(client, services)
    for name in ("a_b", "axb", "carol"):
        await register(client, name=name)
    page = (await client.get(ADMIN, params={"q": "a_b"}, headers=auth)).json()
    assert [u["username"] for u in page["items"]] == ["a_b"]
    assert (await client.get(ADMIN, params={"q": "%"}, headers=auth)).json()["total"] == 0
    admins = (await client.get(ADMIN, params={"role": "ADMIN"}, headers=auth)).json()
    assert [u["username"] for u in admins["items"]] == ["root"]
    paged = (await client.get(ADMIN, params={"limit": 2, "offset": 1}, headers=auth)).json()
    assert (paged["total"], paged["limit"], paged["offset"], len(paged["items"])) == (4, 2, 1, 2)
    inactive = (await client.get(ADMIN, params={"is_active": "false"}, headers=auth)).json()
    assert inactive["total"] == 0
    assert_problem(await client.get(ADMIN, params={"role": "KING"}, headers=auth), 422, "validation")
    assert_problem(await client.get(ADMIN, params={"limit": 101}, headers=auth), 422, "validation")


async def test_admin_creates_reads_updates_and_deletes_users(client: Client, services: Services) -> None:
    _, auth = await admin_session(client, services)
    body = {"email": "Mod@Example.com", "username": "mod", "password": PASSWORD, "role": "MODERATOR"}
    created = await client.post(ADMIN, json=body, headers=auth)
    assert created.status_code == 201, created.text
    user = created.json()
    assert (user["email"], user["role"], user["is_verified"]) == ("mod@example.com", "MODERATOR", True)
    assert_problem(await client.post(ADMIN, json=body, headers=auth), 409, "email-taken")
    weak = {**body, "email": "w@example.com", "username": "weakling", "password": "password"}
    assert_problem(await client.post(ADMIN, json=weak, headers=auth), 422, "weak-password")
    assert_problem(await client.post(ADMIN, json={**body, "role": "GOD"}, headers=auth), 422, "validation")
    url = f"{ADMIN}/{user['id']}"
    assert (await client.get(url, headers=auth)).json()["username"] == "mod"
    patched = await client.patch(url, json={"role": "USER", "full_name": "Mo D"}, headers=auth)
    assert (patched.json()["role"], patched.json()["full_name"]) == ("USER", "Mo D")
    assert (await client.delete(url, headers=auth)).status_code == 204
    assert_problem(await client.get(url, headers=auth), 404, "not-found")
    assert_problem(await client.delete(url, headers=auth), 404, "not-found")
    assert_problem(await client.patch(url, json={"role": "USER"}, headers=auth), 404, "not-found")
    assert_problem(await client.post(f"{url}/deactivate", headers=auth), 404, "not-found")
    assert_problem(await client.get(f"{ADMIN}/not-a-uuid", headers=auth), 404, "not-found")


async def test_deactivation_and_role_change_revoke_tokens_at_once(client: Client, services: Services) -> None:
    _, auth = await admin_session(client, services)
    user, user_auth = await signed_in(client)
    url = f"{ADMIN}/{user['id']}"
    deactivated = await client.post(f"{url}/deactivate", headers=auth)
    assert deactivated.status_code == 200
    assert deactivated.json()["is_active"] is False
    assert_problem(await client.get(f"{API}/users/me", headers=user_auth), 401, "unauthorized")
    refused = await client.post(f"{API}/auth/login", json={"email": user["email"], "password": PASSWORD})
    assert_problem(refused, 403, "account-inactive")
    assert (await client.post(f"{url}/reactivate", headers=auth)).json()["is_active"] is True
    assert (await client.get(f"{API}/users/me", headers=user_auth)).status_code == 401  # still revoked
    fresh = bearer((await login(client, user["email"]))["access_token"])
    await client.patch(url, json={"role": "MODERATOR"}, headers=auth)
    assert (await client.get(f"{API}/users/me", headers=fresh)).status_code == 401


async def test_the_last_active_admin_stays(client: Client, services: Services) -> None:
    admin_id, auth = await admin_session(client, services)
    url = f"{ADMIN}/{admin_id}"
    assert_problem(await client.patch(url, json={"role": "USER"}, headers=auth), 409, "last-admin")
    assert_problem(await client.patch(url, json={"is_active": False}, headers=auth), 409, "last-admin")
    assert_problem(await client.post(f"{url}/deactivate", headers=auth), 409, "last-admin")
    assert_problem(await client.delete(url, headers=auth), 409, "last-admin")
    me = await client.request("DELETE", f"{API}/users/me", json={"password": PASSWORD}, headers=auth)
    assert_problem(me, 409, "last-admin")
    assert (await client.get(url, headers=auth)).json()["role"] == "ADMIN"


async def test_the_schema_documents_every_identity_endpoint_with_its_security(client: Client) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    public = ["refresh", "verify-email", "resend-verification", "forgot-password", "reset-password"]
    for name in public:
        assert "security" not in paths[f"{API}/auth/{name}"]["post"], name
    for name in ("logout", "logout-all", "change-password"):
        assert paths[f"{API}/auth/{name}"]["post"]["security"] == [{"OAuth2Password": []}, {"BearerToken": []}], name
    for method in ("get", "patch", "delete"):
        assert "401" in paths[f"{API}/users/me"][method]["responses"]
    admin = paths[f"{API}/admin/users/{{user_id}}"]
    assert {"401", "403", "404", "409"} <= set(admin["delete"]["responses"])
    assert "429" in paths[f"{API}/auth/forgot-password"]["post"]["responses"]
    for suffix in ("deactivate", "reactivate"):
        assert f"{API}/admin/users/{{user_id}}/{suffix}" in paths
