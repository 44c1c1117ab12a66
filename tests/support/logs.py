"""Logging set up the way the entry points do it, into a file a test can read, then put back."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import structlog

from entrypoints.logs import configure_logging, flush_logs
from tests.support.settings import make_settings


@contextmanager
def captured_logs(var_dir: Path, *, json_logs: bool = True, structlog_loggers: bool = True) -> Iterator[Path]:
    """Configures logging to FOLIO_LOG_FILE under `var_dir` (`structlog_loggers=False`: as the command line
    does); restores pytest's handlers afterwards."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    for handler in saved_handlers:  # detached, not closed: pytest keeps using them
        root.removeHandler(handler)
    log_file = var_dir / "logs" / "folio.log"
    settings = make_settings(var_dir, log_file=log_file, log_json=str(json_logs).lower())
    configure_logging(settings, structlog_loggers=structlog_loggers)
    try:
        yield log_file
    finally:
        flush_logs()
        for handler in list(root.handlers):
            root.removeHandler(handler)
            handler.close()
        for handler in saved_handlers:
            root.addHandler(handler)
        root.setLevel(saved_level)
        structlog.reset_defaults()


def read_lines(log_file: Path) -> list[dict[str, Any]]:
    flush_logs()
    return [json.loads(line) for line in log_file.read_text().splitlines() if line.strip()]
