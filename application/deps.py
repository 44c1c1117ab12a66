"""The ports and policy every use case is built from; `entrypoints.bootstrap` fills them in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from application.ports.catalog import CatalogCache, CatalogReads, NoCatalogCache
from application.ports.clock import Clock
from application.ports.commerce import PaymentGateway
from application.ports.identity_providers import IdentityProvider
from application.ports.imports import ImportProgressStore, ImportQueue
from application.ports.mail import MailPorts
from application.ports.rate_limit import RateLimiter
from application.ports.security import AccessTokens, PasswordHasher
from application.ports.tokens import TokenStore
from application.ports.uow import UowFactory


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
    # provider sign-in (issue 16): the client pages a sign-in may return to, and how long its secrets live
    oauth_redirect_uris: tuple[str, ...] = ()
    oauth_state_ttl: int = 10 * 60
    oauth_login_code_ttl: int = 60


@dataclass(frozen=True, slots=True)
class Deps:
    uow: UowFactory
    clock: Clock
    hasher: PasswordHasher
    access_tokens: AccessTokens
    tokens: TokenStore
    rate_limiter: RateLimiter
    policy: Policy
    # commerce: bootstrap always sets it (the simulated gateway unless another is given)
    payments: PaymentGateway | None = None
    # CSV import: progress records every process reads, and the queue its workers take from.
    import_progress: ImportProgressStore | None = None
    import_queue: ImportQueue | None = None
    # catalog: the read side (listing, search) and its cache
    catalog_reads: CatalogReads | None = None
    catalog_cache: CatalogCache = field(default_factory=NoCatalogCache)
    # mail: delivery ports, built by bootstrap()
    mail: MailPorts | None = None
    # provider sign-in (issue 16): the configured providers by name ("google", "github")
    identity_providers: Mapping[str, IdentityProvider] = field(default_factory=dict)
