"""Running the ASGI app under a production server with several worker processes."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from entrypoints.logs import flush_logs
from entrypoints.loops import LOOP

log = logging.getLogger("folio.serve")

FACTORY = "entrypoints.http.asgi:create"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: Dramatiq's Prometheus middleware: where its worker processes keep their figures (lower case, as it spells it).
DRAMATIQ_PROM_DB = "dramatiq_prom_db"


def prepare_metrics_dir(var_dir: Path) -> Path:
    """A fresh directory where every worker writes its Prometheus counters (stale files would add up).

    Must run before anything imports prometheus_client: the library picks its storage at import.
    """
    path = clear_metrics_dir(Path(os.environ.get(MULTIPROC_ENV) or var_dir / "prometheus"))
    os.environ[MULTIPROC_ENV] = str(path)
    return path


def clear_metrics_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):  # only prometheus-client's files: the directory may be the operator's
        stale.unlink()
    return path


def prepare_worker_metrics(var_dir: Path, host: str, port: int) -> Path:
    """`folio worker`: Dramatiq's Prometheus middleware keeps each worker process's figures in a fresh
    directory of their own (never the API's) and serves them merged on host:port from a forked process.

    Dramatiq's middleware reads these variables when its module is imported, so set them first.
    """
    path = clear_metrics_dir(var_dir / "worker-prometheus")
    os.environ.update(
        {
            "dramatiq_prom_db": str(path),
            "dramatiq_prom_host": host,
            "dramatiq_prom_port": str(port),
            MULTIPROC_ENV: str(path),
        }
    )
    return path


def run_server(server: str, host: str, port: int, workers: int, graceful_timeout: int) -> None:
    """Serves until SIGINT/SIGTERM; then the server stops accepting, drains requests in flight, and each
    worker's lifespan shutdown closes its pools and flushes its logs."""
    log.info("serving on http://%s:%s with %s %s worker(s)", host, port, workers, server)
    try:
        if server == "uvicorn":
            _uvicorn(host, port, workers, graceful_timeout)
        else:
            _granian(host, port, workers, graceful_timeout)
    finally:
        log.info("server stopped")
        flush_logs()


# Granian's own lines (start, workers, shutdown) go to the root logger, so they are structured too.
_GRANIAN_LOGS = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {},
    "handlers": {},
    "loggers": {
        "_granian": {"handlers": [], "propagate": True},
        "granian.access": {"handlers": [], "propagate": True},
    },
}


def _granian(host: str, port: int, workers: int, graceful_timeout: int) -> None:
    from granian.constants import Interfaces, Loops
    from granian.server import Server

    Server(
        FACTORY,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        loop=Loops(LOOP),
        workers=workers,
        factory=True,
        log_access=False,  # Folio logs one structured line per request itself
        log_dictconfig=_GRANIAN_LOGS,
        respawn_failed_workers=True,
        workers_kill_timeout=graceful_timeout,
    ).serve()


def _uvicorn(host: str, port: int, workers: int, graceful_timeout: int) -> None:
    import uvicorn

    uvicorn.run(
        FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_config=None,  # keep the structured logging set up by the entry point
        lifespan="on",
        loop=LOOP,
        timeout_graceful_shutdown=graceful_timeout,
        server_header=False,
        proxy_headers=False,
    )
