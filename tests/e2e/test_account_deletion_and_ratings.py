"""Deleting an account takes its reviews off the books' rating figures in the same transaction."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from entrypoints.bootstrap import Services
from tests.support.builders import add_book, add_user
from tests.support.http import API, PASSWORD, session_for

Client = AsyncTestClient[Any]


async def test_deleting_a_reviewer_updates_the_book_figures(client: Client, services: Services) -> None:
    book = await add_book(services)
    stays, leaves = await add_user(services), await add_user(services)
    for user, rating in ((stays, 5), (leaves, 1)):
        auth = await session_for(client, user.email)
        assert (
            await client.post(f"{API}/my-library/{book.id}", json={"status": "COMPLETED"}, headers=auth)
        ).status_code == 201
        assert (
            await client.post(f"{API}/books/{book.id}/reviews", json={"rating": rating}, headers=auth)
        ).status_code == 201

    auth = await session_for(client, leaves.email)
    gone = await client.request("DELETE", f"{API}/users/me", json={"password": PASSWORD}, headers=auth)
    assert gone.status_code == 204, gone.text

    async with services.uow(read_only=True) as uow:
        stored = await uow.books.get(book.id)
    assert stored is not None
    assert stored.review_count == 1
    assert stored.average_rating == 5.0
