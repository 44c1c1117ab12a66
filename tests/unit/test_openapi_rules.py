"""The rules that give a handler added later its operation id, summary, `Location` and links, on a small app
shaped like the ones other branches add (a reading journal's reads), with no entry in any table."""

from __future__ import annotations

from uuid import UUID, uuid4

import msgspec
from hypothesis import given
from hypothesis import strategies as st
from litestar import Controller, Litestar, get, post
from litestar.openapi import OpenAPIConfig
from litestar.params import FromPath
from litestar.testing import TestClient

from entrypoints.http.locations import CreatedLocation, fill
from entrypoints.http.openapi_operations import operation_id, polish_operations, summary_of


class ReadOut(msgspec.Struct):
    id: UUID
    book_id: UUID


class ReadsController(Controller):
    path = "/api/v1"

    @post("/my-library/{book_id:uuid}/reads")
    async def start_read(self, book_id: FromPath[UUID]) -> ReadOut:
        """Opens a read of the book."""
        return ReadOut(uuid4(), book_id)

    @get("/reads/{read_id:uuid}")
    async def get_read(self, read_id: FromPath[UUID]) -> ReadOut:
        """One read."""
        return ReadOut(read_id, uuid4())


class GoalsController(Controller):
    path = "/api/v1/goals"

    @get("/")
    async def mine(self) -> list[str]:
        """The caller's goals."""
        return []


def _app() -> Litestar:
    app = Litestar(
        route_handlers=[ReadsController, GoalsController],
        middleware=[CreatedLocation],
        openapi_config=OpenAPIConfig(
            title="t", version="1", use_handler_docstrings=True, operation_id_creator=operation_id
        ),
    )
    polish_operations(app)
    return app


def test_a_new_handler_gets_an_id_a_summary_location_and_links_by_rule() -> None:
    app = _app()
    document = app.openapi_schema.to_schema()
    start = document["paths"]["/api/v1/my-library/{book_id}/reads"]["post"]
    assert start["operationId"] == "startRead"
    assert start["summary"] == "Start read"
    assert start["description"] == "Opens a read of the book."
    created = start["responses"]["201"]
    assert "Location" in created["headers"]
    assert created["links"]["getRead"]["parameters"] == {"read_id": "$response.body#/id"}
    assert document["paths"]["/api/v1/goals"]["get"]["operationId"] == "mineGoals"  # a bare verb gets its resource

    with TestClient(app) as client:
        book = uuid4()
        response = client.post(f"/api/v1/my-library/{book}/reads")
        assert response.status_code == 201
        assert response.headers["location"] == f"/api/v1/reads/{response.json()['id']}"
        assert client.get(response.headers["location"]).status_code == 200


@given(
    st.lists(st.sampled_from(["list", "my", "books", "to", "cart", "add", "pre", "booking"]), min_size=1, max_size=4)
)
def test_a_summary_reads_its_id_as_words(words: list[str]) -> None:
    camel = words[0] + "".join(w.title() for w in words[1:])
    summary = summary_of(camel)
    assert summary.lower() == " ".join(words)
    assert summary[0].isupper()


@given(st.uuids(), st.uuids())
def test_location_parameters_come_from_the_path_then_the_body(book: UUID, read: UUID) -> None:
    template = "/api/v1/my-library/{book_id}/reads/{read_id}"
    assert fill(template, {"book_id": book}, {"id": str(read)}) == f"/api/v1/my-library/{book}/reads/{read}"
    assert fill("/api/v1/wishlist/{book_id}", {}, {"book": {"id": str(book)}}) == f"/api/v1/wishlist/{book}"
    assert fill(template, {}, {"other": 1}) is None  # nothing to fill it with: no Location rather than a wrong one
