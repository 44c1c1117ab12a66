"""The settings that change what the use cases do; `entrypoints.bootstrap` fills them in from the settings."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Attempts allowed per window; the settings hold the defaults."""

    login_per_email: int  # a minute
    login_per_address: int  # a minute
    forgot_per_email: int  # an hour
    reset_per_email: int  # per 15 minutes
    books_per_user: int  # a day: readers' own books


@dataclass(frozen=True, slots=True)
class Policy:
    """Settings that change what the use cases do (`entrypoints.settings` holds the defaults of the
    configurable ones; the others are fixed here)."""

    access_token_ttl: int
    refresh_token_ttl: int
    require_verified_email: bool
    public_url: str
    currency: str
    payment_limit: Decimal
    rate_limits: RateLimits
    # CSV import: rows per transaction, batches written at once, how long a silent worker keeps an import
    import_batch_size: int
    import_lanes: int
    import_lease_seconds: int
    verification_ttl: int = 24 * 3600
    reset_code_ttl: int = 15 * 60
    reset_code_tries: int = 5
    import_max_bytes: int = 50 * 1024 * 1024
    # provider sign-in: the client pages a sign-in may return to, and how long its secrets live
    oauth_redirect_uris: tuple[str, ...] = ()
    oauth_state_ttl: int = 10 * 60
    oauth_login_code_ttl: int = 60
