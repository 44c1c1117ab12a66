"""Settings from `FOLIO_*` environment variables (and a `.env` file), checked at start."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal, InvalidOperation
from ipaddress import ip_network
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

PREFIX = "FOLIO_"


class SettingsError(ValueError):
    """A setting has a value Folio cannot use; the message names it."""


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("expected true or false")


def _int(low: int, high: int) -> Callable[[str], int]:
    rule = f"expected a whole number from {low} to {high}"

    def parse(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise ValueError(rule) from None
        if not low <= value <= high:
            raise ValueError(rule)
        return value

    return parse


def _seconds(low: float, high: float) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        value = float(raw)
        if not low <= value <= high:
            raise ValueError(f"expected seconds from {low} to {high}")
        return value

    return parse


def _decimal(raw: str) -> Decimal:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError("expected a decimal number") from None
    if not value.is_finite() or value < 0:
        raise ValueError("expected a non-negative decimal number")
    return value


def _list(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _networks(raw: str) -> tuple[str, ...]:
    try:
        return tuple(str(ip_network(part, strict=False)) for part in _list(raw))
    except ValueError:
        raise ValueError("expected IP addresses or networks such as 10.0.0.0/8, comma-separated") from None


def _url(raw: str) -> str:
    value = raw.strip()
    if "://" not in value:
        raise ValueError("expected a URL such as scheme://host/...")
    return value


def _redirect_uris(raw: str) -> tuple[str, ...]:
    uris = _list(raw)
    for uri in uris:
        if "://" not in uri or "#" in uri:
            raise ValueError(f"expected absolute URLs without a fragment, comma-separated (not {uri!r})")
    return uris


def _currency(raw: str) -> str:
    value = raw.strip().upper()
    if len(value) != 3 or not value.isalpha():
        raise ValueError("expected a three-letter currency code")
    return value


@dataclass(frozen=True, slots=True)
class Settings:
    var_dir: Path = Path("var")
    database_url: str = ""
    valkey_url: str | None = None
    valkey_prefix: str = "folio:"
    jwt_secret: str = ""
    jwt_algorithm: str = "HS256"
    access_token_ttl: int = 900
    refresh_token_ttl: int = 14 * 24 * 3600
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_tls: str = "starttls"
    smtp_timeout: int = 30
    mail_from: str = "Folio <no-reply@folio.local>"
    mail_dir: Path = Path("var/mail")
    public_url: str = "http://127.0.0.1:8000"
    currency: str = "USD"
    payment_limit: Decimal = Decimal("10000.00")
    #: None = not set (off in the embedded mode, refused in production); () = set empty; ("*",) = any.
    cors_origins: tuple[str, ...] | None = None
    allowed_hosts: tuple[str, ...] | None = None
    #: Load balancers whose X-Forwarded-For names the client (rate limits go by client address).
    trusted_proxies: tuple[str, ...] = ()  # as networks: "10.0.0.0/8", "192.0.2.7/32"
    require_verified_email: bool = True
    rate_limit_login_per_email: int = 10
    rate_limit_login_per_address: int = 60
    rate_limit_forgot_per_email: int = 5
    rate_limit_reset_per_email: int = 20
    rate_limit_books_per_user: int = 50  # readers' own books a day
    argon2_memory_kib: int = 19_456
    argon2_time_cost: int = 2
    #: PostgreSQL connections one process may hold, all its server (or Dramatiq) workers together.
    db_max_connections: int = 24
    #: Deprecated: one worker's write pool; still honoured, but cut to the worker's share of the budget.
    db_pool_size: int | None = None
    #: Seconds a request waits for a pooled connection (then 503), and for PostgreSQL to accept one.
    db_pool_timeout: float = 5.0
    db_connect_timeout: int = 3
    #: Behind a transaction-pooling PgBouncer: no session state, no startup options, no prepared statements.
    db_pgbouncer: bool = False
    log_level: str = "INFO"
    log_json: bool | None = None
    log_file: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    #: On SIGTERM, how long requests in flight may take to finish before pools close anyway.
    graceful_timeout: int = 30
    # CSV import: rows per transaction, and how long a silent worker keeps an import.
    import_batch_size: int = 2000
    import_lease_seconds: int = 120
    #: Batches an import writes at once, each in its own transaction (see bench/imports.py).
    import_lanes: int = 3
    # catalog: read-through cache of book detail, genre and tag lists (and match counts)
    catalog_cache: bool = True
    # mail and background work; times in seconds
    mail_max_attempts: int = 8
    mail_retry_backoff: int = 5
    mail_redispatch_after: int = 900
    relay_interval: int = 2
    worker_processes: int = 1
    worker_threads: int = 8
    worker_heartbeat_timeout: int = 60
    # provider sign-in (issue 16): a provider is offered when its client id and secret are set
    oauth_google_client_id: str | None = None
    oauth_google_client_secret: str | None = None
    oauth_google_issuer: str = "https://accounts.google.com"
    oauth_github_client_id: str | None = None
    oauth_github_client_secret: str | None = None
    oauth_github_url: str = "https://github.com"
    oauth_github_api_url: str = "https://api.github.com"
    #: The client pages a sign-in may return to (`redirect_uri`), exactly as written.
    oauth_redirect_uris: tuple[str, ...] = ()
    #: Seconds a provider has for each step of a sign-in before it counts as down.
    oauth_timeout: int = 10
    #: `folio worker` serves Dramatiq's Prometheus figures here (port 0: off).
    worker_metrics_host: str = "127.0.0.1"
    worker_metrics_port: int = 9191

    @property
    def production(self) -> bool:
        """A PostgreSQL database means production mode: nothing is generated or defaulted silently."""
        return self.database_url.startswith("postgresql")

    @property
    def json_logs(self) -> bool:
        return self.production if self.log_json is None else self.log_json


_PARSERS: dict[str, Callable[[str], Any]] = {
    "var_dir": Path,
    "database_url": _url,
    "valkey_url": _url,
    "access_token_ttl": _int(30, 24 * 3600),
    "refresh_token_ttl": _int(60, 365 * 24 * 3600),
    "smtp_port": _int(1, 65535),
    "smtp_timeout": _int(1, 600),
    "mail_dir": Path,
    "public_url": _url,
    "currency": _currency,
    "payment_limit": _decimal,
    "cors_origins": _list,
    "allowed_hosts": _list,
    "trusted_proxies": _networks,
    "require_verified_email": _bool,
    "rate_limit_login_per_email": _int(1, 1_000_000),
    "rate_limit_login_per_address": _int(1, 1_000_000),
    "rate_limit_forgot_per_email": _int(1, 1_000_000),
    "rate_limit_reset_per_email": _int(1, 1_000_000),
    "rate_limit_books_per_user": _int(1, 1_000_000),
    "argon2_memory_kib": _int(8, 4_194_304),
    "argon2_time_cost": _int(1, 100),
    "db_max_connections": _int(2, 10_000),
    "db_pool_size": _int(1, 1000),
    "db_pool_timeout": _seconds(0.1, 120),
    "db_connect_timeout": _int(1, 60),
    "db_pgbouncer": _bool,
    "log_json": _bool,
    "log_file": Path,
    "port": _int(1, 65535),
    "workers": _int(1, 256),
    "graceful_timeout": _int(1, 600),
    "import_batch_size": _int(1, 10_000),
    "import_lease_seconds": _int(1, 24 * 3600),
    "import_lanes": _int(1, 16),
    "catalog_cache": _bool,
    "mail_max_attempts": _int(1, 100),
    "mail_retry_backoff": _int(1, 3600),
    "mail_redispatch_after": _int(10, 7 * 24 * 3600),
    "relay_interval": _int(1, 3600),
    "worker_processes": _int(1, 64),
    "worker_threads": _int(1, 256),
    "worker_heartbeat_timeout": _int(5, 3600),
    "oauth_google_issuer": _url,
    "oauth_github_url": _url,
    "oauth_github_api_url": _url,
    "oauth_redirect_uris": _redirect_uris,
    "oauth_timeout": _int(1, 120),
    "worker_metrics_port": _int(0, 65535),
}


def _source(environ: Mapping[str, str] | None, env_file: str | Path | None) -> dict[str, str]:
    source: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        source.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    source.update(os.environ if environ is None else environ)
    return _read_secret_files(source)


def _read_secret_files(source: dict[str, str]) -> dict[str, str]:
    """`FOLIO_X_FILE=/run/secrets/x` gives FOLIO_X the file's text (Docker and Kubernetes secrets)."""
    names = {PREFIX + f.name.upper() for f in fields(Settings)}
    for variable, path in list(source.items()):
        target = variable.removesuffix("_FILE")
        if variable in names or target == variable or target not in names or not path:
            continue  # FOLIO_LOG_FILE is a setting of its own, not a file holding FOLIO_LOG
        if target in source:
            raise SettingsError(f"{variable} and {target} are both set: choose one")
        try:
            source[target] = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{variable}={path!r}: cannot read the file ({type(exc).__name__})") from None
    return source


