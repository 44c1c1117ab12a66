"""Over HTTP: `Location` on every 201, gzip, OPTIONS by the CORS rules, the docs assets, and the
landing pages of the emailed links (CSRF-protected forms calling the same use cases as the API)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from domain.shelf import ShelfStatus
from entrypoints.bootstrap import Services, bootstrap
from entrypoints.http.app import create_app
from tests.support.builders import add_user
from tests.support.catalog import admin_headers
from tests.support.commerce import buyer
from tests.support.http import API, PASSWORD, login, register
from tests.support.identity import mails, reset_code, verification_token
from tests.support.settings import make_settings

Client = AsyncTestClient[Any]
_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


@pytest.fixture
async def sqlite_services(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Services]:
    wired = bootstrap(make_settings(tmp_path / "var", database_url=sqlite_url))
    yield wired
    await wired.aclose()


@pytest.fixture
async def web(sqlite_services: Services) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=create_app(sqlite_services)) as http:
        yield http


async def _created(client: Client, response: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """A 201 whose Location names the new resource: reading it (where it can be read) gives the same id."""
    assert response.status_code == 201, response.text
    assert "location" in response.headers, (response.request.url, response.headers, response.text)
    location = response.headers["location"]
    assert location.startswith(f"{API}/"), location
    body: dict[str, Any] = response.json()
    if "id" in body:
        assert location.endswith(f"/{body['id']}"), (location, body)
    return body


async def test_every_201_carries_the_location_of_what_it_created(client: Client, services: Services) -> None:
    admin = await admin_headers(client, services)
    user = await _created(client, await client.post(f"{API}/auth/register", json=_signup("located")))
    assert (await client.get(f"{API}/users/{user['id']}")).status_code == 200

    made = await client.post(f"{API}/admin/users", json=_signup("staff") | {"role": "MODERATOR"}, headers=admin)
    staff = await _created(client, made)
    assert (await client.get(made.headers["location"], headers=admin)).json()["id"] == staff["id"]

    created = await client.post(
        f"{API}/books", json={"title": "Dune", "author": "Herbert", "price": "9.99"}, headers=admin
    )
    book = await _created(client, created)
    assert (await client.get(created.headers["location"])).json()["id"] == book["id"]
    await client.patch(f"{API}/books/{book['id']}/stock", json={"stock": 5}, headers=admin)
    genre = await client.post(f"{API}/genres", json={"name": "Science fiction"}, headers=admin)
    await _created(client, genre)

    _, reader = await buyer(client, services)
    shelved = await client.post(
        f"{API}/my-library/{book['id']}", json={"status": ShelfStatus.COMPLETED}, headers=reader
    )
    await _created(client, shelved)
    assert shelved.headers["location"] == f"{API}/my-library/{book['id']}"
    review = await client.post(f"{API}/books/{book['id']}/reviews", json={"rating": 5}, headers=reader)
    written = await _created(client, review)
    assert review.headers["location"] == f"{API}/reviews/{written['id']}"

    line = await client.post(f"{API}/cart/items", json={"book_id": book["id"], "quantity": 1}, headers=reader)
    item = await _created(client, line)
    assert line.headers["location"] == f"{API}/cart/items/{item['id']}"
    checkout = await client.post(f"{API}/orders/checkout", headers=reader)
    order = await _created(client, checkout)
    assert (await client.get(checkout.headers["location"], headers=reader)).json()["id"] == order["id"]

    _, other = await buyer(client, services)
    wished = await client.post(f"{API}/wishlist", json={"book_id": book["id"]}, headers=other)
    await _created(client, wished)
    assert wished.headers["location"] == f"{API}/wishlist/{book['id']}"
    await client.patch(f"{API}/books/{book['id']}/stock", json={"stock": 0}, headers=admin)
    waiting = await client.post(f"{API}/prebooks", json={"book_id": book["id"]}, headers=other)
    await _created(client, waiting)


async def test_a_repeated_checkout_answers_200_without_location(client: Client, services: Services) -> None:
    admin = await admin_headers(client, services)
    created = await client.post(
        f"{API}/books", json={"title": "Emma", "author": "Austen", "price": "5.00", "stock": 3}, headers=admin
    )
    _, reader = await buyer(client, services)
    await client.post(f"{API}/cart/items", json={"book_id": created.json()["id"]}, headers=reader)
    key = {"Idempotency-Key": "same-key"} | reader
    assert (await client.post(f"{API}/orders/checkout", headers=key)).status_code == 201
    again = await client.post(f"{API}/orders/checkout", headers=key)
    assert again.status_code == 200
    assert "location" not in again.headers


def _signup(name: str) -> dict[str, str]:
    return {"email": f"{name}@example.com", "username": name, "password": PASSWORD}


async def test_responses_are_gzipped_when_the_client_accepts_it(web: Client) -> None:
    raw = await web.get("/schema/openapi.json", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers
    zipped = await web.get("/schema/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in zipped.headers["vary"].lower()
    assert zipped.json() == raw.json()  # httpx undid the gzip; the wire size is smaller:
    assert int(zipped.headers["content-length"]) < len(raw.content) / 5
    script = await web.get("/schema/assets/docs/redoc-2.5.4/redoc.standalone.js", headers={"Accept-Encoding": "gzip"})
    assert script.headers["content-encoding"] == "gzip"


async def test_options_is_never_refused_for_want_of_a_token(web: Client) -> None:
    for path in ("/cart", "/admin/users", "/orders/checkout", "/users/me"):
        response = await web.options(f"{API}{path}")
        assert response.status_code == 204, (path, response.text)
        assert "OPTIONS" in response.headers["allow"]


async def test_a_preflight_answers_by_the_cors_rules(sqlite_url: str, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "var", database_url=sqlite_url, cors_origins="https://app.example.com")
    services = bootstrap(settings)
    try:
        async with AsyncTestClient(app=create_app(services)) as http:
            preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
            allowed = await http.options(f"{API}/cart/items", headers={"Origin": "https://app.example.com"} | preflight)
            assert allowed.status_code == 204
            assert allowed.headers["access-control-allow-origin"] == "https://app.example.com"
            refused = await http.options(f"{API}/cart/items", headers={"Origin": "https://evil.example"} | preflight)
            assert refused.status_code == 400
            assert "access-control-allow-origin" not in refused.headers
    finally:
        await services.aclose()


async def test_the_docs_pages_load_only_assets_folio_serves(web: Client) -> None:
    for page in ("/schema", "/schema/swagger", "/schema/redoc"):
        html = (await web.get(page)).text
        urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
        assert urls, page
        for url in urls:
            assert url.startswith("/schema/"), (page, url)
            assert (await web.get(url)).status_code == 200, url
        assert "https://" not in html.replace("https://scalar.com", "")


async def _form(web: Client, path: str) -> str:
    page = await web.get(path)
    assert page.status_code == 200, page.text
    csp = page.headers["content-security-policy"]
    assert "script-src" not in csp
    assert "default-src 'none'" in csp
    assert "form-action 'self'" in csp
    found = _CSRF.search(page.text)
    assert found, page.text
    return found.group(1)


async def test_the_verification_link_of_the_mail_verifies_the_account(web: Client, sqlite_services: Services) -> None:
    user = await register(web, name="clicker")
    token = await verification_token(sqlite_services, user["email"])
    page = await web.get("/verify-email", params={"token": token})
    assert page.status_code == 200
    assert "is verified" in page.text
    tokens = await login(web, user["email"])
    me = await web.get(f"{API}/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.json()["is_verified"] is True

    spent = await web.get("/verify-email", params={"token": token})
    assert spent.status_code == 400
    assert "invalid or has expired" in spent.text
    csrf = _CSRF.search(spent.text)
    assert csrf
    before = len(await mails(sqlite_services, "verify-email", user["email"]))
    resent = await web.post("/verify-email/resend", data={"email": user["email"], "_csrf_token": csrf.group(1)})
    assert resent.status_code == 200
    assert "on its way" in resent.text
    assert len(await mails(sqlite_services, "verify-email", user["email"])) == before  # verified: no new link


async def test_the_reset_page_sets_a_new_password_with_the_mailed_code(web: Client, sqlite_services: Services) -> None:
    user = await add_user(sqlite_services, "forgetful")
    csrf = await _form(web, f"/reset-password?email={user.email}")
    sent = await web.post("/reset-password", data={"email": user.email, "action": "send", "_csrf_token": csrf})
    assert sent.status_code == 200
    mail = (await mails(sqlite_services, "password-reset", user.email))[-1]
    assert mail.data["link"] == f"{sqlite_services.settings.public_url}/reset-password?email=forgetful%40example.com"
    code = await reset_code(sqlite_services, user.email)

    wrong = await web.post(
        "/reset-password",
        data={"email": user.email, "code": "000000" if code != "000000" else "111111", "new_password": "x" * 12}
        | {"_csrf_token": csrf},
    )
    assert wrong.status_code == 400
    assert "wrong or has expired" in wrong.text
    new = "a-brand-new-passphrase"
    done = await web.post(
        "/reset-password", data={"email": user.email, "code": code, "new_password": new, "_csrf_token": csrf}
    )
    assert done.status_code == 200, done.text
    assert "password is changed" in done.text
    assert (await web.post(f"{API}/auth/login", json={"email": user.email, "password": new})).status_code == 200


async def test_the_page_forms_refuse_a_post_without_the_csrf_token(web: Client, sqlite_services: Services) -> None:
    user = await add_user(sqlite_services, "targeted")
    await _form(web, "/reset-password")  # the cookie is set; a forged form cannot know the token
    forged = await web.post("/reset-password", data={"email": user.email, "action": "send"})
    assert forged.status_code == 403
    assert not await mails(sqlite_services, "password-reset", user.email)
    other = await web.post("/reset-password", data={"email": user.email, "action": "send", "_csrf_token": "0" * 128})
    assert other.status_code == 403


async def test_the_json_api_is_not_under_csrf_protection(web: Client) -> None:
    response = await web.post(f"{API}/auth/register", json=_signup("plainclient"))
    assert response.status_code == 201
    assert "folio_csrf" not in response.headers.get("set-cookie", "")
