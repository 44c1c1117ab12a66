"""The contract's conventions, on every database: problem documents, request ids, limits."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.support.http import API

Client = AsyncTestClient[Any]


def assert_problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["type"] == f"/problems/{slug}"
    assert body["status"] == status
    assert body["title"]
    assert "detail" in body
    return body


async def test_unknown_route_is_a_404_problem_with_a_request_id(client: Client) -> None:
    response = await client.get(f"{API}/no-such-thing", headers={"X-Request-ID": "trace-123"})
    assert_problem(response, 404, "not-found")
    assert response.headers["x-request-id"] == "trace-123"


async def test_every_response_gets_a_request_id(client: Client) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert len(response.headers["x-request-id"]) >= 16


async def test_wrong_method_is_a_405_problem(client: Client) -> None:
    assert_problem(await client.delete(f"{API}/auth/login"), 405, "method-not-allowed")


async def test_malformed_json_is_a_400_problem(client: Client) -> None:
    response = await client.post(
        f"{API}/auth/register", content=b'{"email": ', headers={"content-type": "application/json"}
    )
    assert_problem(response, 400, "bad-request")


async def test_validation_failures_name_the_fields(client: Client) -> None:
    response = await client.post(f"{API}/auth/register", json={"email": "a@b.io", "username": 7})
    body = assert_problem(response, 422, "validation")
    fields = {error["field"] for error in body["errors"]}
    assert fields & {"username", "password"}


async def test_json_sent_as_text_plain_is_a_415_problem(client: Client) -> None:
    response = await client.post(
        f"{API}/auth/login",
        content=b'{"email": "nobody@example.com", "password": "whatever-it-is"}',
        headers={"content-type": "text/plain"},
    )
    assert_problem(response, 415, "unsupported-media-type")


@pytest.mark.parametrize("path", ["/health", "/schema/openapi.json"])
async def test_operational_endpoints_answer(client: Client, path: str) -> None:
    assert (await client.get(path)).status_code == 200


async def test_readiness_reports_the_database(client: Client) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] is True
