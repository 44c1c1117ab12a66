"""POST /books/import and GET /books/import/{id}, end to end on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar.testing import AsyncTestClient

from domain.identity import Role
from entrypoints.bootstrap import Services
from tests.e2e.test_conventions import assert_problem
from tests.support.builders import add_book, add_user
from tests.support.http import API, session_for, signed_in
from tests.support.imports import isbn13

Client = AsyncTestClient[Any]
URL = f"{API}/books/import"


async def admin_headers(client: Client, services: Services) -> dict[str, str]:
    admin = await add_user(services, role=Role.ADMIN)
    return await session_for(client, admin.email)


async def upload(client: Client, headers: dict[str, str], data: bytes, name: str = "books.csv") -> Any:
    return await client.post(URL, files={"file": (name, data, "text/csv")}, headers=headers)


async def finished(client: Client, url: str, headers: dict[str, str]) -> dict[str, Any]:
    """Polls the status URL until the import (run by the app's in-process queue) is over."""
    for _ in range(600):
        response = await client.get(url, headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["status"] in {"completed", "failed"}:
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"import still {body['status']}")


async def test_an_admin_uploads_a_csv_and_follows_its_progress(client: Client, services: Services) -> None:
    headers = await admin_headers(client, services)
    await add_book(services, title="Old", author="Writer", isbn=isbn13(3), stock=0)
    data = (
        "title,author,price,isbn,stock,genre,tags\n"
        '"Dune, the novel",Frank Herbert,9.99,,5,Science Fiction,classic|desert\n'
        f"Old again,Writer,4.00,{isbn13(3)},2,,\n"
        "Nope,,1.00,,,,\n"
        "dune, the novel,x,1.00,,,,\n"
    ).encode()
    response = await upload(client, headers, data)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "pending"
    assert response.headers["location"] == f"{URL}/{body['id']}"
    progress = await finished(client, response.headers["location"], headers)
    assert progress["status"] == "completed"
    assert progress["filename"] == "books.csv"
    assert (progress["total_rows"], progress["processed_rows"]) == (4, 4)
    assert (progress["created"], progress["updated"], progress["failed_rows"]) == (1, 1, 2)
    assert [error["line"] for error in progress["errors"]] == [4, 5]
    assert progress["errors"][0]["message"].startswith("author:")
    assert progress["started_at"] is not None
    assert progress["finished_at"] is not None


async def test_only_admins_may_import(client: Client, services: Services) -> None:
    _, user = await signed_in(client)
    assert_problem(await upload(client, user, b"title,author,price\n"), 403, "forbidden")
    assert_problem(await upload(client, {}, b"title,author,price\n"), 401, "unauthorized")
    admin = await admin_headers(client, services)
    accepted = (await upload(client, admin, b"title,author,price\n")).json()
    assert_problem(await client.get(f"{URL}/{accepted['id']}", headers=user), 403, "forbidden")


async def test_an_unknown_import_is_404(client: Client, services: Services) -> None:
    headers = await admin_headers(client, services)
    response = await client.get(f"{URL}/7d3c5a57-0a0e-4a52-9f3c-3f1f8bd2b6b1", headers=headers)
    assert_problem(response, 404, "not-found")


async def test_files_that_cannot_be_imported_are_refused_at_upload(client: Client, services: Services) -> None:
    headers = await admin_headers(client, services)
    cases = [
        b"title,price\nDune,3.00\n",  # no author column
        b"Dune,Frank Herbert,9.99\n",  # no header row
        b"",  # empty
        b"title,author,price\nD\xfcne,X,1.00\n",  # Latin-1, not UTF-8
    ]
    for data in cases:
        body = assert_problem(await upload(client, headers, data), 422, "validation")
        assert body["errors"][0]["field"] == "file"
    not_multipart = await client.post(URL, content=b"title,author,price\n", headers=headers)
    assert_problem(not_multipart, 422, "validation")
    wrong_field = await client.post(URL, files={"csv": ("b.csv", b"title,author,price\n")}, headers=headers)
    assert_problem(wrong_field, 422, "validation")


async def test_a_file_over_50_mb_is_413(client: Client, services: Services) -> None:
    headers = await admin_headers(client, services)
    data = b"title,author,price\n" + b"A,B,1.00\n" * (51 * 1024 * 1024 // 9)
    assert_problem(await upload(client, headers, data), 413, "payload-too-large")
    # Whatever the size announced, the bytes themselves are counted as they stream in.
    boundary = "folio-boundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'.encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    lying = headers | {"content-type": f"multipart/form-data; boundary={boundary}", "content-length": "1000"}
    assert_problem(await client.post(URL, content=body, headers=lying), 413, "payload-too-large")


async def test_the_upload_is_documented_in_openapi(client: Client) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    post = schema["paths"][URL]["post"]
    assert "multipart/form-data" in post["requestBody"]["content"]
    assert "202" in post["responses"]
    assert f"{URL}/{{import_id}}" in schema["paths"]
