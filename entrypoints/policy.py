"""The use cases' policy, from the settings (apart from bootstrap, so the command line's import needs
only this of the composition root)."""

from __future__ import annotations

from application.policy import Policy, RateLimits
from entrypoints.settings import Settings


def policy_from(settings: Settings) -> Policy:
    return Policy(
        access_token_ttl=settings.access_token_ttl,
        refresh_token_ttl=settings.refresh_token_ttl,
        require_verified_email=settings.require_verified_email,
        public_url=settings.public_url.rstrip("/"),
        currency=settings.currency,
        payment_limit=settings.payment_limit,
        rate_limits=RateLimits(
            login_per_email=settings.rate_limit_login_per_email,
            login_per_address=settings.rate_limit_login_per_address,
            forgot_per_email=settings.rate_limit_forgot_per_email,
            reset_per_email=settings.rate_limit_reset_per_email,
            books_per_user=settings.rate_limit_books_per_user,
        ),
        import_batch_size=settings.import_batch_size,
        import_lanes=settings.import_lanes,
        import_lease_seconds=settings.import_lease_seconds,
        oauth_redirect_uris=settings.oauth_redirect_uris,
    )
