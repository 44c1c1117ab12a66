"""Reading shelf and wishlist over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

from litestar.testing import AsyncTestClient

from entrypoints.bootstrap import Services
from tests.e2e.test_conventions import assert_problem
from tests.support.builders import add_book
from tests.support.http import API
from tests.support.shelf import reader

Client = AsyncTestClient[Any]


async def test_wishlist_start_finish_rate_shows_on_book_and_profile(client: Client, services: Services) -> None:
    user, auth = await reader(client, services)
    book = await add_book(services)
    wished = await client.post(f"{API}/wishlist", json={"book_id": str(book.id)}, headers=auth)
    assert wished.status_code == 201, wished.text
    assert wished.json()["status"] == "WISHLIST"
    assert wished.json()["book"]["id"] == str(book.id)
    assert wished.json()["rating"] is None

    started = await client.patch(f"{API}/my-library/{book.id}", json={"status": "READING"}, headers=auth)
    assert started.status_code == 200, started.text
    assert started.json()["status"] == "READING"
    assert (await client.get(f"{API}/wishlist", headers=auth)).json()["total"] == 0

    early = await client.patch(f"{API}/my-library/{book.id}", json={"rating": 5}, headers=auth)
    assert_problem(early, 403, "not-eligible-to-review")

    body = {"status": "COMPLETED", "rating": 4, "review_text": "Slow start, great end."}
    rated = await client.patch(f"{API}/my-library/{book.id}", json=body, headers=auth)
    assert rated.status_code == 200, rated.text
    entry = rated.json()
    assert (entry["status"], entry["rating"], entry["review_text"]) == ("COMPLETED", 4, "Slow start, great end.")
    assert entry["book"]["review_count"] == 1
    assert entry["book"]["average_rating"] == 4.0

    async with services.uow(read_only=True) as uow:
        stored = await uow.books.get(book.id)
    assert stored is not None
    assert stored.rating_counts == (0, 0, 0, 1, 0)
    profile = (await client.get(f"{API}/users/{user.id}")).json()
    assert profile == {
        "id": str(user.id),
        "username": user.username,
        "created_at": profile["created_at"],
        "review_count": 1,
    }
    reviews = (await client.get(f"{API}/books/{book.id}/reviews")).json()
    assert [r["rating"] for r in reviews["items"]] == [4]
    assert reviews["items"][0]["user"] == {"id": str(user.id), "username": user.username}

    changed = await client.patch(f"{API}/my-library/{book.id}", json={"rating": 2}, headers=auth)
    assert changed.json()["rating"] == 2
    assert changed.json()["review_text"] == "Slow start, great end."
    assert changed.json()["book"]["average_rating"] == 2.0
    assert (await client.get(f"{API}/books/{book.id}/reviews")).json()["total"] == 1


async def test_shelf_lists_newest_first_and_filters_by_status(client: Client, services: Services) -> None:
    _, auth = await reader(client, services)
    first, second, third = [await add_book(services) for _ in range(3)]
    for book, status in ((first, "WISHLIST"), (second, "READING"), (third, "WISHLIST")):
        response = await client.post(f"{API}/my-library/{book.id}", json={"status": status}, headers=auth)
        assert response.status_code == 201, response.text
    page = (await client.get(f"{API}/my-library", headers=auth)).json()
    assert page["total"] == 3
    assert [e["book"]["id"] for e in page["items"]] == [str(third.id), str(second.id), str(first.id)]
    wishes = (await client.get(f"{API}/my-library?status=WISHLIST&limit=1", headers=auth)).json()
    assert (wishes["total"], wishes["limit"], len(wishes["items"])) == (2, 1, 1)
    assert (await client.get(f"{API}/wishlist", headers=auth)).json()["total"] == 2
    assert_problem(await client.get(f"{API}/my-library?status=DROPPED", headers=auth), 422, "validation")


async def test_adding_without_a_body_wishes_and_twice_conflicts(client: Client, services: Services) -> None:
    _, auth = await reader(client, services)
    book = await add_book(services)
    added = await client.post(f"{API}/my-library/{book.id}", headers=auth)
    assert added.status_code == 201, added.text
    assert added.json()["status"] == "WISHLIST"
    again = await client.post(f"{API}/my-library/{book.id}", json={"status": "READING"}, headers=auth)
    assert_problem(again, 409, "already-on-shelf")
    assert_problem(
        await client.post(f"{API}/wishlist", json={"book_id": str(book.id)}, headers=auth), 409, "already-on-shelf"
    )


async def test_unknown_books_and_entries_are_404(client: Client, services: Services) -> None:
    _, auth = await reader(client, services)
    missing = uuid4()
    assert_problem(await client.post(f"{API}/my-library/{missing}", headers=auth), 404, "not-found")
    assert_problem(await client.post(f"{API}/wishlist", json={"book_id": str(missing)}, headers=auth), 404, "not-found")
    book = await add_book(services)
    assert_problem(
        await client.patch(f"{API}/my-library/{book.id}", json={"status": "READING"}, headers=auth), 404, "not-found"
    )
    assert_problem(await client.delete(f"{API}/my-library/{book.id}", headers=auth), 404, "not-found")
    assert_problem(await client.delete(f"{API}/wishlist/{book.id}", headers=auth), 404, "not-found")


async def test_another_readers_entry_is_not_reachable(client: Client, services: Services) -> None:
    _, owner = await reader(client, services)
    _, other = await reader(client, services)
    book = await add_book(services)
    assert (
        await client.post(f"{API}/my-library/{book.id}", json={"status": "COMPLETED"}, headers=owner)
    ).status_code == 201
    patched = await client.patch(f"{API}/my-library/{book.id}", json={"status": "READING"}, headers=other)
    assert_problem(patched, 404, "not-found")
    assert_problem(await client.delete(f"{API}/my-library/{book.id}", headers=other), 404, "not-found")
    assert (await client.get(f"{API}/my-library", headers=other)).json()["total"] == 0
    mine = (await client.get(f"{API}/my-library", headers=owner)).json()["items"]
    assert [e["status"] for e in mine] == ["COMPLETED"]


async def test_removing_from_shelf_and_wishlist(client: Client, services: Services) -> None:
    _, auth = await reader(client, services)
    wished, reading = await add_book(services), await add_book(services)
    await client.post(f"{API}/wishlist", json={"book_id": str(wished.id)}, headers=auth)
    await client.post(f"{API}/my-library/{reading.id}", json={"status": "READING"}, headers=auth)
    # A book being read is not on the wishlist, so the wishlist cannot remove it.
    assert_problem(await client.delete(f"{API}/wishlist/{reading.id}", headers=auth), 404, "not-found")
    assert (await client.delete(f"{API}/wishlist/{wished.id}", headers=auth)).status_code == 204
    assert (await client.delete(f"{API}/my-library/{reading.id}", headers=auth)).status_code == 204
    assert (await client.get(f"{API}/my-library", headers=auth)).json()["total"] == 0


async def test_shelf_needs_a_signed_in_caller_and_valid_input(client: Client, services: Services) -> None:
    _, auth = await reader(client, services)
    book = await add_book(services)
    for response in (
        await client.get(f"{API}/my-library"),
        await client.post(f"{API}/my-library/{book.id}"),
        await client.patch(f"{API}/my-library/{book.id}", json={}),
        await client.delete(f"{API}/my-library/{book.id}"),
        await client.get(f"{API}/wishlist"),
        await client.post(f"{API}/wishlist", json={"book_id": str(book.id)}),
        await client.delete(f"{API}/wishlist/{book.id}"),
    ):
        assert_problem(response, 401, "unauthorized")
        assert response.headers["www-authenticate"].startswith("Bearer")
    await client.post(f"{API}/my-library/{book.id}", json={"status": "COMPLETED"}, headers=auth)
    for body in ({"rating": 0}, {"rating": 6}, {"status": "FINISHED"}, {"review_text": "x" * 5001}):
        assert_problem(await client.patch(f"{API}/my-library/{book.id}", json=body, headers=auth), 422, "validation")
    assert_problem(await client.post(f"{API}/wishlist", json={"book_id": "nope"}, headers=auth), 422, "validation")
    for text in ("nul \x00 inside", "lone \ud800 surrogate"):  # sent as JSON escapes
        sent = await client.patch(
            f"{API}/my-library/{book.id}",
            content=json.dumps({"review_text": text}).encode(),
            headers=auth | {"content-type": "application/json"},
        )
        assert_problem(sent, 422, "validation")
    text_only = await client.patch(f"{API}/my-library/{book.id}", json={"review_text": "no stars"}, headers=auth)
    assert_problem(text_only, 422, "validation")  # a text alone is a review, which needs a rating


async def test_deleting_a_book_takes_it_off_shelves_and_histories(client: Client, services: Services) -> None:
    user, auth = await reader(client, services)
    book = await add_book(services)
    await client.post(f"{API}/my-library/{book.id}", json={"status": "COMPLETED"}, headers=auth)
    await client.post(f"{API}/books/{book.id}/reviews", json={"rating": 3}, headers=auth)
    assert (await client.get(f"{API}/users/me/reviews", headers=auth)).json()["total"] == 1
    async with services.uow() as uow:
        await uow.books.delete(book.id)
        await uow.commit()
    assert (await client.get(f"{API}/my-library", headers=auth)).json()["total"] == 0
    assert (await client.get(f"{API}/users/me/reviews", headers=auth)).json()["total"] == 0
    assert (await client.get(f"{API}/users/{user.id}")).json()["review_count"] == 0


async def test_openapi_describes_the_shelf_and_review_routes(client: Client) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200, response.text
    paths = response.json()["paths"]
    for path in (
        "/api/v1/my-library",
        "/api/v1/my-library/{book_id}",
        "/api/v1/wishlist",
        "/api/v1/wishlist/{book_id}",
        "/api/v1/books/{book_id}/reviews",
        "/api/v1/reviews/{review_id}",
        "/api/v1/users/me/reviews",
        "/api/v1/users/{user_id}",
    ):
        assert path in paths
    assert "409" in paths["/api/v1/books/{book_id}/reviews"]["post"]["responses"]
