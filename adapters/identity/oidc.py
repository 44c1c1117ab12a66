"""An OpenID Connect provider (Google, or any issuer with discovery): `OidcIdentityProvider`.

Endpoints come from `<issuer>/.well-known/openid-configuration`, read once and kept for an hour;
the issuer's JWKS is kept until an ID token names a key it does not hold, then read again (a key
rotation). The ID token from the token endpoint is checked here: signature against that JWKS
(asymmetric algorithms only), `iss`, `aud` (and `azp` when there are several audiences), `exp`
and `iat` with a minute's leeway, and the flow's `nonce`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any

from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.jwk import KeySet

from adapters.identity.calls import OAuthApp, authorize_url, bounded, exchange_code, get_json
from application.ports.identity_providers import FlowSecrets
from domain.linked_identities import ExternalIdentity, ProviderError

_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
_LEEWAY = 60
_DISCOVERY_TTL = 3600.0
#: Google's ID tokens may name the issuer without its scheme.
_ALIASES = {"https://accounts.google.com": "accounts.google.com"}


def _header(token: str) -> dict[str, Any]:
    part = token.split(".", 1)[0]
    header = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    if not isinstance(header, dict):
        raise ValueError("the ID token header is not an object")
    return header


def _verified(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


class OidcIdentityProvider:
    """Sign-in by OpenID Connect's authorization code flow with PKCE and a nonce."""

    def __init__(
        self,
        *,
        name: str,
        display_name: str,
        issuer: str,
        client_id: str,
        client_secret: str,
        callback_url: str,
        timeout: float,
    ) -> None:
        self._name = name
        self._display_name = display_name
        self._issuer = issuer.rstrip("/")
        self._client_id = client_id
        self._app = OAuthApp(
            client_id, client_secret, callback_url, timeout, "client_secret_basic", "openid email profile"
        )
        self._timeout = timeout
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = 0.0
        self._keys: KeySet | None = None
        self._lock = asyncio.Lock()

    @property
    def name(self) -> str:
        return self._name

    @property
    def display_name(self) -> str:
        return self._display_name

    async def _discover(self, client: AsyncOAuth2Client) -> dict[str, Any]:
        async with self._lock:
            if self._metadata is None or time.monotonic() - self._metadata_at > _DISCOVERY_TTL:
                metadata = await get_json(client, f"{self._issuer}/.well-known/openid-configuration", public=True)
                if not isinstance(metadata, dict) or metadata.get("issuer") != self._issuer:
                    raise ProviderError(f"{self._name}: the discovery document names another issuer")
                self._metadata, self._metadata_at, self._keys = metadata, time.monotonic(), None
            return self._metadata

    async def _key_set(self, client: AsyncOAuth2Client, kid: str | None) -> KeySet:
        """The issuer's keys, read again when they lack `kid` (the issuer rotated its keys)."""
        metadata = await self._discover(client)
        async with self._lock:
            keys = self._keys
            if keys is None or not any(key.kid == kid for key in keys.keys):
                keys = self._keys = KeySet.import_key_set(
                    await get_json(client, str(metadata["jwks_uri"]), public=True)
                )
            return keys

    async def authorization_url(self, secrets: FlowSecrets) -> str:
        async with bounded(self._name, self._timeout), self._app.client() as client:
            metadata = await self._discover(client)
            return authorize_url(client, str(metadata["authorization_endpoint"]), secrets, nonce=secrets.nonce)

    async def finish(self, code: str, secrets: FlowSecrets) -> ExternalIdentity:
        async with bounded(self._name, self._timeout * 2), self._app.client() as client:
            metadata = await self._discover(client)
            token = await exchange_code(client, str(metadata["token_endpoint"]), code, secrets)
            id_token = token.get("id_token")
            if not isinstance(id_token, str):
                raise ProviderError(f"{self._name} sent no ID token")
            keys = await self._key_set(client, _header(id_token).get("kid"))
            claims = self._check(jwt.decode(id_token, keys, algorithms=_ALGORITHMS).claims, secrets.nonce)
        return ExternalIdentity(
            provider=self._name,
            subject=str(claims["sub"]),
            email=claims.get("email") if isinstance(claims.get("email"), str) else None,
            email_verified=_verified(claims.get("email_verified")),
            username=claims.get("preferred_username") or claims.get("given_name"),
            full_name=claims.get("name") if isinstance(claims.get("name"), str) else None,
        )

    def _check(self, claims: dict[str, Any], nonce: str) -> dict[str, Any]:
        issuers = [self._issuer, *([_ALIASES[self._issuer]] if self._issuer in _ALIASES else [])]
        registry = jwt.JWTClaimsRegistry(
            leeway=_LEEWAY,
            iss={"essential": True, "values": issuers},
            aud={"essential": True, "value": self._client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        registry.validate(claims)
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self._client_id:
            raise ProviderError(f"{self._name}: the ID token was issued to another party")
        if claims["iat"] > time.time() + _LEEWAY:
            raise ProviderError(f"{self._name}: the ID token is issued in the future")
        return claims
