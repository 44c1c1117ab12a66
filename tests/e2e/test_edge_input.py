"""The edge's input rules on every database: text the database cannot hold, every field named, 415, ghosts."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar, get
from litestar.params import FromPath
from litestar.testing import AsyncTestClient

from application.ports.security import AccessClaims
from domain.identity import Role
from entrypoints.bootstrap import Services
from entrypoints.http.edge_input import EdgeInput, FolioRequest
from entrypoints.http.problems import exception_handlers
from tests.e2e.test_conventions import assert_problem
from tests.e2e.test_imports import admin_headers, finished, upload
from tests.support.builders import add_book
from tests.support.http import API, PASSWORD, bearer, register, signed_in

Client = AsyncTestClient[Any]
NUL = "must not contain a NUL character (U+0000)"
SURROGATE = "must not contain an unpaired surrogate (U+D800 to U+DFFF)"


def errors_of(response: Any) -> dict[str, str]:
    body = assert_problem(response, 422, "validation")
    return {error["field"]: error["message"] for error in body["errors"]}


async def post_json(client: Client, path: str, raw: str, headers: dict[str, str] | None = None) -> Any:
    """Posts JSON text as written (escapes such as \\u0000 reach the server as they are)."""
    headers = {"content-type": "application/json", **(headers or {})}
    return await client.post(f"{API}{path}", content=raw.encode(), headers=headers)


# --- the text rule: path, query, header, body, CSV -----------------------------------------------


async def test_the_fuzzer_s_genre_is_refused_not_a_server_error(client: Client) -> None:
    response = await client.get(f"{API}/books?genre=%0A%00%07B")
    assert errors_of(response) == {"genre": NUL}


async def test_nul_in_a_path_is_never_a_server_error(client: Client) -> None:
    for path in ("/books/%00", f"/books/{uuid.uuid4()}%00/reviews", "/users/%00"):
        assert_problem(await client.get(f"{API}{path}"), 404, "not-found")  # no route takes it


async def test_nul_in_a_text_path_parameter_is_refused_by_name() -> None:
    """Folio's path ids are UUIDs today (NUL matches no route); a text parameter gets the same rule."""

    @get("/things/{slug:str}")
    async def thing(slug: FromPath[str]) -> str:
        return slug

    app = Litestar([thing], middleware=[EdgeInput], request_class=FolioRequest, exception_handlers=exception_handlers)
    async with AsyncTestClient(app=app) as http:
        assert (await http.get("/things/fine")).text == "fine"
        assert errors_of(await http.get("/things/bad%00slug")) == {"slug": NUL}


@pytest.mark.parametrize("name", ["q", "genre", "author", "tag", "language", "min_price"])
async def test_nul_in_any_query_parameter_is_refused_by_name(client: Client, name: str) -> None:
    assert errors_of(await client.get(f"{API}/books", params={name: "dune\x00"})) == {name: NUL}


async def test_nul_in_a_query_parameter_no_route_declares_is_refused_too(client: Client) -> None:
    assert errors_of(await client.get(f"{API}/genres", params={"extra": "\x00"})) == {"extra": NUL}


async def test_nul_in_a_header_is_refused_by_its_name(client: Client) -> None:
    _, auth = await signed_in(client)
    await client.post(f"{API}/cart/items", json={"book_id": str(uuid.uuid4())}, headers=auth)
    response = await client.post(f"{API}/orders/checkout", headers={**auth, "Idempotency-Key": "k\x00ey"})
    assert errors_of(response) == {"idempotency-key": NUL}
    assert errors_of(await client.get(f"{API}/books", headers={"X-Anything": "\x00"})) == {"x-anything": NUL}


async def test_a_header_that_is_not_text_is_a_400(client: Client) -> None:
    # httpx re-encodes header values, so the raw bytes go straight to the ASGI app.
    app: Litestar = client.app  # type: ignore[assignment]
    status, body = await _raw_get(app, f"{API}/books", [(b"x-anything", b"\xff\xfe")])
    assert status == 400
    assert body["type"] == "/problems/bad-request"
    assert "x-anything" in body["detail"]


async def _raw_get(app: Litestar, path: str, headers: list[tuple[bytes, bytes]]) -> tuple[int, dict[str, Any]]:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"testserver"), *headers], "client": ("127.0.0.1", 1), "server": ("testserver", 80),
    }  # fmt: skip
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)  # type: ignore[arg-type]
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], json.loads(body)


