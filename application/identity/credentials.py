"""What the identity use cases share: the password hasher, the access-token signer, the token store,
the rate limiter, the clock and the policy that sets their lifetimes and limits."""

from __future__ import annotations

from dataclasses import dataclass

from application.policy import Policy
from application.ports.clock import Clock
from application.ports.rate_limit import RateLimiter
from application.ports.security import AccessTokens, PasswordHasher
from application.ports.tokens import TokenStore


@dataclass(frozen=True, slots=True, kw_only=True)
class Credentials:
    hasher: PasswordHasher
    access_tokens: AccessTokens
    tokens: TokenStore
    rate_limiter: RateLimiter
    clock: Clock
    policy: Policy
