"""Reviews, review histories and public profiles over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from litestar.testing import AsyncTestClient
from sqlalchemy import select

from adapters.sql.tables import reviews
from adapters.sql.uow import SqlUnitOfWork
from domain.identity import Role
from entrypoints.bootstrap import Services
from tests.e2e.test_conventions import assert_problem
from tests.support.builders import add_book
from tests.support.http import API
from tests.support.shelf import reader, record_purchase

Client = AsyncTestClient[Any]


async def _finished(client: Client, auth: dict[str, str], book_id: object) -> None:
    response = await client.post(f"{API}/my-library/{book_id}", json={"status": "COMPLETED"}, headers=auth)
    assert response.status_code == 201, response.text


async def _figures(services: Services, book_id: Any) -> tuple[int, int, int, int, int]:
    async with services.uow(read_only=True) as uow:
        book = await uow.books.get(book_id)
    assert book is not None
    return book.rating_counts


async def test_buyers_and_finishers_review_and_others_may_not(client: Client, services: Services) -> None:
    buyer, buyer_auth = await reader(client, services)
    _, finisher_auth = await reader(client, services)
    _, stranger_auth = await reader(client, services)
    book = await add_book(services)
    await record_purchase(services, buyer.id, book.id)
    await _finished(client, finisher_auth, book.id)

    bought = await client.post(
        f"{API}/books/{book.id}/reviews", json={"rating": 5, "text": "Loved it"}, headers=buyer_auth
    )
    assert bought.status_code == 201, bought.text
    body = bought.json()
    assert body["verified_purchase"] is True
    assert (body["book_id"], body["rating"], body["text"]) == (str(book.id), 5, "Loved it")
    assert body["user"] == {"id": str(buyer.id), "username": buyer.username}
    assert body["created_at"] == body["updated_at"]

    finished = await client.post(f"{API}/books/{book.id}/reviews", json={"rating": 2}, headers=finisher_auth)
    assert finished.status_code == 201, finished.text
    assert finished.json()["verified_purchase"] is False
    assert finished.json()["text"] is None

    refused = await client.post(f"{API}/books/{book.id}/reviews", json={"rating": 4}, headers=stranger_auth)
    assert_problem(refused, 403, "not-eligible-to-review")
    again = await client.post(f"{API}/books/{book.id}/reviews", json={"rating": 1}, headers=buyer_auth)
    assert_problem(again, 409, "already-reviewed")
    assert await _figures(services, book.id) == (0, 1, 0, 0, 1)


async def test_an_order_that_failed_is_not_a_purchase(client: Client, services: Services) -> None:
    user, auth = await reader(client, services)
    book = await add_book(services)
    await record_purchase(services, user.id, book.id, status="PAYMENT_FAILED")
    response = await client.post(f"{API}/books/{book.id}/reviews", json={"rating": 4}, headers=auth)
    assert_problem(response, 403, "not-eligible-to-review")


async def test_an_unverified_reader_may_not_write(client: Client, services: Services) -> None:
    user, auth = await reader(client, services, verified=False)
    book = await add_book(services)
    await record_purchase(services, user.id, book.id)
    response = await client.post(f"{API}/books/{book.id}/reviews", json={"rating": 4}, headers=auth)
    assert_problem(response, 403, "email-not-verified")
    await _finished(client, auth, book.id)
    from_shelf = await client.patch(f"{API}/my-library/{book.id}", json={"rating": 4}, headers=auth)
    assert_problem(from_shelf, 403, "email-not-verified")
    assert await _figures(services, book.id) == (0, 0, 0, 0, 0)


async def test_bad_review_input_is_422_and_unknown_book_404(client: Client, services: Services) -> None:
    _, auth = await reader(client, services)
    book = await add_book(services)
    await _finished(client, auth, book.id)
    for body in ({"rating": 0}, {"rating": 6}, {}, {"rating": "five"}, {"rating": 3, "text": "x" * 5001}):
        response = await client.post(f"{API}/books/{book.id}/reviews", json=body, headers=auth)
        assert_problem(response, 422, "validation")
    unknown = await client.post(f"{API}/books/{uuid4()}/reviews", json={"rating": 3}, headers=auth)
    assert_problem(unknown, 404, "not-found")
    assert_problem(await client.get(f"{API}/books/{uuid4()}/reviews"), 404, "not-found")
    assert_problem(await client.get(f"{API}/books/{book.id}/reviews?sort=-stars"), 422, "validation")
    assert_problem(await client.post(f"{API}/books/{book.id}/reviews", json={"rating": 3}), 401, "unauthorized")


async def test_reviews_list_sorts(client: Client, services: Services) -> None:
    book = await add_book(services)
    for rating in (3, 5, 1):
        _, auth = await reader(client, services)
        await _finished(client, auth, book.id)
        assert (
            await client.post(f"{API}/books/{book.id}/reviews", json={"rating": rating}, headers=auth)
        ).status_code == 201

    async def ratings(query: str) -> list[int]:
        page = (await client.get(f"{API}/books/{book.id}/reviews{query}")).json()
        assert page["total"] == 3
        return [item["rating"] for item in page["items"]]

    assert await ratings("") == [1, 5, 3]
    assert await ratings("?sort=-created_at") == [1, 5, 3]
    assert await ratings("?sort=-rating") == [5, 3, 1]
    assert await ratings("?sort=rating") == [1, 3, 5]
    page = (await client.get(f"{API}/books/{book.id}/reviews?sort=rating&limit=1&offset=1")).json()
    assert ([i["rating"] for i in page["items"]], page["limit"], page["offset"]) == ([3], 1, 1)


async def test_only_the_author_changes_a_review(client: Client, services: Services) -> None:
    _, author = await reader(client, services)
    _, other = await reader(client, services)
    book = await add_book(services)
    await _finished(client, author, book.id)
    created = (
        await client.post(f"{API}/books/{book.id}/reviews", json={"rating": 2, "text": "meh"}, headers=author)
    ).json()
    url = f"{API}/reviews/{created['id']}"
    assert_problem(await client.patch(url, json={"rating": 1}, headers=other), 403, "forbidden")
    assert_problem(await client.patch(url, json={"rating": 1}), 401, "unauthorized")
    assert_problem(await client.patch(url, json={"rating": 6}, headers=author), 422, "validation")
    assert_problem(await client.patch(f"{API}/reviews/{uuid4()}", json={"rating": 1}, headers=author), 404, "not-found")

    changed = await client.patch(url, json={"rating": 5}, headers=author)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["rating"], changed.json()["text"]) == (5, "meh")
    cleared = (await client.patch(url, json={"text": None}, headers=author)).json()
    assert (cleared["rating"], cleared["text"]) == (5, None)
    assert await _figures(services, book.id) == (0, 0, 0, 0, 1)
    shelf = (await client.get(f"{API}/my-library", headers=author)).json()["items"][0]
    assert (shelf["rating"], shelf["review_text"]) == (5, None)


async def test_author_moderator_and_admin_delete_others_may_not(client: Client, services: Services) -> None:
    book = await add_book(services)
    _, other = await reader(client, services)
    _, moderator = await reader(client, services, role=Role.MODERATOR)
    _, admin = await reader(client, services, role=Role.ADMIN)
    ids = []
    for rating in (5, 4, 3):
        _, auth = await reader(client, services)
        await _finished(client, auth, book.id)
        ids.append(
            (await client.post(f"{API}/books/{book.id}/reviews", json={"rating": rating}, headers=auth)).json()["id"]
        )
    assert await _figures(services, book.id) == (0, 0, 1, 1, 1)

    assert_problem(await client.delete(f"{API}/reviews/{ids[0]}", headers=other), 403, "forbidden")
    assert_problem(await client.delete(f"{API}/reviews/{ids[0]}"), 401, "unauthorized")
    assert (await client.delete(f"{API}/reviews/{ids[0]}", headers=moderator)).status_code == 204
    assert await _figures(services, book.id) == (0, 0, 1, 1, 0)
    assert (await client.delete(f"{API}/reviews/{ids[1]}", headers=admin)).status_code == 204
    assert_problem(await client.delete(f"{API}/reviews/{ids[1]}", headers=admin), 404, "not-found")
    page = (await client.get(f"{API}/books/{book.id}/reviews")).json()
    assert [item["id"] for item in page["items"]] == [ids[2]]
    assert await _figures(services, book.id) == (0, 0, 1, 0, 0)


async def test_a_deleted_review_is_kept_and_can_be_written_again(client: Client, services: Services) -> None:
    user, auth = await reader(client, services)
    book = await add_book(services)
    await _finished(client, auth, book.id)
    first = (await client.post(f"{API}/books/{book.id}/reviews", json={"rating": 1}, headers=auth)).json()
    assert (await client.delete(f"{API}/reviews/{first['id']}", headers=auth)).status_code == 204
    assert await _figures(services, book.id) == (0, 0, 0, 0, 0)
    assert (await client.get(f"{API}/users/{user.id}")).json()["review_count"] == 0
    assert_problem(
        await client.patch(f"{API}/reviews/{first['id']}", json={"rating": 2}, headers=auth), 404, "not-found"
    )

    second = await client.post(f"{API}/books/{book.id}/reviews", json={"rating": 4}, headers=auth)
    assert second.status_code == 201, second.text
    assert second.json()["id"] != first["id"]
    assert await _figures(services, book.id) == (0, 0, 0, 1, 0)
    async with services.uow(read_only=True) as uow:  # the deleted one stays stored, for audit
        assert isinstance(uow, SqlUnitOfWork)
        rows = (await uow.connection.execute(select(reviews.c.rating, reviews.c.deleted_at))).all()
    assert sorted((rating, deleted is None) for rating, deleted in rows) == [(1, False), (4, True)]


async def test_my_reviews_newest_first_and_public_profile(client: Client, services: Services) -> None:
    user, auth = await reader(client, services)
    older, newer = await add_book(services), await add_book(services)
    for book, rating in ((older, 3), (newer, 5)):
        await _finished(client, auth, book.id)
        await client.post(f"{API}/books/{book.id}/reviews", json={"rating": rating}, headers=auth)
    mine = (await client.get(f"{API}/users/me/reviews", headers=auth)).json()
    assert mine["total"] == 2
    assert [item["book_id"] for item in mine["items"]] == [str(newer.id), str(older.id)]
    assert_problem(await client.get(f"{API}/users/me/reviews"), 401, "unauthorized")

    profile = await client.get(f"{API}/users/{user.id}")
    assert profile.status_code == 200
    assert set(profile.json()) == {"id", "username", "created_at", "review_count"}
    assert profile.json()["review_count"] == 2
    assert_problem(await client.get(f"{API}/users/{uuid4()}"), 404, "not-found")
    me = await client.get(f"{API}/users/me", headers=auth)
    assert me.json()["email"] == user.email  # /users/me still reaches the account, not a profile