def _parse(source: Mapping[str, str], names: frozenset[str] | None = None) -> Settings:
    """The settings named (default: all) from `source`, each checked by its parser; the rest keep defaults."""
    values: dict[str, Any] = {}
    for f in fields(Settings):
        raw = source.get(PREFIX + f.name.upper())
        if (names is not None and f.name not in names) or raw is None:
            continue
        if raw == "" and f.name not in {"cors_origins", "allowed_hosts"}:
            continue
        parse = _PARSERS.get(f.name, str)
        try:
            values[f.name] = parse(raw)
        except ValueError as exc:
            raise SettingsError(f"{PREFIX}{f.name.upper()}={raw!r}: {exc}") from None
    var_dir = values.get("var_dir", Path("var"))
    values.setdefault("database_url", f"sqlite+aiosqlite:///{var_dir}/folio.db")
    values.setdefault("mail_dir", var_dir / "mail")
    return Settings(**values)


#: What migrating a database needs: where it is, and how to log (no secrets, hosts or servers).
MIGRATION_SETTINGS = frozenset({"var_dir", "database_url", "log_level", "log_json", "log_file"})


def load_migration_settings(
    environ: Mapping[str, str] | None = None, *, env_file: str | Path | None = ".env"
) -> Settings:
    """`folio db upgrade`: only FOLIO_DATABASE_URL (and logging) is read; serving settings are not checked."""
    settings = _parse(_source(environ, env_file), MIGRATION_SETTINGS)
    _check_log_level(settings)
    return settings


