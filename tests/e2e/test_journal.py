"""The reading journal over HTTP (reads, progress, goals, stats), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from litestar.testing import AsyncTestClient

from entrypoints.bootstrap import Services
from tests.e2e.test_conventions import assert_problem
from tests.support.builders import add_book, add_genre
from tests.support.commerce import put_in_cart
from tests.support.http import API
from tests.support.shelf import reader

Client = AsyncTestClient[Any]


def _today() -> datetime:
    return datetime.now(UTC)


async def _shelve(client: Client, auth: dict[str, str], book_id: object, status: str = "WISHLIST") -> dict[str, Any]:
    response = await client.post(f"{API}/my-library/{book_id}", json={"status": status}, headers=auth)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _move(client: Client, auth: dict[str, str], book_id: object, status: str) -> dict[str, Any]:
    response = await client.patch(f"{API}/my-library/{book_id}", json={"status": status}, headers=auth)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_new_reader_reads_pauses_finishes_rereads_and_sees_goal_and_stats(
    client: Client, services: Services
) -> None:
    _, auth = await reader(client, services)
    genre = await add_genre(services, f"Sea Stories {uuid4().hex[:6]}")
    book = await add_book(services, pages=300, genre=genre, author="Herman Melville")
    today = _today().date()

    wished = await _shelve(client, auth, book.id)
    assert (wished["owned"], wished["read_count"], wished["progress"]) == (False, 0, None)
    started = await _move(client, auth, book.id, "READING")
    [first] = (await client.get(f"{API}/my-library/{book.id}/reads", headers=auth)).json()["items"]
    assert (first["started_on"], first["finished_on"], first["book_id"]) == (today.isoformat(), None, str(book.id))
    assert started["read_count"] == 0

    logged = await client.post(f"{API}/my-library/{book.id}/progress", json={"page": 150}, headers=auth)
    assert logged.status_code == 200, logged.text
    assert (logged.json()["progress"]["page"], logged.json()["progress"]["percent"]) == (150, 50.0)
    paused = await _move(client, auth, book.id, "PAUSED")
    assert paused["progress"]["page"] == 150  # the read stays open
    last_page = await client.post(f"{API}/my-library/{book.id}/progress", json={"percent": 100}, headers=auth)
    assert (last_page.json()["status"], last_page.json()["read_count"]) == ("PAUSED", 0)  # not finished by itself
    finished = await _move(client, auth, book.id, "COMPLETED")
    assert (finished["read_count"], finished["progress"]) == (1, None)
    read = (await client.get(f"{API}/reads/{first['id']}", headers=auth)).json()
    assert (read["finished_on"], read["progress"]["percent"]) == (today.isoformat(), 100.0)

    again = await _move(client, auth, book.id, "READING")  # a re-read
    assert again["read_count"] == 1
    await client.patch(f"{API}/my-library/{book.id}", json={"status": "COMPLETED", "rating": 4}, headers=auth)
    reads = (await client.get(f"{API}/my-library/{book.id}/reads", headers=auth)).json()
    assert reads["total"] == 2
    assert all(r["finished_on"] == today.isoformat() for r in reads["items"])

    goal = await client.put(f"{API}/goals/{today.year}", json={"target": 12}, headers=auth)
    assert goal.status_code == 200, goal.text
    body = goal.json()
    expected = 12 * today.timetuple().tm_yday // (366 if today.year % 4 == 0 else 365)
    assert (body["year"], body["target"], body["completed"], body["expected_by_today"]) == (today.year, 12, 2, expected)
    assert body["on_track"] is (expected <= 2)
    assert [b["id"] for b in body["books"]] == [str(book.id)]  # a book read twice is listed once
    assert (await client.get(f"{API}/goals/{today.year}", headers=auth)).json() == body

    stats = (await client.get(f"{API}/users/me/stats?year={today.year}", headers=auth)).json()
    month = f"{today.month:02d}"
    assert stats == {
        "year": today.year,
        "books_finished": 2,
        "pages_finished": 600,
        "average_rating": 4.0,
        "by_month": {f"{m:02d}": 2 if f"{m:02d}" == month else 0 for m in range(1, 13)},
        "by_genre": [{"genre": genre.name, "count": 2}],
        "top_authors": [{"author": "Herman Melville", "count": 2}],
        "did_not_finish": 0,
    }
    all_time = (await client.get(f"{API}/users/me/stats", headers=auth)).json()
    assert "by_month" not in all_time
    assert (all_time["year"], all_time["books_finished"]) == (None, 2)
    last_year = (await client.get(f"{API}/users/me/stats?year={today.year - 1}", headers=auth)).json()
    assert (last_year["books_finished"], last_year["average_rating"], last_year["by_genre"]) == (0, None, [])


async def test_hand_entered_reads_are_dated_edited_and_deleted(client: Client, services: Services) -> None:
    _, auth = await reader(client, services)
    book = await add_book(services)
    await _shelve(client, auth, book.id, "COMPLETED")
    past = await client.post(
        f"{API}/my-library/{book.id}/reads",
        json={"started_on": "2019-03-01", "finished_on": "2019-03-20"},
        headers=auth,
    )
    assert past.status_code == 201, past.text
    assert past.headers["location"] == f"{API}/reads/{past.json()['id']}"
    reread = await client.post(f"{API}/my-library/{book.id}/reads", headers=auth)
    assert reread.status_code == 201, reread.text
    assert (reread.json()["started_on"], reread.json()["finished_on"]) == (_today().date().isoformat(), None)
    second = await client.post(f"{API}/my-library/{book.id}/reads", json={"started_on": "2020-01-01"}, headers=auth)
    assert_problem(second, 409, "conflict")
    entry = (await client.get(f"{API}/my-library", headers=auth)).json()["items"][0]
    assert entry["read_count"] == 2

    page = (await client.get(f"{API}/my-library/{book.id}/reads?limit=2&offset=1", headers=auth)).json()
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 1)
    assert page["items"][-1]["id"] == past.json()["id"]  # oldest last; the open re-read is first

    read_id = reread.json()["id"]
    dropped = await client.patch(
        f"{API}/reads/{read_id}", json={"stopped_on": _today().date().isoformat()}, headers=auth
    )
    assert dropped.status_code == 200, dropped.text
    assert dropped.json()["stopped_on"] == _today().date().isoformat()
    stats = (await client.get(f"{API}/users/me/stats?year={_today().year}", headers=auth)).json()
    assert stats["did_not_finish"] == 1
    moved = await client.patch(f"{API}/reads/{past.json()['id']}", json={"finished_on": "2019-04-01"}, headers=auth)
    assert moved.json()["finished_on"] == "2019-04-01"
    assert (await client.delete(f"{API}/reads/{past.json()['id']}", headers=auth)).status_code == 204
    assert_problem(await client.get(f"{API}/reads/{past.json()['id']}", headers=auth), 404, "not-found")
    assert (await client.get(f"{API}/my-library", headers=auth)).json()["items"][0]["read_count"] == 1


async def test_bad_dates_pages_percentages_targets_and_sorts_are_422(client: Client, services: Services) -> None:
    _, auth = await reader(client, services)
    book = await add_book(services, pages=200)
    await _shelve(client, auth, book.id, "READING")
    tomorrow = (_today() + timedelta(days=1)).date().isoformat()
    reads = f"{API}/my-library/{book.id}/reads"
    cases = [
        (client.post(reads, json={"finished_on": tomorrow}, headers=auth), "finished_on"),
        (
            client.post(reads, json={"started_on": "2024-05-02", "finished_on": "2024-05-01"}, headers=auth),
            "finished_on",
        ),
        (client.post(reads, json={"started_on": "not a date"}, headers=auth), "started_on"),
        (client.post(f"{API}/my-library/{book.id}/progress", json={"page": 201}, headers=auth), "page"),
        (client.post(f"{API}/my-library/{book.id}/progress", json={"percent": 101}, headers=auth), "percent"),
        (client.post(f"{API}/my-library/{book.id}/progress", json={"page": -1}, headers=auth), "page"),
        (client.post(f"{API}/my-library/{book.id}/progress", json={}, headers=auth), "page"),
        (client.post(f"{API}/my-library/{book.id}/progress", json={"page": 3, "percent": 2}, headers=auth), "page"),
        (client.put(f"{API}/goals/2026", json={"target": 0}, headers=auth), "target"),
        (client.put(f"{API}/goals/2026", json={"target": 1001}, headers=auth), "target"),
        (client.put(f"{API}/goals/1066", json={"target": 5}, headers=auth), "year"),
        (client.get(f"{API}/users/me/stats?year=12345", headers=auth), "year"),
        (client.get(f"{API}/my-library?sort=rating", headers=auth), "sort"),
        (client.get(f"{API}/my-library?status=READ", headers=auth), "status"),
    ]
    for pending, field in cases:
        problem = assert_problem(await pending, 422, "validation")
        assert field in [error["field"] for error in problem["errors"]], problem
    # A missing target is a 422 too (how a missing field is named is the edge's rule).
    assert_problem(await client.put(f"{API}/goals/2026", json={}, headers=auth), 422, "validation")
    [read] = (await client.get(reads, headers=auth)).json()["items"]
    future = await client.patch(f"{API}/reads/{read['id']}", json={"started_on": tomorrow}, headers=auth)
    assert_problem(future, 422, "validation")
    both = await client.patch(
        f"{API}/reads/{read['id']}", json={"finished_on": "2026-01-02", "stopped_on": "2026-01-02"}, headers=auth
    )
    assert_problem(both, 422, "validation")
    early = await client.patch(
        f"{API}/reads/{read['id']}", json={"started_on": "2025-02-01", "finished_on": "2025-01-01"}, headers=auth
    )
    assert_problem(early, 422, "validation")
    unchanged = (await client.get(f"{API}/reads/{read['id']}", headers=auth)).json()
    assert unchanged == read


async def test_another_readers_reads_goals_and_unshelved_books_are_404(client: Client, services: Services) -> None:
    _, owner = await reader(client, services)
    _, other = await reader(client, services)
    book = await add_book(services)
    await _shelve(client, owner, book.id, "READING")
    [read] = (await client.get(f"{API}/my-library/{book.id}/reads", headers=owner)).json()["items"]
    for response in (
        await client.get(f"{API}/reads/{read['id']}", headers=other),
        await client.patch(f"{API}/reads/{read['id']}", json={"finished_on": "2026-01-01"}, headers=other),
        await client.delete(f"{API}/reads/{read['id']}", headers=other),
        await client.get(f"{API}/my-library/{book.id}/reads", headers=other),
        await client.post(f"{API}/my-library/{book.id}/reads", json={}, headers=other),
        await client.post(f"{API}/my-library/{book.id}/progress", json={"page": 1}, headers=other),
        await client.get(f"{API}/reads/{uuid4()}", headers=owner),
        await client.get(f"{API}/goals/2026", headers=owner),
        await client.delete(f"{API}/goals/2026", headers=owner),
    ):
        assert_problem(response, 404, "not-found")
    assert (await client.get(f"{API}/reads/{read['id']}", headers=owner)).json()["finished_on"] is None
    await client.put(f"{API}/goals/2026", json={"target": 3}, headers=owner)
    assert_problem(await client.get(f"{API}/goals/2026", headers=other), 404, "not-found")
    for response in (
        await client.get(f"{API}/reads/{read['id']}"),
        await client.put(f"{API}/goals/2026", json={"target": 3}),
        await client.get(f"{API}/users/me/stats"),
        await client.post(f"{API}/my-library/{book.id}/progress", json={"page": 1}),
    ):
        assert_problem(response, 401, "unauthorized")


async def test_a_goal_is_set_changed_and_deleted(client: Client, services: Services) -> None:
    _, auth = await reader(client, services)
    assert (await client.put(f"{API}/goals/2020", json={"target": 10}, headers=auth)).json()["expected_by_today"] == 10
    changed = await client.put(f"{API}/goals/2020", json={"target": 20}, headers=auth)
    assert (changed.json()["target"], changed.json()["completed"], changed.json()["on_track"]) == (20, 0, False)
    future = (await client.put(f"{API}/goals/2100", json={"target": 5}, headers=auth)).json()
    assert (future["expected_by_today"], future["on_track"], future["books"]) == (0, True, [])
    assert (await client.delete(f"{API}/goals/2020", headers=auth)).status_code == 204
    assert_problem(await client.get(f"{API}/goals/2020", headers=auth), 404, "not-found")


async def test_the_shelf_sorts_by_change_title_rating_and_date_added(client: Client, services: Services) -> None:
    _, auth = await reader(client, services)
    zebra, apple, mango = [await add_book(services, title=t) for t in ("Zebra", "apple", "Mango")]
    for book in (zebra, apple, mango):
        await _shelve(client, auth, book.id, "COMPLETED")
    await client.patch(f"{API}/my-library/{mango.id}", json={"rating": 2}, headers=auth)
    await client.patch(f"{API}/my-library/{zebra.id}", json={"rating": 5}, headers=auth)

    async def order(sort: str | None) -> list[str]:
        query = "" if sort is None else f"?sort={sort}"
        page = (await client.get(f"{API}/my-library{query}", headers=auth)).json()
        return [entry["book"]["title"] for entry in page["items"]]

    assert await order(None) == ["Zebra", "Mango", "apple"]  # last changed first
    assert await order("-updated_at") == ["Zebra", "Mango", "apple"]
    assert await order("title") == ["apple", "Mango", "Zebra"]
    assert await order("-rating") == ["Zebra", "Mango", "apple"]  # unrated last
    assert await order("-date_added") == ["Mango", "apple", "Zebra"]


async def test_a_confirmed_order_makes_the_book_owned_on_the_shelf(client: Client, services: Services) -> None:
    _, auth = await reader(client, services)
    shelved, bought_later = await add_book(services, stock=3), await add_book(services, stock=3)
    await _shelve(client, auth, shelved.id, "READING")
    await put_in_cart(client, auth, shelved.id)
    await put_in_cart(client, auth, bought_later.id)
    checkout = await client.post(f"{API}/orders/checkout", headers=auth)
    assert checkout.status_code == 201, checkout.text
    [entry] = (await client.get(f"{API}/my-library", headers=auth)).json()["items"]
    assert (entry["book"]["id"], entry["owned"]) == (str(shelved.id), True)
    assert (await _shelve(client, auth, bought_later.id))["owned"] is True
