"""A typed Python client generated from `/schema/openapi.json` by openapi-python-client, used as a new
client would use it, against a real `folio serve`: register, verify, log in, list books, add to cart,
check out. Nothing but the generated code talks to the server."""

from __future__ import annotations

import asyncio
import importlib
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from domain.identity import Role
from entrypoints.bootstrap import bootstrap
from tests.support.builders import add_user
from tests.support.databases import sqlite_copy
from tests.support.http import PASSWORD
from tests.support.identity import mails
from tests.support.processes import folio_env, running, start_server
from tests.support.settings import make_settings

GENERATOR = str(Path(sys.executable).with_name("openapi-python-client"))
pytestmark = pytest.mark.slow


def _generate(schema_url: str, directory: Path) -> Any:
    (directory / "openapi.json").write_bytes(httpx.get(schema_url, timeout=30).content)
    (directory / "config.yaml").write_text("package_name_override: folio_client\npost_hooks: []\n")
    args = ["generate", "--path", "openapi.json", "--config", "config.yaml", "--output-path", "folio_client"]
    done = subprocess.run(  # our own dev dependency, fixed arguments
        [GENERATOR, *args, "--meta", "none"], cwd=directory, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stdout, done.stdout
    sys.path.insert(0, str(directory))
    try:
        return importlib.import_module("folio_client")
    finally:
        sys.path.remove(str(directory))


async def _setup(database_url: str, var: Path) -> None:
    services = bootstrap(make_settings(var, database_url=database_url))
    try:
        await add_user(services, "clientadmin", role=Role.ADMIN)
    finally:
        await services.aclose()


async def _token_of(database_url: str, var: Path, email: str) -> str:
    services = bootstrap(make_settings(var, database_url=database_url))
    try:
        link = str((await mails(services, "verify-email", email))[-1].data["link"])
    finally:
        await services.aclose()
    return parse_qs(urlparse(link).query)["token"][0]


def test_a_generated_client_registers_logs_in_and_buys_a_book(sqlite_template_path: Path, tmp_path: Path) -> None:
    url = sqlite_copy(sqlite_template_path, tmp_path / "db")
    asyncio.run(_setup(url, tmp_path / "setup"))
    with running(start_server(folio_env(tmp_path / "server", database_url=url))) as (server,):
        fc = _generate(f"{server.url}/schema/openapi.json", tmp_path)
        models = importlib.import_module("folio_client.models")
        auth = importlib.import_module("folio_client.api.auth")
        for name in ("register", "login", "verify_email"):
            importlib.import_module(f"folio_client.api.auth.{name}")
        catalog = {n: importlib.import_module(f"folio_client.api.catalog.{n}") for n in ("list_books", "create_book")}
        add_to_cart = importlib.import_module("folio_client.api.cart.add_to_cart")
        checkout = importlib.import_module("folio_client.api.orders.checkout")
        issue_token = importlib.import_module("folio_client.api.auth.issue_token")

        anonymous = fc.Client(base_url=server.url)
        # An admin signs in the OAuth2 way ("Authorize" in the docs) and stocks a book.
        admin_form = models.PasswordForm(username="clientadmin@example.com", password=PASSWORD)
        admin_tokens = issue_token.sync(client=anonymous, body=admin_form)
        assert isinstance(admin_tokens, models.TokensOut), admin_tokens
        admin = fc.AuthenticatedClient(base_url=server.url, token=admin_tokens.access_token)
        book = catalog["create_book"].sync(
            client=admin,
            body=models.BookIn(title="The Left Hand of Darkness", author="Le Guin", price="12.50", stock=3),
        )
        assert isinstance(book, models.BookOut), book

        user = auth.register.sync(
            client=anonymous, body=models.RegisterIn(email="gen@example.com", username="gen", password=PASSWORD)
        )
        assert isinstance(user, models.UserOut), user
        token = asyncio.run(_token_of(url, tmp_path / "read", "gen@example.com"))
        verified = auth.verify_email.sync(client=anonymous, body=models.VerifyEmailIn(token=token))
        assert isinstance(verified, models.UserOut)
        assert verified.is_verified

        tokens = auth.login.sync(client=anonymous, body=models.LoginIn(email="gen@example.com", password=PASSWORD))
        assert isinstance(tokens, models.TokensOut), tokens
        reader = fc.AuthenticatedClient(base_url=server.url, token=tokens.access_token)

        page = catalog["list_books"].sync(client=reader, q="darkness")
        assert isinstance(page, models.BookPage), page
        assert [b.id for b in page.items] == [book.id]

        line = add_to_cart.sync_detailed(client=reader, body=models.AddToCartIn(book_id=book.id, quantity=2))
        assert line.status_code == 201
        assert isinstance(line.parsed, models.CartItemOut)
        assert line.parsed.line_total == "25.00"

        order = checkout.sync_detailed(client=reader, idempotency_key="first-try")
        assert order.status_code == 201, order.content
        assert isinstance(order.parsed, models.OrderOut)
        assert order.parsed.status == "CONFIRMED"
        assert order.parsed.total == "25.00"
        assert order.headers["location"].endswith(str(order.parsed.id))

        wrong = auth.login.sync(client=anonymous, body=models.LoginIn(email="gen@example.com", password="nope-nope"))
        assert isinstance(wrong, models.Problem)
        assert wrong.type_ == "/problems/invalid-credentials"
