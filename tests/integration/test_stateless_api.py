"""Two `folio serve` processes on one PostgreSQL database and one Valkey behave as one service."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.support.http import API, PASSWORD
from tests.support.processes import folio_env, running, start_server

pytestmark = [pytest.mark.postgres, pytest.mark.valkey, pytest.mark.slow]


def test_an_account_made_on_one_process_signs_in_on_the_other(
    pg_url: str, valkey_url: str, valkey_prefix: str, tmp_path: Path
) -> None:
    shared = {"database_url": pg_url, "valkey_url": valkey_url, "valkey_prefix": valkey_prefix}
    with running(
        start_server(folio_env(tmp_path / "a", **shared)), start_server(folio_env(tmp_path / "b", **shared))
    ) as (
        a,
        b,
    ):
        for server in (a, b):
            ready = httpx.get(f"{server.url}/health/ready", timeout=5)
            assert ready.status_code == 200
            assert ready.json()["checks"] == {"database": True, "valkey": True}

        made = httpx.post(
            f"{a.url}{API}/auth/register",
            json={"email": "twin@example.com", "username": "twin", "password": PASSWORD},
            timeout=10,
        )
        assert made.status_code == 201, made.text
        tokens = httpx.post(
            f"{b.url}{API}/auth/login", json={"email": "twin@example.com", "password": PASSWORD}, timeout=10
        )
        assert tokens.status_code == 200, tokens.text
        header = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
        for server in (a, b):
            me = httpx.get(f"{server.url}{API}/users/me", headers=header, timeout=10)
            assert me.status_code == 200, me.text
            assert me.json()["id"] == made.json()["id"]

        taken = httpx.post(
            f"{b.url}{API}/auth/register",
            json={"email": "twin@example.com", "username": "twin2", "password": PASSWORD},
            timeout=10,
        )
        assert taken.status_code == 409
        assert taken.json()["type"] == "/problems/email-taken"
    assert a.process.returncode == 0, a.output()
    assert b.process.returncode == 0, b.output()
    request_lines = _json_lines(a.output())
    assert any(line.get("route") == f"{API}/auth/register" and line["status"] == 201 for line in request_lines)


def test_metrics_add_up_the_requests_of_every_worker_process(
    pg_url: str, valkey_url: str, valkey_prefix: str, tmp_path: Path
) -> None:
    env = folio_env(tmp_path / "m", database_url=pg_url, valkey_url=valkey_url, valkey_prefix=valkey_prefix)
    with running(start_server(env, workers=2)) as (server,), httpx.Client(base_url=server.url, timeout=10) as http:
        for _ in range(40):  # new connections, so both workers answer some
            httpx.get(f"{server.url}/health", timeout=10).raise_for_status()
        text = http.get("/metrics").text
    pids = {line["pid"] for line in _json_lines(server.output()) if line.get("route") == "/health"}
    counted = [
        line for line in text.splitlines() if line.startswith('folio_http_requests_total{method="GET",route="/health"')
    ]
    assert counted == ['folio_http_requests_total{method="GET",route="/health",status="200"} 40.0'], text
    assert len(pids) == 2  # both workers answered, and the one scraped reported the other's requests too


def _json_lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]
