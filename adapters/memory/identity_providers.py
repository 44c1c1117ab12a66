"""An identity provider in memory, for use-case tests: it vouches for whoever a test approves."""

from __future__ import annotations

import secrets
from dataclasses import replace
from urllib.parse import urlencode

from application.ports.identity_providers import FlowSecrets
from domain.linked_identities import ExternalIdentity, ProviderError


class FakeIdentityProvider:
    """Remembers each flow it was sent; `approve(state, identity)` plays the person signing in there.

    `finish` behaves like a real provider's checks: an unknown or spent code, or a nonce other than
    the one of the flow the code was issued to, is a ProviderError; so is any call while `down`.
    """

    def __init__(self, name: str = "google", display_name: str = "Google") -> None:
        self.name = name
        self.display_name = display_name
        self.down = False
        self._flows: dict[str, FlowSecrets] = {}
        self._codes: dict[str, tuple[str, ExternalIdentity]] = {}

    async def authorization_url(self, secrets: FlowSecrets) -> str:
        if self.down:
            raise ProviderError(f"{self.name} is down")
        self._flows[secrets.state] = secrets
        return f"https://{self.name}.fake/authorize?{urlencode({'state': secrets.state, 'nonce': secrets.nonce})}"

    def approve(self, state: str, identity: ExternalIdentity) -> str:
        """The code the provider sends back for the flow `state`, vouching for `identity`."""
        code = secrets.token_urlsafe(12)
        self._codes[code] = (self._flows[state].nonce, replace(identity, provider=self.name))
        return code

    async def finish(self, code: str, secrets: FlowSecrets) -> ExternalIdentity:
        if self.down:
            raise ProviderError(f"{self.name} is down")
        nonce, identity = self._codes.pop(code, (None, None))
        if identity is None or nonce != secrets.nonce:
            raise ProviderError(f"{self.name} refused the code")
        return identity
