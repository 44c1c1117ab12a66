"""What both providers share: a bounded time for every call, and one way to report a failing provider."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx2
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc.errors import JoseError

from application.ports.identity_providers import FlowSecrets
from domain.linked_identities import ProviderError

log = logging.getLogger("folio.oauth")

#: A provider's failures as the libraries report them: transport, OAuth error answers, JOSE checks,
#: and answers that are not the JSON they should be.
_FAILURES = (httpx2.HTTPError, OAuthError, JoseError, ValueError, KeyError, TypeError)


@asynccontextmanager
async def bounded(provider: str, seconds: float) -> AsyncIterator[None]:
    """Runs a provider exchange within `seconds` in all; a failure or a slow answer is ProviderError."""
    try:
        async with asyncio.timeout(seconds):
            yield
    except TimeoutError:
        log.warning("%s did not answer within %.1f s", provider, seconds)
        raise ProviderError(f"{provider} did not answer in time") from None
    except _FAILURES as exc:
        log.warning("%s sign-in failed: %s: %s", provider, type(exc).__name__, str(exc)[:200])
        raise ProviderError(f"{provider} refused or failed the sign-in") from None


@dataclass(frozen=True, slots=True)
class OAuthApp:
    """Folio's registration at a provider, and how its requests go."""

    client_id: str
    client_secret: str
    callback_url: str
    timeout: float
    auth_method: str  # how the token endpoint wants the secret: client_secret_basic or _post
    scope: str

    def client(self) -> AsyncOAuth2Client:
        """A client for one flow, with PKCE S256; each phase of each request is bounded too."""
        return AsyncOAuth2Client(
            client_id=self.client_id,
            client_secret=self.client_secret,
            token_endpoint_auth_method=self.auth_method,
            redirect_uri=self.callback_url,
            scope=self.scope,
            code_challenge_method="S256",
            timeout=httpx2.Timeout(self.timeout),
            follow_redirects=False,
            trust_env=False,
        )


def authorize_url(client: AsyncOAuth2Client, endpoint: str, flow: FlowSecrets, **extra: str) -> str:
    url, _ = client.create_authorization_url(endpoint, state=flow.state, code_verifier=flow.code_verifier, **extra)
    return str(url)


async def exchange_code(client: AsyncOAuth2Client, endpoint: str, code: str, flow: FlowSecrets) -> dict[str, Any]:
    """The provider's token response for `code`; an error answer raises OAuthError."""
    token = await client.fetch_token(
        endpoint, grant_type="authorization_code", code=code, code_verifier=flow.code_verifier
    )
    return dict(token)


async def get_json(
    client: AsyncOAuth2Client, url: str, *, public: bool = False, headers: dict[str, str] | None = None
) -> Any:
    """GETs a JSON document: `public` ones without the provider's token, the others with it."""
    response = await client.request("GET", url, withhold_token=public, headers=headers)
    response.raise_for_status()
    return response.json()
