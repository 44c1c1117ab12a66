"""Settings from `FOLIO_*` environment variables (and a `.env` file), checked at start.

One typed `Settings` struct: msgspec converts the text of the environment into it, its bounds and
patterns written on the fields as `Meta`; a value it refuses stops the start with a message naming the
variable and the rule. What one field cannot say alone (a secret's length, production's edge, a provider's
id and secret together) is checked after.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from decimal import Decimal
from ipaddress import ip_network
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
import msgspec.inspect as types
from msgspec import Meta

PREFIX = "FOLIO_"


class SettingsError(ValueError):
    """A setting has a value Folio cannot use; the message names it."""


Url = Annotated[str, Meta(pattern="://", description="a URL such as scheme://host/...")]
Port = Annotated[int, Meta(ge=1, le=65535)]
PerWindow = Annotated[int, Meta(ge=1, le=1_000_000)]  # a rate limit's attempts
Seconds = Annotated[int, Meta(ge=1, le=3600)]
Page = Annotated[str, Meta(pattern=r"^[^#]*://[^#]*$", description="absolute URLs without a fragment, comma-separated")]
DAY = 24 * 3600


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    var_dir: Path = Path("var")
    database_url: Url = ""
    valkey_url: Url | None = None
    valkey_prefix: str = "folio:"
    jwt_secret: str = ""
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    access_token_ttl: Annotated[int, Meta(ge=30, le=DAY)] = 900
    refresh_token_ttl: Annotated[int, Meta(ge=60, le=365 * DAY)] = 14 * DAY
    smtp_host: str | None = None
    smtp_port: Port = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_tls: Literal["starttls", "tls", "none"] = "starttls"
    smtp_timeout: Annotated[int, Meta(ge=1, le=600)] = 30
    mail_from: str = "Folio <no-reply@folio.local>"
    mail_dir: Path = Path("var/mail")
    public_url: Url = "http://127.0.0.1:8000"
    currency: Annotated[str, Meta(pattern="^[A-Z]{3}$", description="a three-letter currency code")] = "USD"
    payment_limit: Decimal = Decimal("10000.00")
    #: None = not set (off in the embedded mode, refused in production); () = set empty; ("*",) = any.
    cors_origins: tuple[str, ...] | None = None
    allowed_hosts: tuple[str, ...] | None = None
    #: Load balancers whose X-Forwarded-For names the client (rate limits go by client address).
    trusted_proxies: tuple[str, ...] = ()  # as networks: "10.0.0.0/8", "192.0.2.7/32"
    require_verified_email: bool = True
    rate_limit_login_per_email: PerWindow = 10
    rate_limit_login_per_address: PerWindow = 60
    rate_limit_forgot_per_email: PerWindow = 5
    rate_limit_reset_per_email: PerWindow = 20
    rate_limit_books_per_user: PerWindow = 50  # readers' own books a day
    argon2_memory_kib: Annotated[int, Meta(ge=8, le=4_194_304)] = 19_456
    argon2_time_cost: Annotated[int, Meta(ge=1, le=100)] = 2
    #: PostgreSQL connections one process may hold, all its server (or Dramatiq) workers together.
    db_max_connections: Annotated[int, Meta(ge=2, le=10_000)] = 24
    #: Deprecated: one worker's write pool; still honoured, but cut to the worker's share of the budget.
    db_pool_size: Annotated[int, Meta(ge=1, le=1000)] | None = None
    #: Seconds a request waits for a pooled connection (then 503), and for PostgreSQL to accept one.
    db_pool_timeout: Annotated[float, Meta(ge=0.1, le=120)] = 5.0
    db_connect_timeout: Annotated[int, Meta(ge=1, le=60)] = 3
    #: Behind a transaction-pooling PgBouncer: no session state, no startup options, no prepared statements.
    db_pgbouncer: bool = False
    log_level: str = "INFO"
    log_json: bool | None = None
    log_file: Path | None = None
    host: str = "127.0.0.1"
    port: Port = 8000
    workers: Annotated[int, Meta(ge=1, le=256)] = msgspec.field(default_factory=lambda: os.cpu_count() or 1)
    #: On SIGTERM, how long requests in flight may take to finish before pools close anyway.
    graceful_timeout: Annotated[int, Meta(ge=1, le=600)] = 30
    # CSV import: rows per transaction, and how long a silent worker keeps an import.
    import_batch_size: Annotated[int, Meta(ge=1, le=10_000)] = 2000
    import_lease_seconds: Annotated[int, Meta(ge=1, le=DAY)] = 120
    #: Batches an import writes at once, each in its own transaction (see bench/imports.py).
    import_lanes: Annotated[int, Meta(ge=1, le=16)] = 3
    # catalog: read-through cache of book detail, genre and tag lists (and match counts)
    catalog_cache: bool = True
    #: With Valkey: MiB of cached reads each process keeps in front of it (0: none, every hit asks Valkey).
    catalog_cache_local_mb: Annotated[int, Meta(ge=0, le=4096)] = 32
    # mail and background work; times in seconds
    mail_max_attempts: Annotated[int, Meta(ge=1, le=100)] = 8
    mail_retry_backoff: Seconds = 5
    mail_redispatch_after: Annotated[int, Meta(ge=10, le=7 * DAY)] = 900
    relay_interval: Seconds = 2
    worker_processes: Annotated[int, Meta(ge=1, le=64)] = 1
    worker_threads: Annotated[int, Meta(ge=1, le=256)] = 8
    worker_heartbeat_timeout: Annotated[int, Meta(ge=5, le=3600)] = 60
    # provider sign-in: a provider is offered when its client id and secret are set
    oauth_google_client_id: str | None = None
    oauth_google_client_secret: str | None = None
    oauth_google_issuer: Url = "https://accounts.google.com"
    oauth_github_client_id: str | None = None
    oauth_github_client_secret: str | None = None
    oauth_github_url: Url = "https://github.com"
    oauth_github_api_url: Url = "https://api.github.com"
    #: The client pages a sign-in may return to (`redirect_uri`), exactly as written.
    oauth_redirect_uris: tuple[Page, ...] = ()
    #: Seconds a provider has for each step of a sign-in before it counts as down.
    oauth_timeout: Annotated[int, Meta(ge=1, le=120)] = 10
    #: `folio worker` serves Dramatiq's Prometheus figures here (port 0: off).
    worker_metrics_host: str = "127.0.0.1"
    worker_metrics_port: Annotated[int, Meta(ge=0, le=65535)] = 9191

    @property
    def production(self) -> bool:
        """A PostgreSQL database means production mode: nothing is generated or defaulted silently."""
        return self.database_url.startswith("postgresql")

    @property
    def json_logs(self) -> bool:
        return self.production if self.log_json is None else self.log_json


def _struct(cls: type) -> types.StructType:
    info = types.type_info(cls)
    assert isinstance(info, types.StructType)
    return info


#: Each setting's type as msgspec sees it (`Optional` unwrapped), to turn environment text into its shape.
FIELD_TYPES: dict[str, types.Type] = {
    f.name: next((t for t in f.type.types if not isinstance(t, types.NoneType)), f.type)
    if isinstance(f.type, types.UnionType)
    else f.type
    for f in _struct(Settings).fields
}
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}
#: Set empty, these mean "none" rather than "not set".
_EMPTY_MEANS_NONE = frozenset({"cors_origins", "allowed_hosts"})


def _shaped(name: str, raw: str) -> Any:
    """Environment text in the shape msgspec converts: comma lists split, booleans spelled, numbers trimmed."""
    kind = FIELD_TYPES[name]
    if isinstance(kind, types.Metadata):
        kind = kind.type
    if isinstance(kind, types.VarTupleType):
        return [part.strip() for part in raw.split(",") if part.strip()]
    if (isinstance(kind, types.StrType) and not kind.pattern) or isinstance(kind, types.CustomType):
        return raw  # free text (a secret, a name, a path) is taken as written
    value = raw.strip()
    if isinstance(kind, types.BoolType):
        return True if value.lower() in _TRUE else False if value.lower() in _FALSE else value
    return value.upper() if name == "currency" else value


def _hint(kind: types.Type) -> str:
    """What a setting accepts, for a refusal whose msgspec message does not say it all."""
    if isinstance(kind, types.Metadata):
        return str((kind.extra_json_schema or {}).get("description", "")) or _hint(kind.type)
    if isinstance(kind, types.IntType | types.FloatType) and kind.ge is not None and kind.le is not None:
        return f"from {kind.ge} to {kind.le}"
    if isinstance(kind, types.LiteralType):
        return "expected " + ", ".join(map(str, kind.values))
    if isinstance(kind, types.VarTupleType):
        return _hint(kind.item_type)
    return ""


_AT = re.compile(r"^(?P<rule>.*) - at `\$\.(?P<name>\w+)(?P<item>\[\d+\])?`$")


def _refusal(error: msgspec.ValidationError, source: Mapping[str, str]) -> SettingsError:
    """msgspec's `Expected `int` >= 1 - at `$.port`` as `FOLIO_PORT='0': Expected `int` >= 1 (from 1 to 65535)`."""
    found = _AT.match(str(error))
    if found is None:  # not a field's value: say it as msgspec does
        return SettingsError(str(error))
    variable = PREFIX + found["name"].upper()
    hint = _hint(FIELD_TYPES[found["name"]])
    return SettingsError(f"{variable}={source[variable]!r}: {found['rule']}" + (f" ({hint})" if hint else ""))


