"""Real `folio` processes for tests and benchmarks: API servers on free loopback ports, workers beside them.

Every process gets its own `var/` directory and log file, runs in its own session (so its server
workers go with it), and is stopped with SIGTERM (then SIGKILL after a grace period) by the helper
that started it. Typical use:

    env = folio_env(tmp_path / "a", database_url=pg_url, valkey_url=valkey_url, valkey_prefix=valkey_prefix)
    with running(start_server(env), start_server(folio_env(tmp_path / "b", ...))) as (a, b):
        httpx.get(f"{a.url}/health/ready")
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support.settings import TEST_SECRET

FOLIO = str(Path(sys.executable).with_name("folio"))
LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def folio_env(var_dir: Path, *, database_url: str, **settings: Any) -> dict[str, str]:
    """The environment of a child `folio` process: this one's, minus any FOLIO_* or Prometheus setting,
    plus test settings (fixed JWT secret, cheap argon2, open edge, JSON logs) and `settings` as FOLIO_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOLIO_") and k != "PROMETHEUS_MULTIPROC_DIR"}
    var_dir.mkdir(parents=True, exist_ok=True)
    env.update(
        {
            "FOLIO_VAR_DIR": str(var_dir),
            "FOLIO_DATABASE_URL": database_url,
            "FOLIO_JWT_SECRET": TEST_SECRET,
            "FOLIO_ARGON2_MEMORY_KIB": "1024",
            "FOLIO_ARGON2_TIME_COST": "1",
            "FOLIO_ALLOWED_HOSTS": "*",
            "FOLIO_CORS_ORIGINS": "",
            "FOLIO_LOG_JSON": "true",
            "FOLIO_PUBLIC_URL": "http://folio.test",
        }
    )
    for key, value in settings.items():
        if value is not None:
            env[f"FOLIO_{key.upper()}"] = str(value)
    return env


@dataclass
class FolioProcess:
    """A running `folio` command; `url` is set for servers."""

    process: subprocess.Popen[bytes]
    log_path: Path
    url: str = ""
    args: tuple[str, ...] = field(default=())

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self, sig: signal.Signals = signal.SIGKILL, *, wait: float = 30.0) -> None:
        """Sends `sig` to the whole session (a server's or worker's children too) and waits for the end."""
        if not self.alive():
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)
        try:
            self.process.wait(wait)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self, grace: float = 30.0) -> int:
        """SIGTERM (the server drains and shuts down), then SIGKILL to its session after `grace` seconds."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        return self.process.returncode


def start_folio(args: list[str], env: Mapping[str, str], *, log_name: str | None = None) -> FolioProcess:
    """Starts `folio <args>` in its own session, its output in a log file under its var dir."""
    var_dir = Path(env["FOLIO_VAR_DIR"])
    log_path = var_dir / (log_name or f"{args[0]}.log")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # our own command, fixed arguments
            [FOLIO, *args],
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    return FolioProcess(process, log_path, args=tuple(args))


def start_server(
    env: Mapping[str, str],
    *,
    workers: int = 1,
    server: str = "granian",
    port: int | None = None,
    ready_within: float = 90.0,
) -> FolioProcess:
    """`folio serve` on a free loopback port; returns once `/health/ready` answers 200."""
    port = port or free_port()
    args = ["serve", "--host", LOOPBACK, "--port", str(port), "--workers", str(workers), "--server", server]
    started = start_folio(args, env, log_name=f"serve-{port}.log")
    started.url = f"http://{LOOPBACK}:{port}"
    try:
        wait_ready(started, within=ready_within)
    except BaseException:
        started.stop(grace=5)
        raise
    return started


def wait_ready(server: FolioProcess, *, within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not server.alive():
            raise RuntimeError(f"folio {' '.join(server.args)} exited early:\n{server.output()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{server.url}/health/ready", timeout=2).status_code == 200:
                return
        time.sleep(0.25)
    raise TimeoutError(f"folio {' '.join(server.args)} not ready in {within}s:\n{server.output()}")


@contextlib.contextmanager
def running(*processes: FolioProcess) -> Iterator[tuple[FolioProcess, ...]]:
    """Stops every process at the end, even when the test fails."""
    try:
        yield processes
    finally:
        for process in processes:
            process.stop()
