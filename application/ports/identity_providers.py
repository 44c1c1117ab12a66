"""External identity providers (Google by OpenID Connect, GitHub by OAuth 2) and the linked identities."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from domain.linked_identities import ExternalIdentity, LinkedIdentity


@dataclass(frozen=True, slots=True)
class FlowSecrets:
    """What one sign-in flow sends the provider and checks on the way back (made by the use case)."""

    state: str
    nonce: str
    code_verifier: str  # PKCE; the provider sees only its S256 challenge


class IdentityProvider(Protocol):
    """One configured provider. Every call is bounded in time; any failure of the provider is ProviderError."""

    @property
    def name(self) -> str: ...
    @property
    def display_name(self) -> str: ...

    async def authorization_url(self, secrets: FlowSecrets) -> str:
        """Where to send the browser: the provider's authorize endpoint with state, PKCE S256 and nonce."""

    async def finish(self, code: str, secrets: FlowSecrets) -> ExternalIdentity:
        """Exchanges the code (with the PKCE verifier) and returns the identity the provider vouches for."""


class LinkedIdentityRepository(Protocol):
    async def get(self, provider: str, subject: str) -> LinkedIdentity | None: ...
    async def of_user(self, user_id: UUID) -> Sequence[LinkedIdentity]:
        """The user's links, oldest first."""

    async def add(self, identity: LinkedIdentity) -> None:
        """Raises IdentityTaken when the provider identity is linked already (a concurrent sign-in)."""

    async def remove(self, user_id: UUID, provider: str) -> bool: ...
    async def remove_all(self, user_id: UUID) -> None: ...
