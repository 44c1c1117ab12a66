"""GitHub sign-in (OAuth 2 with PKCE): `GitHubIdentityProvider`.

The code is exchanged at `<url>/login/oauth/access_token`; the person is `<api>/user`, and their
email the one `<api>/user/emails` marks primary and verified (no other counts). GitHub's token is
used for these two reads and then dropped.
"""

from __future__ import annotations

from typing import Any

from adapters.identity.calls import OAuthApp, authorize_url, bounded, exchange_code, get_json
from application.ports.identity_providers import FlowSecrets
from domain.linked_identities import ExternalIdentity, ProviderError

_API_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


def primary_verified_email(emails: Any) -> str | None:
    if not isinstance(emails, list):
        raise ProviderError("github: /user/emails is not a list")
    for entry in emails:
        if isinstance(entry, dict) and entry.get("primary") is True and entry.get("verified") is True:
            email = entry.get("email")
            return email if isinstance(email, str) else None
    return None


class GitHubIdentityProvider:
    name = "github"
    display_name = "GitHub"

    def __init__(
        self, *, client_id: str, client_secret: str, url: str, api_url: str, callback_url: str, timeout: float
    ) -> None:
        self._app = OAuthApp(
            client_id, client_secret, callback_url, timeout, "client_secret_post", "read:user user:email"
        )
        self._url = url.rstrip("/")
        self._api = api_url.rstrip("/")
        self._timeout = timeout

    async def authorization_url(self, secrets: FlowSecrets) -> str:
        async with self._app.client() as client:
            return authorize_url(client, f"{self._url}/login/oauth/authorize", secrets)

    async def finish(self, code: str, secrets: FlowSecrets) -> ExternalIdentity:
        async with bounded(self.name, self._timeout * 2), self._app.client() as client:
            token = await exchange_code(client, f"{self._url}/login/oauth/access_token", code, secrets)
            if not token.get("access_token"):
                raise ProviderError("github sent no access token")
            user = await get_json(client, f"{self._api}/user", headers=_API_HEADERS)
            emails = await get_json(client, f"{self._api}/user/emails", headers=_API_HEADERS)
        if not isinstance(user, dict) or not isinstance(user.get("id"), int):
            raise ProviderError("github: /user did not name the account")
        email = primary_verified_email(emails)
        return ExternalIdentity(
            provider=self.name,
            subject=str(user["id"]),
            email=email,
            email_verified=email is not None,
            username=user.get("login") if isinstance(user.get("login"), str) else None,
            full_name=user.get("name") if isinstance(user.get("name"), str) else None,
        )
