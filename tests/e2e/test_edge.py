"""The edge: CORS, allowed hosts, security headers, body limits, and /metrics by route template."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from prometheus_client.parser import text_string_to_metric_families

from application.mail import VERIFY_EMAIL, queue_mail
from entrypoints.bootstrap import Services, bootstrap
from entrypoints.http.app import create_app
from entrypoints.probes import ScrapeGauge
from entrypoints.settings import SettingsError, load_settings
from tests.e2e.test_conventions import assert_problem
from tests.support.http import API, signed_in
from tests.support.settings import make_settings

Client = AsyncTestClient[Any]
APP_ORIGIN = "https://app.example.com"


@pytest.fixture
async def edge_client(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Client]:
    """The app with CORS for one origin, two allowed host names and an https public URL."""
    settings = make_settings(
        tmp_path / "var",
        database_url=sqlite_url,
        cors_origins=APP_ORIGIN,
        allowed_hosts="api.example.com,*.folio.test",
        public_url="https://api.example.com",
    )
    async with AsyncTestClient(app=create_app(bootstrap(settings)), base_url="http://api.example.com") as http:
        yield http


async def test_a_preflight_from_an_allowed_origin_is_answered(edge_client: Client) -> None:
    response = await edge_client.options(
        f"{API}/auth/login",
        headers={
            "Origin": APP_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, authorization",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "authorization" in response.headers["access-control-allow-headers"].lower()


async def test_a_preflight_from_another_origin_is_refused(edge_client: Client) -> None:
    response = await edge_client.options(
        f"{API}/auth/login", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert_problem(response, 400, "bad-request")
    assert "origin" in response.json()["detail"].lower()
    assert "access-control-allow-origin" not in response.headers
    assert response.headers["x-request-id"]


async def test_a_simple_request_from_an_allowed_origin_may_read_the_answer(edge_client: Client) -> None:
    allowed = await edge_client.get("/health", headers={"Origin": APP_ORIGIN})
    other = await edge_client.get("/health", headers={"Origin": "https://evil.example"})
    assert allowed.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "x-request-id" in allowed.headers["access-control-expose-headers"].lower()
    assert "access-control-allow-origin" not in other.headers


async def test_cors_is_off_by_default_in_the_embedded_mode(client: Client) -> None:
    response = await client.options(
        f"{API}/auth/login", headers={"Origin": APP_ORIGIN, "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("host", ["evil.example.com", "api.example.com.evil.net", "folio.test"])
async def test_a_host_header_not_allowed_is_refused(edge_client: Client, host: str) -> None:
    for path in ("/health", f"{API}/users/me", f"{API}/no-such-route"):
        response = await edge_client.get(path, headers={"Host": host})
        assert_problem(response, 400, "bad-request")
        assert response.headers["x-request-id"]


@pytest.mark.parametrize("host", ["api.example.com", "api.example.com:8443", "eu.folio.test"])
async def test_allowed_hosts_are_served(edge_client: Client, host: str) -> None:
    assert (await edge_client.get("/health", headers={"Host": host})).status_code == 200


def test_production_must_name_its_hosts_and_origins() -> None:
    env = {"FOLIO_DATABASE_URL": "postgresql+psycopg://folio@db/folio", "FOLIO_JWT_SECRET": "s" * 40}
    with pytest.raises(SettingsError, match="ALLOWED_HOSTS"):
        load_settings({**env, "FOLIO_CORS_ORIGINS": ""}, env_file=None)
    with pytest.raises(SettingsError, match="CORS_ORIGINS"):
        load_settings({**env, "FOLIO_ALLOWED_HOSTS": "api.example.com"}, env_file=None)
    chosen = load_settings({**env, "FOLIO_ALLOWED_HOSTS": "*", "FOLIO_CORS_ORIGINS": ""}, env_file=None)
    assert chosen.allowed_hosts == ("*",)
    assert chosen.cors_origins == ()


async def test_every_response_carries_the_security_headers(edge_client: Client) -> None:
    for response in (
        await edge_client.get("/health"),
        await edge_client.get(f"{API}/users/me"),
        await edge_client.get(f"{API}/no-such-route"),
        await edge_client.get("/schema/openapi.json"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
        assert "script-src" not in response.headers["content-security-policy"]
        assert response.headers["strict-transport-security"].startswith("max-age=")


async def test_the_docs_page_may_load_its_own_scripts_only_and_nothing_is_framed(edge_client: Client) -> None:
    response = await edge_client.get("/schema")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self' 'unsafe-inline';" in policy
    assert "https:" not in policy  # the bundles are served by Folio (entrypoints/http/docs_ui.py)
    assert "frame-ancestors 'none'" in policy


async def test_no_hsts_when_the_public_url_is_plain_http(client: Client) -> None:
    assert "strict-transport-security" not in (await client.get("/health")).headers


async def test_a_json_body_over_one_mebibyte_is_a_413_problem(client: Client) -> None:
    big = b'{"email": "' + b"a" * (1024 * 1024 + 1) + b'"}'
    response = await client.post(f"{API}/auth/login", content=big, headers={"content-type": "application/json"})
    assert_problem(response, 413, "payload-too-large")


def _samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    return [
        (sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    ]


async def test_metrics_count_requests_by_route_template_not_raw_path(client: Client) -> None:
    _, auth = await signed_in(client)
    user_ids = ("8d2b7a51-4a4e-4c3e-9b8a-3f1f0e6d2c11", "0f6b1c1e-2d3a-4b5c-8d9e-0a1b2c3d4e5f")
    for user_id in user_ids:
        await client.get(f"{API}/users/{user_id}")
    await client.get(f"{API}/users/me", headers=auth)
    await client.get(f"{API}/users/me", headers=auth)
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    counts = {
        (labels["method"], labels["route"], labels["status"]): value
        for labels, value in _samples(response.text, "folio_http_requests_total")
    }
    assert counts[("GET", f"{API}/users/me", "200")] == 2
    assert counts[("POST", f"{API}/auth/login", "200")] == 1
    assert not any(user_id in response.text for user_id in user_ids)
    histogram = _samples(response.text, "folio_http_request_duration_seconds_count")
    assert ({"method": "GET", "route": f"{API}/users/me", "status": "200"}, 2.0) in histogram


async def test_metrics_report_pool_use_and_the_outbox_backlog(client: Client, services: Services) -> None:
    backlog = _samples((await client.get("/metrics")).text, "folio_outbox_backlog")
    async with services.uow() as uow:
        for n in range(2):
            await queue_mail(uow, services.clock, VERIFY_EMAIL, f"r{n}@example.com", {"token": "t"})
        await uow.commit()
    text = (await client.get("/metrics")).text
    assert _samples(text, "folio_outbox_backlog") == [({}, backlog[0][1] + 2)]
    states = {labels["state"] for labels, _ in _samples(text, "folio_db_pool_connections")}
    assert {"in_use", "idle", "size"} <= states


async def test_gauges_wired_later_are_read_at_scrape_time_and_a_failing_one_is_left_out(
    client: Client, services: Services
) -> None:
    depth = {"mail": 3.0}

    async def queue_depth() -> dict[str, float]:
        return depth

    async def broken() -> float:
        raise ConnectionError("broker down")

    services.gauges["folio_dramatiq_queue_depth"] = ScrapeGauge("Messages waiting", queue_depth, label="queue")
    services.gauges["folio_broken"] = ScrapeGauge("Never answers", broken)
    first = await client.get("/metrics")
    depth["mail"] = 5.0
    second = await client.get("/metrics")
    assert first.status_code == second.status_code == 200
    assert _samples(first.text, "folio_dramatiq_queue_depth") == [({"queue": "mail"}, 3.0)]
    assert _samples(second.text, "folio_dramatiq_queue_depth") == [({"queue": "mail"}, 5.0)]
    assert "folio_broken" not in second.text
