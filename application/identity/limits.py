"""Rate limits on the credential endpoints, per email and per client address."""

from __future__ import annotations

from application.identity.credentials import Credentials
from application.identity.tokens import hash_secret
from application.ports.rate_limit import RateLimiter
from domain.errors import RateLimited

MINUTE, HOUR = 60, 3600


def _email_key(action: str, email: str) -> str:
    # Keys hold a digest, not the address: the limiter's store keeps no personal data.
    return f"{action}:email:{hash_secret(email.strip().lower())[:32]}"


async def limit(rate_limiter: RateLimiter, key: str, *, per_window: int, window_seconds: int) -> None:
    retry_after = await rate_limiter.hit(key, limit=per_window, window_seconds=window_seconds)
    if retry_after is not None:
        raise RateLimited(retry_after)


async def limit_login(credentials: Credentials, email: str, address: str) -> None:
    limits, limiter = credentials.policy.rate_limits, credentials.rate_limiter
    await limit(limiter, f"login:addr:{address}", per_window=limits.login_per_address, window_seconds=MINUTE)
    await limit(limiter, _email_key("login", email), per_window=limits.login_per_email, window_seconds=MINUTE)


async def limit_forgot(credentials: Credentials, email: str, address: str) -> None:
    limits, limiter = credentials.policy.rate_limits, credentials.rate_limiter
    await limit(limiter, f"forgot:addr:{address}", per_window=limits.login_per_address, window_seconds=MINUTE)
    await limit(limiter, _email_key("forgot", email), per_window=limits.forgot_per_email, window_seconds=HOUR)


async def limit_reset(credentials: Credentials, email: str, address: str) -> None:
    limits, limiter = credentials.policy.rate_limits, credentials.rate_limiter
    await limit(limiter, f"reset:addr:{address}", per_window=limits.login_per_address, window_seconds=MINUTE)
    await limit(limiter, _email_key("reset", email), per_window=limits.reset_per_email, window_seconds=15 * MINUTE)


async def within_resend_limit(credentials: Credentials, email: str) -> bool:
    """Resending verification answers 202 whatever happens; past the limit it quietly sends nothing."""
    limits = credentials.policy.rate_limits
    key = _email_key("resend", email)
    return await credentials.rate_limiter.hit(key, limit=limits.forgot_per_email, window_seconds=HOUR) is None
