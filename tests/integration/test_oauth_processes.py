"""Two `folio serve` processes sharing PostgreSQL and Valkey: a sign-in started on one finishes on the other."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from tests.support.http import API
from tests.support.oauth import CLIENT_PAGE, provider_settings
from tests.support.oauth_servers import approve_at_mock, mock_oidc_provider, set_mock_user
from tests.support.processes import folio_env, running, start_server

pytestmark = [pytest.mark.postgres, pytest.mark.valkey, pytest.mark.slow]


def _on(server_url: str, back: str) -> str:
    """The provider's redirect back, sent to `server_url` (both servers stand behind one public URL)."""
    url = urlparse(back)
    return f"{server_url}{url.path}?{url.query}"


def test_a_flow_started_on_one_process_finishes_on_the_other(
    pg_url: str, valkey_url: str, valkey_prefix: str, tmp_path: Path
) -> None:
    with mock_oidc_provider(require_nonce=True) as issuer:
        shared = {"database_url": pg_url, "valkey_url": valkey_url, "valkey_prefix": valkey_prefix}
        shared |= provider_settings(google=issuer)
        with (
            running(
                start_server(folio_env(tmp_path / "a", **shared)), start_server(folio_env(tmp_path / "b", **shared))
            ) as (a, b),
            httpx.Client(timeout=15) as browser,
        ):
            set_mock_user(issuer, "twin-sub", email="twin@gmail.example", email_verified=True, name="Twin")
            # Tokens straight from the callback: started on A, finished on B.
            started = browser.get(f"{a.url}{API}/auth/oauth/google/authorize")
            assert started.status_code == 302, started.text
            back = approve_at_mock(started.headers["location"], "twin-sub")
            finished = browser.get(_on(b.url, back))
            assert finished.status_code == 200, finished.text
            header = {"Authorization": f"Bearer {finished.json()['access_token']}"}
            me = browser.get(f"{a.url}{API}/users/me", headers=header)
            assert me.status_code == 200
            assert me.json()["email"] == "twin@gmail.example"
            # The state is spent for every process.
            assert browser.get(_on(a.url, back)).status_code == 400
            # A client page: the login code made on A is exchanged on B, once.
            started = browser.get(f"{a.url}{API}/auth/oauth/google/authorize", params={"redirect_uri": CLIENT_PAGE})
            back = approve_at_mock(started.headers["location"], "twin-sub")
            to_page = browser.get(_on(a.url, back))
            assert to_page.status_code == 302, to_page.text
            code = to_page.headers["location"].partition("#login_code=")[2]
            exchanged = browser.post(f"{b.url}{API}/auth/oauth/exchange", json={"login_code": code})
            assert exchanged.status_code == 200, exchanged.text
            again = browser.post(f"{a.url}{API}/auth/oauth/exchange", json={"login_code": code})
            assert again.status_code == 400
            assert (
                me.json()["id"]
                == browser.get(
                    f"{b.url}{API}/users/me", headers={"Authorization": f"Bearer {exchanged.json()['access_token']}"}
                ).json()["id"]
            )
