"""The catalog's public reads answered again from the cache: the same answer as the app gave, until a write."""

from __future__ import annotations

from typing import Any

from httpx import Response
from litestar.testing import AsyncTestClient
from prometheus_client.parser import text_string_to_metric_families

from entrypoints.bootstrap import Services
from tests.e2e.test_conventions import assert_problem
from tests.support.catalog import admin_headers, create_book, user_headers
from tests.support.http import API

Client = AsyncTestClient[Any]


def _seen(response: Response) -> tuple[int, list[tuple[str, str]], bytes]:
    """What a client sees, less the request id (new on every request) and the server's date."""
    headers = [(k, v) for k, v in response.headers.multi_items() if k not in ("x-request-id", "date")]
    return response.status_code, headers, response.content


async def _cached_reads(client: Client) -> dict[str, float]:
    text = (await client.get("/metrics")).text
    return {
        sample.labels["result"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "folio_http_cached_reads_total"
    }


async def _books(client: Client, services: Services, count: int) -> tuple[dict[str, str], list[dict[str, Any]]]:
    admin = await admin_headers(client, services)
    made = [
        await create_book(client, admin, title=f"Lantern {n}", description="A long evening by the river. " * 4)
        for n in range(count)
    ]
    return admin, made


async def test_a_repeated_read_is_answered_as_the_app_answered_it(client: Client, services: Services) -> None:
    _, made = await _books(client, services, 5)
    before = await _cached_reads(client)
    paths = [f"{API}/books", f"{API}/books?q=lantern&limit=2", f"{API}/books/{made[0]['id']}"]
    for path in paths:
        for encoding in ("identity", "gzip"):
            first = await client.get(path, headers={"Accept-Encoding": encoding})
            again = await client.get(path, headers={"Accept-Encoding": encoding})
            assert first.status_code == 200
            assert _seen(again) == _seen(first)
            assert again.headers["x-request-id"] != first.headers["x-request-id"]
            assert again.headers["content-security-policy"].startswith("default-src 'none'")
            assert ("gzip" in again.headers.get("content-encoding", "")) == (encoding == "gzip")
    assert again.headers["etag"] == first.headers["etag"]
    after = await _cached_reads(client)
    assert after["hit"] - before.get("hit", 0) == 6  # each second read
    assert after["miss"] - before.get("miss", 0) == 6


async def test_a_write_makes_the_stored_answers_stale(client: Client, services: Services) -> None:
    admin, made = await _books(client, services, 2)
    detail = f"{API}/books/{made[0]['id']}"
    first_page = (await client.get(f"{API}/books")).json()
    first_detail = await client.get(detail)
    assert (await client.get(f"{API}/books")).json() == first_page  # stored now
    response = await client.patch(f"{detail}/stock", json={"stock": 7}, headers=admin)
    assert response.status_code == 200, response.text
    page = (await client.get(f"{API}/books")).json()
    assert {item["id"]: item["stock"] for item in page["items"]}[made[0]["id"]] == 7
    changed = await client.get(detail)
    assert changed.json()["stock"] == 7
    assert changed.headers["etag"] != first_detail.headers["etag"]
    assert (await client.get(detail, headers={"If-None-Match": changed.headers["etag"]})).status_code == 304


async def test_a_refused_query_is_refused_every_time(client: Client, services: Services) -> None:
    await _books(client, services, 1)
    for _ in range(2):
        response = await client.get(f"{API}/books?q=a%00b")
        assert_problem(response, 422, "validation")
        assert response.json()["errors"][0]["field"] == "q"
        assert_problem(await client.get(f"{API}/books?limit=0"), 422, "validation")
        assert_problem(await client.get(f"{API}/books?published=false"), 401, "unauthorized")


async def test_a_caller_with_a_token_is_answered_for_who_they_are(client: Client, services: Services) -> None:
    reader = await user_headers(client, services)
    own = await create_book(client, reader, title="My Own Notes", price=None)
    me = (await client.get(f"{API}/users/me", headers=reader)).json()["id"]
    query = f"{API}/books?added_by={me}"
    for _ in range(2):  # anonymous: the reader's unpublished book is not shown (and that answer is stored)
        assert (await client.get(query)).json()["total"] == 0
    mine = (await client.get(query, headers=reader)).json()
    assert [item["id"] for item in mine["items"]] == [own["id"]]
    assert (await client.get(f"{API}/books/{own['id']}")).status_code == 404
    assert (await client.get(f"{API}/books/{own['id']}", headers=reader)).status_code == 200