def load_settings(environ: Mapping[str, str] | None = None, *, env_file: str | Path | None = ".env") -> Settings:
    """Reads `FOLIO_*` from `environ` (default: the process environment) over a `.env` file."""
    settings = _parse(_source(environ, env_file))
    if settings.smtp_tls not in {"starttls", "tls", "none"}:
        raise SettingsError(f"{PREFIX}SMTP_TLS={settings.smtp_tls!r}: expected starttls, tls or none")
    if settings.jwt_algorithm not in {"HS256", "HS384", "HS512"}:
        raise SettingsError(f"{PREFIX}JWT_ALGORITHM={settings.jwt_algorithm!r}: expected HS256, HS384 or HS512")
    if not settings.jwt_secret:
        if settings.production:
            raise SettingsError(f"{PREFIX}JWT_SECRET is required with a PostgreSQL database")
        settings = _with_dev_secret(settings)
    elif len(settings.jwt_secret) < 32:
        raise SettingsError(f"{PREFIX}JWT_SECRET must be at least 32 characters")
    _check_edge(settings)
    _check_oauth(settings)
    return settings


def _check_oauth(settings: Settings) -> None:
    """A provider needs both its client id and its secret: one without the other is a mistake."""
    for provider in ("google", "github"):
        client_id = getattr(settings, f"oauth_{provider}_client_id")
        secret = getattr(settings, f"oauth_{provider}_client_secret")
        if bool(client_id) != bool(secret):
            missing = "CLIENT_SECRET" if client_id else "CLIENT_ID"
            raise SettingsError(f"{PREFIX}OAUTH_{provider.upper()}_{missing} is required with the other one")


def _check_edge(settings: Settings) -> None:
    """Production names its browser origins and host names: an open edge must be chosen, not defaulted."""
    _check_log_level(settings)
    if not settings.production:
        return
    if settings.allowed_hosts is None or not settings.allowed_hosts:
        raise SettingsError(
            f"{PREFIX}ALLOWED_HOSTS is required with a PostgreSQL database: the host names clients use "
            "(comma separated, `*.example.com` for subdomains), or `*` to accept any Host header"
        )
    if settings.cors_origins is None:
        raise SettingsError(
            f"{PREFIX}CORS_ORIGINS is required with a PostgreSQL database: the browser origins allowed to call "
            "the API (comma separated, e.g. https://app.example.com), `*` for any, or empty for none"
        )


def _check_log_level(settings: Settings) -> None:
    if settings.log_level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise SettingsError(f"{PREFIX}LOG_LEVEL={settings.log_level!r}: expected DEBUG, INFO, WARNING or ERROR")


def _with_dev_secret(settings: Settings) -> Settings:
    """The embedded default generates its signing key once and keeps it under `var/`."""
    path = settings.var_dir / "jwt-secret"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass  # made earlier, or by a process starting beside this one
    else:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
    return replace(settings, jwt_secret=path.read_text().strip())