def _networks(settings: Settings, source: Mapping[str, str]) -> Settings:
    """Trusted proxies as networks, a bare address as its /32 (or /128)."""
    try:
        networks = tuple(str(ip_network(part, strict=False)) for part in settings.trusted_proxies)
    except ValueError:
        raise SettingsError(
            f"{PREFIX}TRUSTED_PROXIES={source.get(PREFIX + 'TRUSTED_PROXIES')!r}: "
            "expected IP addresses or networks such as 10.0.0.0/8, comma-separated"
        ) from None
    return msgspec.structs.replace(settings, trusted_proxies=networks)


def _source(environ: Mapping[str, str] | None, env_file: str | Path | None) -> dict[str, str]:
    source: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        from dotenv import dotenv_values  # only with a file to read

        source.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    source.update(os.environ if environ is None else environ)
    return _read_secret_files(source)


def _read_secret_files(source: dict[str, str]) -> dict[str, str]:
    """`FOLIO_X_FILE=/run/secrets/x` gives FOLIO_X the file's text (Docker and Kubernetes secrets)."""
    names = {PREFIX + name.upper() for name in FIELD_TYPES}
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


def _path(kind: type, value: Any) -> Any:
    if kind is Path and isinstance(value, str):
        return Path(value)
    raise NotImplementedError


def _parse(source: Mapping[str, str], names: frozenset[str] | None = None) -> Settings:
    """The settings named (default: all) from `source`, converted by msgspec; the rest keep defaults."""
    values: dict[str, Any] = {}
    for name in FIELD_TYPES:
        raw = source.get(PREFIX + name.upper())
        if (names is not None and name not in names) or raw is None or (raw == "" and name not in _EMPTY_MEANS_NONE):
            continue
        values[name] = _shaped(name, raw)
    var_dir = values.get("var_dir", "var")
    values.setdefault("database_url", f"sqlite+aiosqlite:///{var_dir}/folio.db")
    values.setdefault("mail_dir", str(Path(var_dir) / "mail"))
    try:
        settings = msgspec.convert(values, Settings, strict=False, dec_hook=_path)
    except msgspec.ValidationError as error:
        raise _refusal(error, source) from None
    if not settings.payment_limit.is_finite() or settings.payment_limit < 0:
        raise SettingsError(
            f"{PREFIX}PAYMENT_LIMIT={source[PREFIX + 'PAYMENT_LIMIT']!r}: expected a non-negative decimal number"
        )
    return _networks(settings, source)


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
    return msgspec.structs.replace(settings, jwt_secret=path.read_text().strip())
