"""Readers' own books over HTTP on both databases: privacy before publishing, moderators, sale rules,
the daily limit, activity and review history."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from domain.identity import Role
from entrypoints.bootstrap import Services
from tests.e2e.test_conventions import assert_problem
from tests.support.catalog import admin_headers, create_book, list_books, titles
from tests.support.http import API
from tests.support.shelf import reader

Client = AsyncTestClient[Any]


async def own_book(client: Client, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {"title": "Harbour Lights", "author": "Mira Sol"} | fields
    response = await client.post(f"{API}/books", json=body, headers=headers)
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/api/v1/books/{response.json()['id']}"
    created: dict[str, Any] = response.json()
    return created


async def test_a_readers_book_is_private_until_published_then_public_and_read_only(
    client: Client, services: Services
) -> None:
    owner, mine = await reader(client, services)
    _, theirs = await reader(client, services)
    _, moderator = await reader(client, services, role=Role.MODERATOR)
    book = await own_book(client, mine, description="lighthouse keepers")
    assert (book["published"], book["for_sale"], book["price"], book["stock"]) == (False, False, None, 0)
    assert book["added_by"] == {"id": str(owner.id), "username": owner.username}
    path = f"{API}/books/{book['id']}"

    assert (await client.get(path, headers=mine)).status_code == 200
    assert (await client.get(path, headers=moderator)).status_code == 200
    for headers in (theirs, {}):
        assert_problem(await client.get(path, headers=headers), 404, "not-found")
        assert_problem(await client.get(f"{path}/reviews", headers=headers), 404, "not-found")
    assert_problem(await client.patch(path, json={"title": "Mine now"}, headers=theirs), 404, "not-found")
    assert_problem(await client.delete(path, headers=theirs), 404, "not-found")
    assert_problem(await client.post(f"{API}/my-library/{book['id']}", json={}, headers=theirs), 404, "not-found")
    assert_problem(await client.post(f"{path}/publish", headers=mine), 403, "forbidden")

    # Its reader tracks it at once, and edits it while it is unpublished.
    assert (await client.post(f"{API}/my-library/{book['id']}", json={}, headers=mine)).status_code == 201
    edited = await client.patch(path, json={"title": "Harbour Lights (2nd ed.)"}, headers=mine)
    assert edited.status_code == 200, edited.text
    for change in ({"price": "1.00"}, {"stock": 1}):
        assert_problem(await client.patch(path, json=change, headers=mine), 403, "forbidden")

    published = await client.post(f"{path}/publish", headers=moderator)
    assert published.status_code == 200, published.text
    assert published.json()["published"] is True
    assert_problem(await client.post(f"{path}/publish", headers=moderator), 409, "conflict")
    assert (await client.get(path, headers=theirs)).status_code == 200
    assert titles(await list_books(client, q="lighthouse")) == ["Harbour Lights (2nd ed.)"]
    found = await client.get(f"{API}/books", params={"added_by": str(owner.id)}, headers=theirs)
    assert [b["id"] for b in found.json()["items"]] == [book["id"]]
    for headers in (mine, theirs):  # published: readers change it no more, not even its own
        assert_problem(await client.patch(path, json={"title": "X"}, headers=headers), 403, "forbidden")
        assert_problem(await client.delete(path, headers=headers), 403, "forbidden")


async def test_moderators_publish_edit_and_delete_readers_books_but_never_price(
    client: Client, services: Services
) -> None:
    _, mine = await reader(client, services)
    _, moderator = await reader(client, services, role=Role.MODERATOR)
    first, second = await own_book(client, mine, title="One"), await own_book(client, mine, title="Two")
    waiting = await client.get(f"{API}/books", params={"published": "false"}, headers=moderator)
    assert sorted(titles(waiting.json())) == ["One", "Two"]
    own = await client.get(f"{API}/books", params={"published": "false"}, headers=mine)
    assert own.json()["total"] == 2
    assert_problem(await client.get(f"{API}/books", params={"published": "false"}), 401, "unauthorized")
    path = f"{API}/books/{first['id']}"
    assert (await client.patch(path, json={"author": "M. Sol"}, headers=moderator)).json()["author"] == "M. Sol"
    assert_problem(await client.patch(path, json={"price": "3.00"}, headers=moderator), 403, "forbidden")
    assert_problem(await client.patch(f"{path}/stock", json={"stock": 3}, headers=moderator), 403, "forbidden")
    assert (await client.delete(f"{API}/books/{second['id']}", headers=moderator)).status_code == 204
    assert (await client.post(f"{path}/publish", headers=moderator)).status_code == 200
    assert (await client.patch(path, json={"title": "Uno"}, headers=moderator)).status_code == 200
    assert (await client.delete(path, headers=moderator)).status_code == 204


async def test_an_unpublished_book_is_in_no_public_list_count_search_or_cached_answer(
    client: Client, services: Services
) -> None:
    admin = await admin_headers(client, services)
    _, mine = await reader(client, services)
    await client.post(f"{API}/genres", json={"name": "Maritime"}, headers=admin)
    await create_book(client, admin, title="Open Sea", author="Ola Nord", genre="maritime", tags=["waves"])

    def public() -> list[Any]:
        return [
            client.get(f"{API}/books"),
            client.get(f"{API}/books", params={"q": "sea"}),
            client.get(f"{API}/books", params={"q": "secrte"}),  # the typo path
            client.get(f"{API}/books", params={"genre": "maritime", "in_stock": "false"}),
            client.get(f"{API}/books", params={"for_sale": "false"}),
            client.get(f"{API}/genres"),
            client.get(f"{API}/tags"),
        ]

    before = [(await request).json() for request in public()]  # warms every cache entry
    secret = await own_book(client, mine, title="Secret Sea", author="Ola Nord", genre="maritime", tags=["waves"])
    assert (await client.get(f"{API}/books/{secret['id']}", headers=mine)).status_code == 200  # not cached for others
    after = [(await request).json() for request in public()]
    assert after == before
    assert [g["book_count"] for g in after[5]] == [1]
    assert after[6] == [{"name": "waves", "book_count": 1}]
    assert_problem(await client.get(f"{API}/books/{secret['id']}"), 404, "not-found")

    moderator = (await reader(client, services, role=Role.MODERATOR))[1]
    assert (await client.post(f"{API}/books/{secret['id']}/publish", headers=moderator)).status_code == 200
    assert sorted(titles(await list_books(client, q="sea"))) == ["Open Sea", "Secret Sea"]
    assert titles(await list_books(client, for_sale="false")) == ["Secret Sea"]
    assert (await client.get(f"{API}/tags")).json() == [{"name": "waves", "book_count": 2}]


async def test_a_book_not_for_sale_stays_out_of_carts_checkouts_and_prebookings(
    client: Client, services: Services
) -> None:
    admin = await admin_headers(client, services)
    _, mine = await reader(client, services)
    _, buyer = await reader(client, services)
    moderator = (await reader(client, services, role=Role.MODERATOR))[1]
    book = await own_book(client, mine)
    path = f"{API}/books/{book['id']}"
    assert_problem(
        await client.post(f"{API}/cart/items", json={"book_id": book["id"]}, headers=mine), 409, "not-for-sale"
    )
    assert_problem(
        await client.post(f"{API}/cart/items", json={"book_id": book["id"]}, headers=buyer), 404, "not-found"
    )
    assert_problem(await client.patch(path, json={"price": "5.00"}, headers=admin), 409, "not-for-sale")
    await client.post(f"{path}/publish", headers=moderator)
    assert_problem(
        await client.post(f"{API}/cart/items", json={"book_id": book["id"]}, headers=buyer), 409, "not-for-sale"
    )
    assert_problem(
        await client.post(f"{API}/prebooks", json={"book_id": book["id"]}, headers=buyer), 409, "not-for-sale"
    )

    priced = await client.patch(path, json={"price": "5.00", "stock": 2}, headers=admin)
    assert (priced.json()["for_sale"], priced.json()["price"]) == (True, "5.00")
    assert (await client.post(f"{API}/cart/items", json={"book_id": book["id"]}, headers=buyer)).status_code == 201
    off = await client.patch(path, json={"price": None}, headers=admin)
    assert (off.json()["for_sale"], off.json()["price"]) == (False, None)
    cart = (await client.get(f"{API}/cart", headers=buyer)).json()
    assert (cart["items"][0]["unit_price"], cart["total"]) == (None, "0.00")
    assert_problem(await client.post(f"{API}/orders/checkout", headers=buyer), 409, "not-for-sale")
    assert (await client.get(path)).json()["stock"] == 2  # nothing taken

    await client.patch(path, json={"price": "6.00"}, headers=admin)
    order = await client.post(f"{API}/orders/checkout", headers=buyer)
    assert order.status_code == 201, order.text
    assert order.json()["total"] == "6.00"
    assert_problem(await client.delete(path, headers=moderator), 409, "conflict")  # it has orders
    assert (await client.delete(path, headers=admin)).status_code == 204


async def test_duplicates_are_conflicts_naming_a_book_the_caller_may_see(client: Client, services: Services) -> None:
    admin = await admin_headers(client, services)
    _, mine = await reader(client, services)
    _, theirs = await reader(client, services)
    published = await create_book(client, admin, title="Salt Roads", author="Tom Ash", isbn="0-306-40615-2")
    for body in ({"title": "SALT ROADS", "author": "tom ash"}, {"title": "Salt-Roads!", "author": "Ash, Tom"}):
        problem = assert_problem(await client.post(f"{API}/books", json=body, headers=mine), 409, "conflict")
        assert problem["existing_id"] == published["id"]  # case and punctuation ignored
    own = await own_book(client, mine, isbn="978-0-14-044913-6")
    problem = assert_problem(
        await client.post(f"{API}/books", json={"title": "harbour lights", "author": "MIRA SOL"}, headers=mine),
        409,
        "conflict",
    )
    assert problem["existing_id"] == own["id"]
    hidden = {"title": "Else", "author": "Else", "isbn": "9780140449136"}
    problem = assert_problem(await client.post(f"{API}/books", json=hidden, headers=theirs), 409, "conflict")
    assert "existing_id" not in problem  # someone else's unpublished book is not named


async def test_the_51st_book_of_a_day_is_rate_limited(client: Client, services: Services) -> None:
    _, mine = await reader(client, services)
    for n in range(50):
        response = await client.post(f"{API}/books", json={"title": f"Log {n}", "author": "Me"}, headers=mine)
        assert response.status_code == 201, response.text
    limited = await client.post(f"{API}/books", json={"title": "Log 50", "author": "Me"}, headers=mine)
    assert_problem(limited, 429, "rate-limited")
    assert int(limited.headers["retry-after"]) > 0
    admin = await admin_headers(client, services)
    await create_book(client, admin, title="Admins are not limited")


async def test_activity_of_each_kind_and_a_reviews_history(client: Client, services: Services) -> None:
    admin = await admin_headers(client, services)
    user, mine = await reader(client, services)
    book = await own_book(client, mine)
    await client.post(f"{API}/my-library/{book['id']}", json={"status": "READING"}, headers=mine)
    await client.patch(f"{API}/my-library/{book['id']}", json={"status": "COMPLETED"}, headers=mine)
    review = (
        await client.post(f"{API}/books/{book['id']}/reviews", json={"rating": 3, "text": "good"}, headers=mine)
    ).json()
    await client.patch(f"{API}/reviews/{review['id']}", json={"rating": 4}, headers=mine)
    await client.patch(f"{API}/reviews/{review['id']}", json={"text": "very good"}, headers=mine)
    history = await client.get(f"{API}/reviews/{review['id']}/history", headers=mine)
    assert [(v["rating"], v["text"]) for v in history.json()] == [(3, "good"), (4, "good")]
    assert_problem(await client.get(f"{API}/reviews/{review['id']}/history"), 404, "not-found")  # a private book's
    sold = await create_book(client, admin, title="On Sale", price="2.00", stock=1)
    sold_out = await create_book(client, admin, title="Sold Out", price="2.00", stock=0)
    await client.post(f"{API}/cart/items", json={"book_id": sold["id"]}, headers=mine)
    assert (await client.post(f"{API}/orders/checkout", headers=mine)).status_code == 201
    assert (await client.post(f"{API}/prebooks", json={"book_id": sold_out["id"]}, headers=mine)).status_code == 201
    assert (await client.delete(f"{API}/reviews/{review['id']}", headers=mine)).status_code == 204

    page = (await client.get(f"{API}/users/me/activity", headers=mine)).json()
    assert [e["kind"] for e in page["items"]] == [
        "review-deleted", "prebooked", "ordered", "review-edited", "review-edited", "review-written",
        "finished", "status-changed", "shelved", "book-added",
    ]  # fmt: skip
    assert page["total"] == 10
    assert page["items"][6]["detail"]["finished_on"] == page["items"][6]["at"][:10]  # finished today
    shelved = page["items"][8]
    assert shelved["book"] == {"id": book["id"], "title": "Harbour Lights", "author": "Mira Sol"}
    assert shelved["detail"] == {"status": "READING"}
    assert page["items"][2]["book"] is None
    assert page["items"][2]["detail"]["total"] == "2.00"
    only = (await client.get(f"{API}/users/me/activity", params={"kind": "review-edited"}, headers=mine)).json()
    assert (only["total"], {e["kind"] for e in only["items"]}) == (2, {"review-edited"})
    assert_problem(
        await client.get(f"{API}/users/me/activity", params={"kind": "dancing"}, headers=mine), 422, "validation"
    )
    assert_problem(await client.get(f"{API}/users/me/activity"), 401, "unauthorized")
    as_admin = await client.get(f"{API}/admin/users/{user.id}/activity", params={"limit": 2}, headers=admin)
    assert [e["id"] for e in as_admin.json()["items"]] == [e["id"] for e in page["items"][:2]]
    assert_problem(await client.get(f"{API}/admin/users/{user.id}/activity", headers=mine), 403, "forbidden")

    erased = await client.request(
        "DELETE", f"{API}/users/me", json={"password": "a-long-enough-passphrase"}, headers=mine
    )
    assert erased.status_code == 204, erased.text
    assert_problem(await client.get(f"{API}/admin/users/{user.id}/activity", headers=admin), 404, "not-found")