async def test_nul_and_lone_surrogates_in_a_json_body_are_refused_at_any_depth(client: Client) -> None:
    raw = '{"email": "a\\u0000@example.com", "username": "x\\ud800", "password": "%s", "full_name": "ok"}'
    assert errors_of(await post_json(client, "/auth/register", raw % PASSWORD)) == {
        "email": NUL,
        "username": SURROGATE,
    }
    _, auth = await signed_in(client)
    nested = '{"status": "READING", "deep": {"list": ["fine", "\\udfff"]}, "k\\u0000": 1}'
    assert errors_of(await post_json(client, f"/my-library/{uuid.uuid4()}", nested, auth)) == {
        "deep.list[1]": SURROGATE,
        "k\\x00": f"the field name {NUL}",
    }


async def test_a_surrogate_pair_is_one_character_and_is_kept(client: Client) -> None:
    raw = '{"email": "pair@example.com", "username": "pair", "password": "%s", "full_name": "a\\ud83d\\ude00b"}'
    response = await post_json(client, "/auth/register", raw % PASSWORD)
    assert response.status_code == 201, response.text
    assert response.json()["full_name"] == "a\U0001f600b"


async def test_nul_in_the_password_form_is_refused_and_the_form_still_works(client: Client) -> None:
    user = await register(client)
    refused = await client.post(f"{API}/auth/token", data={"username": user["email"] + "\x00", "password": PASSWORD})
    assert errors_of(refused) == {"username": NUL}
    tokens = await client.post(f"{API}/auth/token", data={"username": user["email"], "password": PASSWORD})
    assert tokens.status_code == 200, tokens.text


async def test_a_csv_row_with_nul_is_a_row_error_and_the_other_rows_go_on(client: Client, services: Services) -> None:
    headers = await admin_headers(client, services)
    data = b"title,author,price\nFine,Writer,1.00\nBro\x00ken,Writer,2.00\nAlso fine,Writer,3.00\n"
    response = await upload(client, headers, data)
    assert response.status_code == 202, response.text
    progress = await finished(client, response.headers["location"], headers)
    assert progress["status"] == "completed"
    assert (progress["created"], progress["failed_rows"]) == (2, 1)
    assert progress["errors"] == [{"line": 3, "message": f"title: {NUL}"}]


async def test_a_file_name_with_nul_is_refused(client: Client, services: Services) -> None:
    headers = await admin_headers(client, services)
    # httpx escapes control characters in file names: the form is written by hand.
    form = b'--x\r\nContent-Disposition: form-data; name="file"; filename="bo\x00oks.csv"\r\n\r\ntitle\r\n--x--\r\n'
    multipart = {**headers, "content-type": "multipart/form-data; boundary=x"}
    response = await client.post(f"{API}/books/import", content=form, headers=multipart)
    assert errors_of(response) == {"file": f"the file name {NUL}"}


@pytest.mark.parametrize(
    ("query", "field"),
    [("limit=100000000000000000000000", "limit"), ("offset=99999999999999999999", "offset"), ("limit=-1", "limit")],
)
async def test_numbers_past_their_bounds_are_422(client: Client, query: str, field: str) -> None:
    assert field in errors_of(await client.get(f"{API}/books?{query}"))


async def test_values_past_a_column_s_bounds_are_422_not_500(client: Client, services: Services) -> None:
    admin = await admin_headers(client, services)
    book = {"title": "t" * 501, "author": "a", "price": "1.00", "pages": 10**30, "stock": 2**40, "tags": ["x" * 51]}
    response = await client.post(f"{API}/books", json=book, headers=admin)
    assert set(errors_of(response)) == {"title", "pages", "stock", "tags[0]"}
    _, auth = await signed_in(client)
    cart = await client.post(f"{API}/cart/items", json={"book_id": str(uuid.uuid4()), "quantity": 10**20}, headers=auth)
    assert set(errors_of(cart)) == {"quantity"}


# --- every offending field, each by its own name ----------------------------------------------------


async def test_every_missing_and_bad_field_of_a_body_is_named(client: Client, services: Services) -> None:
    admin = await admin_headers(client, services)
    response = await client.post(f"{API}/books", json={"pages": 0, "tags": ["ok", ""], "stock": -1}, headers=admin)
    errors = errors_of(response)
    # `price` is optional in the body (a reader's book has none); an admin's missing price is the use case's 422
    assert set(errors) == {"title", "author", "pages", "tags[1]", "stock"}
    assert "body" not in errors
    assert errors["title"] == "Field required"


