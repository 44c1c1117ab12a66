"""Cart, checkout, orders and pre-bookings over HTTP, on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from litestar.testing import AsyncTestClient

from domain.identity import Role
from entrypoints.bootstrap import Services
from tests.e2e.test_conventions import assert_problem
from tests.support.builders import add_book
from tests.support.commerce import buyer, outbox, put_in_cart, restock, set_price, stock_of
from tests.support.http import API

Client = AsyncTestClient[Any]


async def test_the_cart_merges_lines_prices_them_and_keeps_within_stock(client: Client, services: Services) -> None:
    _, me = await buyer(client, services)
    book = await add_book(services, price="12.34", stock=5)

    empty = await client.get(f"{API}/cart", headers=me)
    assert empty.status_code == 200
    assert empty.json() == {"items": [], "total": "0.00", "currency": "USD"}

    first = await client.post(f"{API}/cart/items", json={"book_id": str(book.id), "quantity": 2}, headers=me)
    assert first.status_code == 201, first.text
    again = await client.post(f"{API}/cart/items", json={"book_id": str(book.id), "quantity": 1}, headers=me)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert (again.json()["quantity"], again.json()["line_total"]) == (3, "37.02")
    too_many = await client.post(f"{API}/cart/items", json={"book_id": str(book.id), "quantity": 3}, headers=me)
    assert_problem(too_many, 409, "insufficient-stock")

    cart = (await client.get(f"{API}/cart", headers=me)).json()
    [item] = cart["items"]
    assert item["book"] == {
        "id": str(book.id),
        "title": book.title,
        "author": book.author,
        "price": "12.34",
        "stock": 5,
    }
    assert (item["quantity"], item["unit_price"], item["line_total"], cart["total"]) == (3, "12.34", "37.02", "37.02")

    await set_price(services, book.id, "10.00")  # the cart follows the current price
    assert (await client.get(f"{API}/cart", headers=me)).json()["total"] == "30.00"


async def test_cart_requests_are_checked(client: Client, services: Services) -> None:
    _, me = await buyer(client, services)
    book = await add_book(services, stock=500)
    for body in ({"book_id": str(book.id), "quantity": 0}, {"book_id": str(book.id), "quantity": 101}, {"quantity": 1}):
        assert_problem(await client.post(f"{API}/cart/items", json=body, headers=me), 422, "validation")
    assert_problem(
        await client.post(f"{API}/cart/items", json={"book_id": "nope", "quantity": 1}, headers=me), 422, "validation"
    )
    unknown = await client.post(f"{API}/cart/items", json={"book_id": str(uuid4()), "quantity": 1}, headers=me)
    assert_problem(unknown, 404, "not-found")
    assert_problem(await client.get(f"{API}/cart"), 401, "unauthorized")
    assert_problem(await client.post(f"{API}/cart/items", json={"book_id": str(book.id)}), 401, "unauthorized")
    line = await put_in_cart(client, me, book.id, 99)
    over = await client.post(f"{API}/cart/items", json={"book_id": str(book.id), "quantity": 2}, headers=me)
    assert_problem(over, 422, "validation")  # one line holds at most 100 copies
    assert (await client.get(f"{API}/cart", headers=me)).json()["items"][0]["quantity"] == line["quantity"]


async def test_cart_lines_can_be_changed_and_removed_only_by_their_owner(client: Client, services: Services) -> None:
    _, me = await buyer(client, services)
    _, other = await buyer(client, services)
    book = await add_book(services, stock=4)
    line = await put_in_cart(client, me, book.id)
    url = f"{API}/cart/items/{line['id']}"

    assert_problem(await client.put(url, json={"quantity": 2}, headers=other), 404, "not-found")
    assert_problem(await client.delete(url, headers=other), 404, "not-found")
    changed = await client.put(url, json={"quantity": 4}, headers=me)
    assert changed.status_code == 200
    assert (changed.json()["quantity"], changed.json()["id"]) == (4, line["id"])
    assert_problem(await client.put(url, json={"quantity": 5}, headers=me), 409, "insufficient-stock")
    assert_problem(await client.put(url, json={"quantity": 0}, headers=me), 422, "validation")
    assert_problem(await client.put(url, json={"quantity": 1}), 401, "unauthorized")
    assert (await client.delete(url, headers=me)).status_code == 204
    assert_problem(await client.delete(url, headers=me), 404, "not-found")
    assert_problem(await client.put(url, json={"quantity": 1}, headers=me), 404, "not-found")
    assert (await client.get(f"{API}/cart", headers=me)).json()["items"] == []


async def test_checkout_makes_a_confirmed_order_with_snapshots_and_a_mail(client: Client, services: Services) -> None:
    user, me = await buyer(client, services)
    cheap = await add_book(services, price="9.99", stock=3)
    dear = await add_book(services, price="20.01", stock=1)
    await put_in_cart(client, me, cheap.id, 2)
    await put_in_cart(client, me, dear.id, 1)

    response = await client.post(f"{API}/orders/checkout", headers=me)

    assert response.status_code == 201, response.text
    order = response.json()
    assert (order["status"], order["total"], order["currency"]) == ("CONFIRMED", "39.99", "USD")
    assert {
        (i["book_id"], i["title"], i["author"], i["unit_price"], i["quantity"], i["line_total"]) for i in order["items"]
    } == {
        (str(cheap.id), cheap.title, cheap.author, "9.99", 2, "19.98"),
        (str(dear.id), dear.title, dear.author, "20.01", 1, "20.01"),
    }
    assert order["created_at"].endswith(("Z", "+00:00"))
    assert (await stock_of(services, cheap.id), await stock_of(services, dear.id)) == (1, 0)
    assert (await client.get(f"{API}/cart", headers=me)).json()["items"] == []
    [mail] = await outbox(services, "order-confirmation")
    assert (mail.recipient, mail.data["order_id"], mail.data["total"]) == (user.email, order["id"], "39.99")

    await set_price(services, cheap.id, "50.00")  # later price changes leave the order as it was
    again = (await client.get(f"{API}/orders/{order['id']}", headers=me)).json()
    assert (again["total"], sorted(i["unit_price"] for i in again["items"])) == ("39.99", ["20.01", "9.99"])


async def test_checkout_refusals(client: Client, services: Services) -> None:
    _, me = await buyer(client, services)
    assert_problem(await client.post(f"{API}/orders/checkout", headers=me), 422, "cart-empty")
    assert_problem(await client.post(f"{API}/orders/checkout"), 401, "unauthorized")

    book = await add_book(services, stock=2)
    await put_in_cart(client, me, book.id, 2)
    await restock(services, book.id, 1)
    assert_problem(await client.post(f"{API}/orders/checkout", headers=me), 409, "insufficient-stock")
    assert await stock_of(services, book.id) == 1
    assert len((await client.get(f"{API}/cart", headers=me)).json()["items"]) == 1
    assert (await client.get(f"{API}/orders", headers=me)).json()["total"] == 0

    _, unverified = await buyer(client, services, verified=False)
    await put_in_cart(client, unverified, book.id, 1)
    assert_problem(await client.post(f"{API}/orders/checkout", headers=unverified), 403, "email-not-verified")

    long_key = {**me, "Idempotency-Key": "k" * 256}
    assert_problem(await client.post(f"{API}/orders/checkout", headers=long_key), 422, "validation")


async def test_a_declined_payment_is_a_402_and_a_kept_failed_order(client: Client, services: Services) -> None:
    _, me = await buyer(client, services)
    book = await add_book(services, price="6000.00", stock=3)  # 12000.00 is over the default 10000.00 limit
    await put_in_cart(client, me, book.id, 2)

    declined = await client.post(f"{API}/orders/checkout", headers={**me, "Idempotency-Key": "pay-1"})

    assert_problem(declined, 402, "payment-failed")
    orders = (await client.get(f"{API}/orders", headers=me)).json()
    assert [(o["status"], o["total"]) for o in orders["items"]] == [("PAYMENT_FAILED", "12000.00")]
    assert await stock_of(services, book.id) == 3
    assert (await client.get(f"{API}/cart", headers=me)).json()["total"] == "12000.00"
    assert await outbox(services, "order-confirmation") == []
    again = await client.post(f"{API}/orders/checkout", headers={**me, "Idempotency-Key": "pay-1"})
    assert_problem(again, 402, "payment-failed")
    assert (await client.get(f"{API}/orders", headers=me)).json()["total"] == 1


async def test_an_idempotency_key_replays_the_same_order_once(client: Client, services: Services) -> None:
    _, me = await buyer(client, services)
    book = await add_book(services, stock=5)
    await put_in_cart(client, me, book.id, 2)
    keyed = {**me, "Idempotency-Key": "checkout-42"}

    first = await client.post(f"{API}/orders/checkout", headers=keyed)
    await put_in_cart(client, me, book.id, 1)  # a new cart does not change what the key answers
    second = await client.post(f"{API}/orders/checkout", headers=keyed)

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == first.json()
    assert await stock_of(services, book.id) == 3
    assert len((await client.get(f"{API}/cart", headers=me)).json()["items"]) == 1
    _, other = await buyer(client, services)  # keys are per user
    await put_in_cart(client, other, book.id, 1)
    assert (
        await client.post(f"{API}/orders/checkout", headers={**other, "Idempotency-Key": "checkout-42"})
    ).status_code == 201


async def test_orders_are_private_and_admins_see_them_all(client: Client, services: Services) -> None:
    buyer_user, me = await buyer(client, services)
    _, other = await buyer(client, services)
    _, admin = await buyer(client, services, role=Role.ADMIN)
    book = await add_book(services, stock=10)
    ids = []
    for _ in range(3):
        await put_in_cart(client, me, book.id)
        ids.append((await client.post(f"{API}/orders/checkout", headers=me)).json()["id"])
    await put_in_cart(client, other, book.id)
    other_order = (await client.post(f"{API}/orders/checkout", headers=other)).json()["id"]

    page = (await client.get(f"{API}/orders?limit=2&offset=0", headers=me)).json()
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 0)
    everything = (await client.get(f"{API}/orders", headers=me)).json()["items"]
    assert [o["created_at"] for o in everything] == sorted((o["created_at"] for o in everything), reverse=True)
    assert {o["id"] for o in everything} == set(ids)
    assert (await client.get(f"{API}/orders/{ids[0]}", headers=me)).status_code == 200
    assert_problem(await client.get(f"{API}/orders/{other_order}", headers=me), 404, "not-found")
    assert_problem(await client.get(f"{API}/orders/{uuid4()}", headers=me), 404, "not-found")
    assert (await client.get(f"{API}/orders/{other_order}", headers=admin)).status_code == 200
    assert_problem(await client.get(f"{API}/orders?limit=0", headers=me), 422, "validation")
    assert_problem(await client.get(f"{API}/orders"), 401, "unauthorized")

    all_orders = (await client.get(f"{API}/admin/orders", headers=admin)).json()
    assert all_orders["total"] == 4
    mine = (await client.get(f"{API}/admin/orders?user_id={buyer_user.id}&status=CONFIRMED", headers=admin)).json()
    assert {o["id"] for o in mine["items"]} == set(ids)
    failed = (await client.get(f"{API}/admin/orders?status=PAYMENT_FAILED", headers=admin)).json()
    assert failed["total"] == 0
    assert_problem(await client.get(f"{API}/admin/orders?status=LOST", headers=admin), 422, "validation")
    assert_problem(await client.get(f"{API}/admin/orders?user_id=x", headers=admin), 422, "validation")
    assert_problem(await client.get(f"{API}/admin/orders", headers=me), 403, "forbidden")
    assert_problem(await client.get(f"{API}/admin/orders"), 401, "unauthorized")


async def test_prebooking_a_sold_out_book_and_being_told_when_it_is_back(client: Client, services: Services) -> None:
    user, me = await buyer(client, services)
    _, other = await buyer(client, services)
    sold_out = await add_book(services, stock=0)
    in_stock = await add_book(services, stock=1)

    created = await client.post(f"{API}/prebooks", json={"book_id": str(sold_out.id)}, headers=me)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["status"], body["book"]["id"], body["book"]["stock"], body["notified_at"]) == (
        "WAITING",
        str(sold_out.id),
        0,
        None,
    )
    assert "isbn" in body["book"]  # the whole Book
    again = await client.post(f"{API}/prebooks", json={"book_id": str(sold_out.id)}, headers=me)
    assert_problem(again, 409, "already-prebooked")
    in_stock_response = await client.post(f"{API}/prebooks", json={"book_id": str(in_stock.id)}, headers=me)
    assert_problem(in_stock_response, 409, "book-in-stock")
    assert_problem(await client.post(f"{API}/prebooks", json={"book_id": str(uuid4())}, headers=me), 404, "not-found")
    assert_problem(await client.post(f"{API}/prebooks", json={}, headers=me), 422, "validation")
    assert_problem(await client.post(f"{API}/prebooks", json={"book_id": str(sold_out.id)}), 401, "unauthorized")

    await restock(services, sold_out.id, 4)

    [mail] = await outbox(services, "back-in-stock")
    assert (mail.recipient, mail.data["title"]) == (user.email, sold_out.title)
    page = (await client.get(f"{API}/prebooks", headers=me)).json()
    assert page["total"] == 1
    assert page["items"][0]["status"] == "NOTIFIED"
    assert page["items"][0]["notified_at"] is not None
    assert (await client.get(f"{API}/prebooks", headers=other)).json()["total"] == 0


async def test_cancelling_a_prebooking(client: Client, services: Services) -> None:
    _, me = await buyer(client, services)
    _, other = await buyer(client, services)
    book = await add_book(services, stock=0)
    prebooking = (await client.post(f"{API}/prebooks", json={"book_id": str(book.id)}, headers=me)).json()
    url = f"{API}/prebooks/{prebooking['id']}"

    assert_problem(await client.delete(url, headers=other), 404, "not-found")
    assert_problem(await client.delete(f"{API}/prebooks/{uuid4()}", headers=me), 404, "not-found")
    assert_problem(await client.delete(url), 401, "unauthorized")
    assert (await client.delete(url, headers=me)).status_code == 204
    [item] = (await client.get(f"{API}/prebooks", headers=me)).json()["items"]
    assert item["status"] == "CANCELLED"
    renewed = await client.post(f"{API}/prebooks", json={"book_id": str(book.id)}, headers=me)
    assert renewed.status_code == 201

    await restock(services, book.id, 2)
    assert len(await outbox(services, "back-in-stock")) == 1


async def test_concurrent_checkouts_never_oversell_on_either_database(client: Client, services: Services) -> None:
    import asyncio

    book = await add_book(services, stock=3)
    sessions = [(await buyer(client, services))[1] for _ in range(8)]
    for headers in sessions:
        await put_in_cart(client, headers, book.id)

    responses = await asyncio.gather(*(client.post(f"{API}/orders/checkout", headers=h) for h in sessions))

    assert sorted(r.status_code for r in responses) == [201] * 3 + [409] * 5
    assert await stock_of(services, book.id) == 0


async def test_the_openapi_schema_lists_the_store(client: Client) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    for path in ("/cart", "/cart/items", "/cart/items/{item_id}", "/orders/checkout", "/orders", "/orders/{order_id}"):
        assert f"{API}{path}" in paths
    for path in ("/admin/orders", "/prebooks", "/prebooks/{prebooking_id}"):
        assert f"{API}{path}" in paths
    parameters = paths[f"{API}/orders/checkout"]["post"]["parameters"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in parameters)


async def test_adding_one_book_twice_at_once_merges_into_one_line(client: Client, services: Services) -> None:
    import asyncio

    _, me = await buyer(client, services)
    book = await add_book(services, stock=10)
    body = {"book_id": str(book.id), "quantity": 2}

    responses = await asyncio.gather(*(client.post(f"{API}/cart/items", json=body, headers=me) for _ in range(3)))

    assert sorted(r.status_code for r in responses) == [200, 200, 201]
    [item] = (await client.get(f"{API}/cart", headers=me)).json()["items"]
    assert item["quantity"] == 6
