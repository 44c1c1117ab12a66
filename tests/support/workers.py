"""`folio worker` processes on PostgreSQL + Valkey for tests: their environment and starting them."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.dramatiq.broker import make_broker
from adapters.dramatiq.publisher import DramatiqPublisher
from entrypoints.bootstrap import Services, bootstrap
from entrypoints.settings import load_settings
from tests.support.processes import FolioProcess, start_folio
from tests.support.settings import TEST_SECRET
from tests.support.smtp import SmtpServer


def worker_env(
    *, pg_url: str, valkey_url: str, valkey_prefix: str, smtp_server: SmtpServer, var_dir: Path
) -> dict[str, str]:
    """Settings for a worker (and the API beside it) with short timers, so tests see retries and sweeps."""
    return {
        "FOLIO_DATABASE_URL": pg_url,
        "FOLIO_VALKEY_URL": valkey_url,
        "FOLIO_VALKEY_PREFIX": valkey_prefix,
        "FOLIO_JWT_SECRET": TEST_SECRET,
        "FOLIO_ALLOWED_HOSTS": "*",
        "FOLIO_CORS_ORIGINS": "",
        "FOLIO_VAR_DIR": str(var_dir),
        "FOLIO_ARGON2_MEMORY_KIB": "1024",
        "FOLIO_ARGON2_TIME_COST": "1",
        "FOLIO_RELAY_INTERVAL": "1",
        "FOLIO_MAIL_REDISPATCH_AFTER": "10",
        "FOLIO_MAIL_RETRY_BACKOFF": "1",
        "FOLIO_WORKER_HEARTBEAT_TIMEOUT": "5",
        "FOLIO_WORKER_THREADS": "2",
        "FOLIO_WORKER_METRICS_PORT": "0",  # tests running side by side would share 9191; one that scrapes sets it
        "FOLIO_LOG_JSON": "false",
        **smtp_server.env(timeout=2),
    }


@pytest.fixture(name="env")
def env_fixture(
    pg_url: str, valkey_url: str, valkey_prefix: str, smtp_server: SmtpServer, tmp_path: Path
) -> dict[str, str]:
    """`worker_env` on this test's database, Valkey prefix, SMTP server and directory (import `env_fixture`)."""
    return worker_env(
        pg_url=pg_url,
        valkey_url=valkey_url,
        valkey_prefix=valkey_prefix,
        smtp_server=smtp_server,
        var_dir=tmp_path / "var",
    )


@pytest.fixture(name="api")
async def api_fixture(env: dict[str, str]) -> AsyncIterator[Services]:
    """The API side in the test's process: it commits and hands on to the Valkey broker."""
    settings = load_settings(env, env_file=None)
    broker = make_broker(settings.valkey_url, prefix=settings.valkey_prefix)
    services = bootstrap(settings, publisher=DramatiqPublisher(broker))
    yield services
    await services.aclose()
    broker.close()


def run_worker(env: dict[str, str], started: list[FolioProcess]) -> FolioProcess:
    """Starts `folio worker --processes 1` and appends it to `started` (the caller stops them)."""
    process = start_folio(["worker", "--processes", "1"], os.environ | env, log_name=f"worker-{len(started)}.log")
    started.append(process)
    return process
