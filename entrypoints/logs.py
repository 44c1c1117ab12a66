"""Structured logs: JSON in production, readable in development, secrets never written.

`configure_logging(settings)` is called once by each entry point (the ASGI factory in every server
process, the CLI commands, the worker), never at import. Standard-library loggers (`logging.getLogger`)
and structlog loggers go through the same processors, so redaction covers both.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from structlog.typing import EventDict, Processor, WrappedLogger

    from entrypoints.settings import Settings

REDACTED = "[REDACTED]"

#: Keys whose values are secrets wherever they appear (compared lower-case, `-` read as `_`).
SECRET_KEYS = frozenset(
    {
        "password",
        "current_password",
        "new_password",
        "password_hash",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "code",
        "reset_code",
        "otp",
        "secret",
        "jwt_secret",
        "smtp_password",
        "authorization",
        "cookie",
        "set_cookie",
        "api_key",
        "x_api_key",
        "idempotency_key",
        "client_secret",
        # provider sign-in
        "login_code",
        "code_verifier",
        "nonce",
    }
)

# Secrets that may hide inside free text: bearer tokens, JWTs, URL credentials, key=value pairs.
_TEXT_SECRETS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), rf"\1 {REDACTED}"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), REDACTED),
    (re.compile(r"(://[^:/@\s]+:)[^@\s]+@"), rf"\1{REDACTED}@"),
    (
        re.compile(
            r"(?i)\b((?:current_|new_)?password|(?:access_|refresh_)?token|(?:login_)?code|secret)"
            r"(\"?\s*[=:]\s*\"?)[^\s\"&,;}]+"
        ),
        rf"\1\2{REDACTED}",
    ),
)
_MAX_DEPTH = 6


def redact_text(text: str) -> str:
    for pattern, replacement in _TEXT_SECRETS:
        text = pattern.sub(replacement, text)
    return text


def _is_secret_key(key: object) -> bool:
    if isinstance(key, bytes):
        key = key.decode("latin-1")
    return isinstance(key, str) and key.lower().replace("-", "_") in SECRET_KEYS


def _redact(value: Any, depth: int = 0) -> Any:
    if depth > _MAX_DEPTH:
        return value
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: REDACTED if _is_secret_key(k) else _redact(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        if len(value) == 2 and _is_secret_key(value[0]):  # a (name, value) pair, e.g. ASGI headers
            items: list[Any] = [value[0], REDACTED]
        else:
            items = [_redact(item, depth + 1) for item in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, bytes):
        return redact_text(value.decode("utf-8", "replace"))
    return value


def redact_secrets(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
    """structlog processor: blanks secret keys at any depth and secret-shaped text in every string."""
    for key, value in list(event_dict.items()):
        event_dict[key] = REDACTED if _is_secret_key(key) else _redact(value)
    return event_dict


def _shared_processors() -> list[Processor]:
    import structlog

    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def _handlers(settings: Settings, formatter: logging.Formatter) -> list[logging.Handler]:
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if settings.log_file is not None:
        settings.log_file.parent.mkdir(parents=True, exist_ok=True)
        # Several processes (server workers, Dramatiq workers) append to one file: none of them rotates it
        # (a rotating handler per process would rename it under the others). logrotate moves it; each
        # process sees the new inode at its next line and reopens the path.
        handlers.append(logging.handlers.WatchedFileHandler(settings.log_file, encoding="utf-8"))
    for handler in handlers:
        handler.setFormatter(formatter)
    return handlers


def _formatter(json_logs: bool) -> logging.Formatter:
    """structlog's formatter: the shared processors, redaction, then JSON or readable text."""
    import structlog

    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if json_logs
        else structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_secrets,  # last before rendering: tracebacks and messages are scrubbed too
            renderer,
        ],
    )


class _FirstRecordFormatter(logging.Formatter):
    """structlog's formatter, built (and structlog imported, ~70 ms of CPU) at the first record written:
    a command that writes none, such as a clean `folio books import`, never pays for it."""

    def __init__(self, json_logs: bool) -> None:
        super().__init__()
        self._json_logs = json_logs
        self._built: logging.Formatter | None = None

    def format(self, record: logging.LogRecord) -> str:
        if self._built is None:
            self._built = _formatter(self._json_logs)
        return self._built.format(record)


def configure_logging(settings: Settings, *, structlog_loggers: bool = True) -> None:
    """Routes every log record through structlog's processors to stderr (and FOLIO_LOG_FILE).

    `structlog_loggers=False` where only standard-library loggers write (the command line): structlog's
    own loggers are then left unconfigured, and structlog is imported only if a record is written."""
    formatter = _FirstRecordFormatter(settings.json_logs)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    for handler in _handlers(settings, formatter):
        root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    for noisy in ("sqlalchemy.engine", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if not structlog_loggers:
        return
    import structlog

    structlog.configure(
        processors=[*_shared_processors(), structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def flush_logs() -> None:
    """Writes out what the handlers hold (at shutdown, so the last lines are not lost)."""
    for handler in logging.getLogger().handlers:
        handler.flush()


def get_logger(name: str) -> Any:
    import structlog

    return structlog.stdlib.get_logger(name)
