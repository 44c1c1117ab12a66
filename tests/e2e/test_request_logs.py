"""One log line per request, and no password, token or code in any line, whatever the endpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient

from tests.support.http import API, PASSWORD, bearer, login, register
from tests.support.logs import captured_logs, read_lines

Client = AsyncTestClient[Any]
RESET_CODE = "482910"
NEW_PASSWORD = "a-brand-new-passphrase-77"


async def test_auth_requests_are_logged_without_their_secrets(client: Client, tmp_path: Path) -> None:
    with captured_logs(tmp_path / "logs") as log_file:
        user = await register(client, name="logged")
        tokens = await login(client, user["email"])
        refresh = tokens["refresh_token"]
        secrets = (PASSWORD, tokens["access_token"], refresh, RESET_CODE, NEW_PASSWORD)
        await client.post(f"{API}/auth/login", json={"email": user["email"], "password": "wrong-" + PASSWORD})
        await client.post(f"{API}/auth/token", data={"username": user["email"], "password": PASSWORD})
        await client.get(f"{API}/users/me", headers=bearer(tokens["access_token"]))
        await client.post(f"{API}/auth/refresh", json={"refresh_token": refresh})
        await client.post(
            f"{API}/auth/reset-password",
            json={"email": user["email"], "code": RESET_CODE, "new_password": NEW_PASSWORD},
        )
        await client.post(f"{API}/auth/logout", json={"refresh_token": refresh}, headers=bearer(refresh))
        lines = read_lines(log_file)
    text = log_file.read_text()
    for secret in secrets:
        assert secret not in text
    requests = [line for line in lines if line["logger"] == "folio.access"]
    assert [(line["method"], line["route"], line["status"]) for line in requests[:5]] == [
        ("POST", f"{API}/auth/register", 201),
        ("POST", f"{API}/auth/login", 200),
        ("POST", f"{API}/auth/login", 401),
        ("POST", f"{API}/auth/token", 200),
        ("GET", f"{API}/users/me", 200),
    ]
    assert len(requests) == 8
    for line in requests:
        assert line["duration_ms"] >= 0
        assert len(line["request_id"]) >= 16
        assert line["timestamp"].endswith("Z")
