"""Rate limits on the credential endpoints, per email and per client address."""

from __future__ import annotations

from application.deps import Deps
from application.identity.tokens import hash_secret
from domain.errors import RateLimited

MINUTE, HOUR = 60, 3600


def _email_key(action: str, email: str) -> str:
    # Keys hold a digest, not the address: the limiter's store keeps no personal data.
    return f"{action}:email:{hash_secret(email.strip().lower())[:32]}"


async def limit(deps: Deps, key: str, *, per_window: int, window_seconds: int) -> None:
    retry_after = await deps.rate_limiter.hit(key, limit=per_window, window_seconds=window_seconds)
    if retry_after is not None:
        raise RateLimited(retry_after)


async def limit_login(deps: Deps, email: str, address: str) -> None:
    limits = deps.policy.rate_limits
    await limit(deps, f"login:addr:{address}", per_window=limits.login_per_address, window_seconds=MINUTE)
    await limit(deps, _email_key("login", email), per_window=limits.login_per_email, window_seconds=MINUTE)


async def limit_forgot(deps: Deps, email: str, address: str) -> None:
    limits = deps.policy.rate_limits
    await limit(deps, f"forgot:addr:{address}", per_window=limits.login_per_address, window_seconds=MINUTE)
    await limit(deps, _email_key("forgot", email), per_window=limits.forgot_per_email, window_seconds=HOUR)


async def limit_reset(deps: Deps, email: str, address: str) -> None:
    limits = deps.policy.rate_limits
    await limit(deps, f"reset:addr:{address}", per_window=limits.login_per_address, window_seconds=MINUTE)
    await limit(deps, _email_key("reset", email), per_window=limits.reset_per_email, window_seconds=15 * MINUTE)


async def within_resend_limit(deps: Deps, email: str) -> bool:
    """Resending verification answers 202 whatever happens; past the limit it quietly sends nothing."""
    limits = deps.policy.rate_limits
    key = _email_key("resend", email)
    return await deps.rate_limiter.hit(key, limit=limits.forgot_per_email, window_seconds=HOUR) is None
