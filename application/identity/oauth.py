"""Sign-in with an external provider: start a flow, finish it on the callback, exchange the login code.

The flow's secrets (state, nonce, PKCE verifier, the client page to return to) are kept in the
TokenStore under the digest of `state`, single use and for 10 minutes, so any API process sharing
Valkey finishes a flow another one started. A browser binding (a random value the browser keeps in
a cookie, its digest kept with the flow) ties the callback to the browser that started it. The
callback never puts tokens in a URL: with a client page it hands back a single-use 60-second
login code, which `POST /auth/oauth/exchange` turns into tokens.
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from application.identity.credentials import Credentials
from application.identity.limits import MINUTE, limit
from application.identity.linked import sign_in_as
from application.identity.tokens import Tokens, hash_secret, issue_tokens
from application.ports.identity_providers import FlowSecrets, IdentityProvider
from application.ports.uow import UowFactory
from domain.errors import InvalidField, NotFound
from domain.identity import InvalidCode

_STATE_KEY = "oauth-state:"
_CODE_KEY = "oauth-login:"


def provider_of(providers: Mapping[str, IdentityProvider], name: str) -> IdentityProvider:
    """A configured provider; an unknown or unconfigured one does not exist."""
    provider = providers.get(name)
    if provider is None:
        raise NotFound("provider")
    return provider


@dataclass(frozen=True, slots=True)
class StartSignIn:
    provider: str
    redirect_uri: str | None = None
    browser_binding: str | None = None  # the one this browser already holds, kept for parallel flows


@dataclass(frozen=True, slots=True)
class SignInStarted:
    authorization_url: str
    browser_binding: str  # for the browser to present on the callback (a cookie)


class StartSignInHandler:
    def __init__(self, *, credentials: Credentials, providers: Mapping[str, IdentityProvider]) -> None:
        self._credentials = credentials
        self._providers = providers

    async def __call__(self, cmd: StartSignIn) -> SignInStarted:
        credentials = self._credentials
        provider = provider_of(self._providers, cmd.provider)
        if cmd.redirect_uri is not None and cmd.redirect_uri not in credentials.policy.oauth_redirect_uris:
            raise InvalidField("redirect_uri", "must be exactly one of the client pages Folio is configured for")
        flow = FlowSecrets(secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(48))
        binding = cmd.browser_binding or secrets.token_urlsafe(32)
        url = await provider.authorization_url(flow)
        record = {
            "p": provider.name,
            "n": flow.nonce,
            "v": flow.code_verifier,
            "r": cmd.redirect_uri,
            "b": hash_secret(binding),
        }
        now = credentials.clock.now()
        expires = now + timedelta(seconds=credentials.policy.oauth_state_ttl)
        await credentials.tokens.add_one_time(
            _STATE_KEY + hash_secret(flow.state), json.dumps(record), now=now, expires_at=expires
        )
        return SignInStarted(url, binding)


@dataclass(frozen=True, slots=True)
class FinishSignIn:
    provider: str
    state: str | None
    code: str | None
    error: str | None = None
    browser_binding: str | None = None
    client_address: str = "unknown"


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Either tokens (no client page) or the client page to send the browser to, with a login code."""

    tokens: Tokens | None = None
    redirect_to: str | None = None


class FinishSignInHandler:
    """Spends the flow's state, lets the provider vouch for the person, signs them in."""

    def __init__(self, *, uow: UowFactory, credentials: Credentials, providers: Mapping[str, IdentityProvider]) -> None:
        self._uow = uow
        self._credentials = credentials
        self._providers = providers

    async def __call__(self, cmd: FinishSignIn) -> SignedIn:
        credentials = self._credentials
        provider = provider_of(self._providers, cmd.provider)
        limits = credentials.policy.rate_limits
        await limit(
            credentials.rate_limiter,
            f"oauth:addr:{cmd.client_address}",
            per_window=limits.login_per_address,
            window_seconds=MINUTE,
        )
        record = await self._take_flow(cmd)  # spent even when the provider reports an error
        if record is None or record["p"] != provider.name or not _bound(record, cmd.browser_binding):
            raise InvalidCode("this sign-in is invalid, expired or was already used; start again")
        if cmd.error is not None or not cmd.code:
            raise InvalidCode(f"the provider did not sign you in ({cmd.error or 'no code'})")
        flow = FlowSecrets(cmd.state or "", record["n"], record["v"])
        identity = await provider.finish(cmd.code, flow)
        user = await sign_in_as(self._uow, credentials, identity)
        redirect_uri = record.get("r")
        if redirect_uri is None:
            return SignedIn(tokens=await issue_tokens(credentials, user))
        code = secrets.token_urlsafe(32)
        now = credentials.clock.now()
        expires = now + timedelta(seconds=credentials.policy.oauth_login_code_ttl)
        await credentials.tokens.add_one_time(_CODE_KEY + hash_secret(code), str(user.id), now=now, expires_at=expires)
        return SignedIn(redirect_to=f"{redirect_uri}#login_code={code}")

    async def _take_flow(self, cmd: FinishSignIn) -> dict[str, str] | None:
        if not cmd.state:
            return None
        raw = await self._credentials.tokens.take_one_time(
            _STATE_KEY + hash_secret(cmd.state), now=self._credentials.clock.now()
        )
        if raw is None:
            return None
        record: dict[str, str] = json.loads(raw)
        return record


def _bound(record: dict[str, str], binding: str | None) -> bool:
    return binding is not None and hmac.compare_digest(record["b"], hash_secret(binding))


@dataclass(frozen=True, slots=True)
class ExchangeLoginCode:
    login_code: str


class ExchangeLoginCodeHandler:
    """Spends a login code for a session of its account (still active)."""

    def __init__(self, *, uow: UowFactory, credentials: Credentials) -> None:
        self._uow = uow
        self._credentials = credentials

    async def __call__(self, cmd: ExchangeLoginCode) -> Tokens:
        credentials = self._credentials
        owner = await credentials.tokens.take_one_time(
            _CODE_KEY + hash_secret(cmd.login_code), now=credentials.clock.now()
        )
        if owner is None:
            raise InvalidCode("this login code is invalid, expired or was already used")
        async with self._uow(read_only=True) as uow:
            user = await uow.users.get(UUID(owner))
        if user is None:
            raise InvalidCode("this login code is invalid, expired or was already used")
        user.ensure_can_sign_in()
        return await issue_tokens(credentials, user)
