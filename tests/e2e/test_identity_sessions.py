"""Auth end to end: refresh, logout, logout-all, password change, verification, recovery, limits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

from litestar.testing import AsyncTestClient

from adapters.security.jwt import JwtAccessTokens
from application.ports.security import AccessClaims
from domain.identity import Role
from entrypoints.bootstrap import Services
from tests.e2e.test_conventions import assert_problem
from tests.support.http import API, PASSWORD, bearer, login, register
from tests.support.identity import reset_code, verification_token

Client = AsyncTestClient[Any]
NEW = "another-long-passphrase"


async def _me(client: Client, access: str) -> int:
    return (await client.get(f"{API}/users/me", headers=bearer(access))).status_code


async def test_refresh_rotates_and_a_spent_token_revokes_the_session(client: Client) -> None:
    user = await register(client)
    first = await login(client, user["email"])
    response = await client.post(f"{API}/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert response.status_code == 200, response.text
    second = response.json()
    assert second["token_type"] == "bearer"
    assert second["refresh_token"] != first["refresh_token"]
    assert await _me(client, second["access_token"]) == 200
    reused = await client.post(f"{API}/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert_problem(reused, 401, "token-reused")
    assert reused.headers["www-authenticate"] == "Bearer"
    assert await _me(client, second["access_token"]) == 401
    after = await client.post(f"{API}/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert_problem(after, 401, "unauthorized")


async def test_refresh_refuses_unknown_tokens_and_bad_bodies(client: Client) -> None:
    assert_problem(await client.post(f"{API}/auth/refresh", json={"refresh_token": "nope"}), 401, "unauthorized")
    assert_problem(await client.post(f"{API}/auth/refresh", json={}), 422, "validation")
    too_long = {"refresh_token": "x" * 10_000}
    assert_problem(await client.post(f"{API}/auth/refresh", json=too_long), 422, "validation")


async def test_logout_rejects_this_access_token_and_its_refresh_tokens(client: Client) -> None:
    user = await register(client)
    mine, other = await login(client, user["email"]), await login(client, user["email"])
    response = await client.post(f"{API}/auth/logout", headers=bearer(mine["access_token"]))
    assert response.status_code == 204, response.text
    assert await _me(client, mine["access_token"]) == 401
    refused = await client.post(f"{API}/auth/refresh", json={"refresh_token": mine["refresh_token"]})
    assert_problem(refused, 401, "unauthorized")
    assert await _me(client, other["access_token"]) == 200
    with_body = await client.post(
        f"{API}/auth/logout", json={"refresh_token": other["refresh_token"]}, headers=bearer(other["access_token"])
    )
    assert with_body.status_code == 204
    assert_problem(await client.post(f"{API}/auth/logout"), 401, "unauthorized")


async def test_logout_all_rejects_every_session(client: Client) -> None:
    user = await register(client)
    sessions = [await login(client, user["email"]) for _ in range(3)]
    response = await client.post(f"{API}/auth/logout-all", headers=bearer(sessions[1]["access_token"]))
    assert response.status_code == 204
    for tokens in sessions:
        assert await _me(client, tokens["access_token"]) == 401
        refused = await client.post(f"{API}/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert refused.status_code == 401
    assert await _me(client, (await login(client, user["email"]))["access_token"]) == 200
    assert_problem(await client.post(f"{API}/auth/logout-all"), 401, "unauthorized")


async def test_change_password(client: Client) -> None:
    user = await register(client)
    mine, other = await login(client, user["email"]), await login(client, user["email"])
    url, auth = f"{API}/auth/change-password", bearer(mine["access_token"])
    wrong = await client.post(url, json={"current_password": "not-it-at-all", "new_password": NEW}, headers=auth)
    assert_problem(wrong, 401, "invalid-credentials")
    weak = await client.post(url, json={"current_password": PASSWORD, "new_password": "password"}, headers=auth)
    assert_problem(weak, 422, "weak-password")
    response = await client.post(url, json={"current_password": PASSWORD, "new_password": NEW}, headers=auth)
    assert response.status_code == 200, response.text
    fresh = response.json()
    assert await _me(client, fresh["access_token"]) == 200
    assert await _me(client, other["access_token"]) == 401
    assert await _me(client, mine["access_token"]) == 401
    await login(client, user["email"], NEW)
    assert_problem(
        await client.post(url, json={"current_password": PASSWORD, "new_password": NEW}), 401, "unauthorized"
    )


async def test_verify_email_with_the_mailed_link(client: Client, services: Services) -> None:
    user = await register(client)
    token = await verification_token(services, user["email"])
    response = await client.post(f"{API}/auth/verify-email", json={"token": token})
    assert response.status_code == 200, response.text
    assert response.json()["is_verified"] is True
    assert_problem(await client.post(f"{API}/auth/verify-email", json={"token": token}), 400, "invalid-code")
    assert_problem(await client.post(f"{API}/auth/verify-email", json={"token": "forged"}), 400, "invalid-code")
    assert_problem(await client.post(f"{API}/auth/verify-email", json={}), 422, "validation")


async def test_resend_verification_is_202_for_known_and_unknown_addresses(client: Client, services: Services) -> None:
    user = await register(client)
    for email in (user["email"], "nobody@example.com"):
        response = await client.post(f"{API}/auth/resend-verification", json={"email": email})
        assert response.status_code == 202
    newest = await verification_token(services, user["email"])
    assert (await client.post(f"{API}/auth/verify-email", json={"token": newest})).status_code == 200
    assert_problem(await client.post(f"{API}/auth/resend-verification", json={"email": 3}), 422, "validation")


async def test_forgot_and_reset_password(client: Client, services: Services) -> None:
    user = await register(client)
    session = await login(client, user["email"])
    for email in (user["email"], "nobody@example.com"):
        assert (await client.post(f"{API}/auth/forgot-password", json={"email": email})).status_code == 202
    code = await reset_code(services, user["email"])
    wrong_code = f"{(int(code) + 1) % 1_000_000:06d}"
    url = f"{API}/auth/reset-password"
    wrong = await client.post(url, json={"email": user["email"], "code": wrong_code, "new_password": NEW})
    assert_problem(wrong, 400, "invalid-code")
    weak = await client.post(url, json={"email": user["email"], "code": code, "new_password": "short"})
    assert_problem(weak, 422, "weak-password")
    response = await client.post(url, json={"email": user["email"], "code": code, "new_password": NEW})
    assert response.status_code == 204, response.text
    assert await _me(client, session["access_token"]) == 401
    await login(client, user["email"], NEW)
    again = await client.post(url, json={"email": user["email"], "code": code, "new_password": PASSWORD + "!"})
    assert_problem(again, 400, "invalid-code")


async def test_five_wrong_codes_burn_it(client: Client, services: Services) -> None:
    user = await register(client)
    await client.post(f"{API}/auth/forgot-password", json={"email": user["email"]})
    code = await reset_code(services, user["email"])
    url = f"{API}/auth/reset-password"
    for _ in range(5):
        wrong = await client.post(url, json={"email": user["email"], "code": "999999x", "new_password": NEW})
        assert_problem(wrong, 400, "invalid-code")
    burnt = await client.post(url, json={"email": user["email"], "code": code, "new_password": NEW})
    assert_problem(burnt, 400, "invalid-code")


async def test_rate_limits_answer_429_with_retry_after(client: Client) -> None:
    user = await register(client)
    for _ in range(10):
        await client.post(f"{API}/auth/login", json={"email": user["email"], "password": "not-the-password"})
    limited = await client.post(f"{API}/auth/login", json={"email": user["email"], "password": PASSWORD})
    assert_problem(limited, 429, "rate-limited")
    assert 0 < int(limited.headers["retry-after"]) <= 60
    for _ in range(5):
        assert (await client.post(f"{API}/auth/forgot-password", json={"email": "x@example.com"})).status_code == 202
    forgot = await client.post(f"{API}/auth/forgot-password", json={"email": "x@example.com"})
    assert_problem(forgot, 429, "rate-limited")
    assert int(forgot.headers["retry-after"]) > 3000
    body = {"email": "x@example.com", "code": "123456", "new_password": NEW}
    for _ in range(20):
        assert (await client.post(f"{API}/auth/reset-password", json=body)).status_code == 400
    reset = await client.post(f"{API}/auth/reset-password", json=body)
    assert_problem(reset, 429, "rate-limited")
    assert "retry-after" in reset.headers


async def test_tokens_signed_with_another_key_or_expired_are_refused(client: Client, services: Services) -> None:
    user = await register(client)
    principal = await services.identity.authenticate((await login(client, user["email"]))["access_token"])
    assert principal is not None
    now = services.clock.now()
    claims = AccessClaims(
        principal.user_id, Role.USER, uuid4().hex, principal.session_id, now, now + timedelta(minutes=5)
    )
    other_key = JwtAccessTokens("another-secret-that-is-long-enough-0123456789", services.clock).issue(claims)
    assert await _me(client, other_key) == 401
    past = now - timedelta(hours=1)
    expired = services.credentials.access_tokens.issue(
        AccessClaims(
            principal.user_id, Role.USER, uuid4().hex, principal.session_id, past, past + timedelta(minutes=15)
        )
    )
    response = await client.get(f"{API}/users/me", headers=bearer(expired))
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"
