"""Sign-in test helpers: an app configured for loopback providers, and the browser's steps of a flow."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from httpx import Response
from litestar.testing import AsyncTestClient

from entrypoints.bootstrap import Services, bootstrap
from entrypoints.http.app import create_app
from tests.support.http import API
from tests.support.oauth_servers import CLIENT_ID, CLIENT_SECRET
from tests.support.settings import make_settings

CLIENT_PAGE = "https://app.example/signed-in"


def provider_settings(*, google: str | None = None, github: str | None = None) -> dict[str, str]:
    """FOLIO_OAUTH_* for a Google issuer and/or a GitHub stand-in at these URLs."""
    found: dict[str, str] = {"oauth_redirect_uris": f"{CLIENT_PAGE},https://other.example/back", "oauth_timeout": "2"}
    if google is not None:
        found |= {
            "oauth_google_client_id": CLIENT_ID,
            "oauth_google_client_secret": CLIENT_SECRET,
            "oauth_google_issuer": google,
        }
    if github is not None:
        found |= {
            "oauth_github_client_id": CLIENT_ID,
            "oauth_github_client_secret": CLIENT_SECRET,
            "oauth_github_url": github,
            "oauth_github_api_url": github,
        }
    return found


@asynccontextmanager
async def oauth_app(
    tmp_path: Path, db_url: str, **settings: Any
) -> AsyncIterator[tuple[Services, AsyncTestClient[Any]]]:
    """The whole app over `db_url` with these settings (the app closes its services)."""
    services = bootstrap(make_settings(tmp_path / "var", database_url=db_url, **settings))
    async with AsyncTestClient(app=create_app(services)) as client:
        yield services, client


async def authorize(client: AsyncTestClient[Any], provider: str, **params: str) -> str:
    """Starts a sign-in; returns the provider URL the browser is sent to."""
    response = await client.get(f"{API}/auth/oauth/{provider}/authorize", params=params, follow_redirects=False)
    assert response.status_code == 302, response.text
    return str(response.headers["location"])


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


async def callback(client: AsyncTestClient[Any], back: str) -> Response:
    """Follows the provider's redirect back to Folio's callback (the browser's last step)."""
    url = urlparse(back)
    assert url.path.startswith(f"{API}/auth/oauth/"), back
    assert url.path.endswith("/callback"), back
    return await client.get(f"{url.path}?{url.query}", follow_redirects=False)


def login_code(response: Response) -> str:
    assert response.status_code == 302, response.text
    page, _, fragment = response.headers["location"].partition("#")
    assert page == CLIENT_PAGE
    assert fragment.startswith("login_code=")
    return fragment.removeprefix("login_code=")