async def test_nested_fields_are_named_with_their_index(client: Client) -> None:
    raw = '{"email": "n@example.com", "username": 7, "password": ["not", "text"]}'
    assert set(errors_of(await post_json(client, "/auth/register", raw))) == {"username", "password"}


async def test_query_path_and_body_errors_come_in_one_answer(client: Client, services: Services) -> None:
    admin = await admin_headers(client, services)
    book = await add_book(services, title="Kept", author="Someone")
    response = await client.patch(
        f"{API}/books/{book.id}?note=%00", json={"title": "", "pages": "many", "tags": None}, headers=admin
    )
    assert set(errors_of(response)) == {"note", "title", "pages"}
    listing = await client.get(f"{API}/books?limit=0&offset=-1&sort=nonsense&q=%00")
    assert set(errors_of(listing)) == {"limit", "offset", "sort", "q"}


async def test_a_missing_body_is_named_as_the_body(client: Client) -> None:
    response = await client.post(f"{API}/auth/login", headers={"content-type": "application/json"})
    assert errors_of(response) == {"body": "A request body is required"}


# --- 415 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "payload"),
    [
        ("text/plain", b'{"email": "a@example.com", "password": "whatever-it-is"}'),
        ("application/x-www-form-urlencoded", b"email=a%40example.com&password=whatever-it-is"),
        ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data; name=email\r\n\r\na\r\n--x--\r\n"),
    ],
)
async def test_a_body_that_is_not_json_on_a_json_endpoint_is_415(
    client: Client, content_type: str, payload: bytes
) -> None:
    response = await client.post(f"{API}/auth/login", content=payload, headers={"content-type": content_type})
    body = assert_problem(response, 415, "unsupported-media-type")
    assert content_type.partition(";")[0] in body["detail"]


async def test_json_with_a_charset_or_a_json_suffix_is_json(client: Client) -> None:
    user = await register(client)
    for content_type in ("application/json; charset=utf-8", "application/vnd.folio+json"):
        response = await client.post(
            f"{API}/auth/login",
            content=json.dumps({"email": user["email"], "password": PASSWORD}).encode(),
            headers={"content-type": content_type},
        )
        assert response.status_code == 200, (content_type, response.text)


async def test_json_on_the_form_endpoint_is_415(client: Client) -> None:
    response = await client.post(f"{API}/auth/token", json={"username": "a@example.com", "password": PASSWORD})
    assert_problem(response, 415, "unsupported-media-type")


# --- 401 for a token whose subject does not exist --------------------------------------------------


def ghost_token(services: Services, role: Role = Role.ADMIN) -> str:
    """A token signed with the real key, for a user id this database never had."""
    now = services.clock.now()
    claims = AccessClaims(uuid.uuid4(), role, uuid.uuid4().hex, uuid.uuid4(), now, now + timedelta(minutes=5))
    return services.credentials.access_tokens.issue(claims)


async def test_a_token_for_no_user_is_401_on_users_me(client: Client, services: Services) -> None:
    response = await client.get(f"{API}/users/me", headers=bearer(ghost_token(services)))
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_token_for_no_user_is_401_on_every_authenticated_route(client: Client, services: Services) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    auth = bearer(ghost_token(services))
    checked = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or not operation.get("security"):
                continue
            url = re.sub(r"\{year\}", "2026", path)  # the one whole-number path parameter
            url = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), url)
            response = await client.request(method.upper(), url, json={}, headers=auth)
            assert response.status_code == 401, f"{method.upper()} {path}: {response.status_code} {response.text}"
            assert response.headers["www-authenticate"] == "Bearer"
            checked += 1
    assert checked > 30


async def test_a_deleted_user_s_token_is_401_as_before(client: Client) -> None:
    _, auth = await signed_in(client)
    deleted = await client.request("DELETE", f"{API}/users/me", json={"password": PASSWORD}, headers=auth)
    assert deleted.status_code == 204, deleted.text
    assert_problem(await client.get(f"{API}/users/me", headers=auth), 401, "unauthorized")


async def test_the_password_form_names_its_missing_and_bad_fields(client: Client) -> None:
    response = await client.post(f"{API}/auth/token", data={"grant_type": "password"})
    assert set(errors_of(response)) == {"username", "password"}
