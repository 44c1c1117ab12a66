"""Private PostgreSQL and Valkey-compatible servers that a test may stop and start (never the shared ones).

PostgreSQL: a throwaway cluster made with the machine's `initdb`/`pg_ctl` (PostgreSQL 15) in a temporary
directory, on a free port, with a small `max_connections`. initdb refuses to run as root, so as root the
cluster belongs to the `postgres` system user and its commands run through `runuser`.
Valkey: `redis-server` (or `valkey-server`) on a free port, nothing persisted: a restart loses every key,
like a crashed cache.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import valkey

from tests.support.processes import LOOPBACK, free_port

PG_BIN = Path(os.environ.get("FOLIO_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _as_owner(args: list[str]) -> list[str]:
    """Runs as the `postgres` system user when we are root (initdb and postgres refuse root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


class PrivatePostgres:
    """A PostgreSQL cluster of its own; `stop()` and `start()` it at will (same port, same data)."""

    def __init__(self, *, max_connections: int = 40) -> None:
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="folio-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.max_connections = max_connections
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")

    @property
    def url(self) -> str:
        """The maintenance database, as the superuser (trust authentication on loopback)."""
        return f"postgresql+psycopg://postgres@{LOOPBACK}:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60) -> None:
        done = subprocess.run(_as_owner(list(args)), capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def create(self) -> None:
        self._run(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"
        )
        settings = {
            "port": self.port,
            "listen_addresses": f"'{LOOPBACK}'",
            "unix_socket_directories": f"'{self.root}'",
            "max_connections": self.max_connections,
            "fsync": "off",  # a throwaway cluster: durability across a machine crash is not the point
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "shared_buffers": "'32MB'",
        }
        conf = "".join(f"{name} = {value}\n" for name, value in settings.items())
        self._run("sh", "-c", f"cat >> {self.data}/postgresql.conf <<'EOF'\n{conf}EOF")
        self.start()

    def start(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """`fast`: connections are cut, as in a restart; `immediate`: as in a crash."""
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(RuntimeError):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


class PrivateValkey:
    """A Valkey-compatible server of its own, without persistence; `stop()` and `start()` on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.binary = shutil.which("valkey-server") or shutil.which("redis-server")
        if self.binary is None:
            raise RuntimeError("no valkey-server or redis-server on PATH")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"valkey://{LOOPBACK}:{self.port}/0"

    def start(self) -> None:
        assert self.binary is not None
        args = [self.binary, "--port", str(self.port), "--bind", LOOPBACK, "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = valkey.Valkey(host=LOOPBACK, port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                break
            except valkey.exceptions.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


@contextlib.contextmanager
def private_servers(*, max_connections: int = 40) -> Iterator[tuple[PrivatePostgres, PrivateValkey]]:
    postgres, cache = PrivatePostgres(max_connections=max_connections), PrivateValkey()
    try:
        postgres.create()
        cache.start()
        yield postgres, cache
    finally:
        cache.stop()
        postgres.destroy()


class PrivatePgBouncer:
    """PgBouncer in transaction pooling mode in front of `postgres` (any database, user postgres, trust)."""

    def __init__(self, postgres: PrivatePostgres, *, pool_size: int = 4) -> None:
        self.binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="folio-pgbouncer-"))
        self.postgres = postgres
        self.pool_size = pool_size
        self.process: subprocess.Popen[bytes] | None = None
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@{LOOPBACK}:{self.port}/{database}"

    def start(self) -> None:
        users = self.root / "users.txt"
        users.write_text('"postgres" ""\n')
        config = self.root / "pgbouncer.ini"
        config.write_text(
            f"[databases]\n* = host={LOOPBACK} port={self.postgres.port}\n"
            f"[pgbouncer]\nlisten_addr = {LOOPBACK}\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {users}\npool_mode = transaction\n"
            f"default_pool_size = {self.pool_size}\nmax_client_conn = 500\n"
            f"logfile = {self.root}/pgbouncer.log\n"
        )
        for path in (users, config):
            if os.geteuid() == 0:
                shutil.chown(path, "postgres", "postgres")
        self.process = subprocess.Popen(
            _as_owner([self.binary, str(config)]), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, self.port), timeout=1):
                return
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"pgbouncer did not start: {self.output()}")
            time.sleep(0.05)

    def output(self) -> str:
        log = self.root / "pgbouncer.log"
        return log.read_text(errors="replace")[-3000:] if log.exists() else ""

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
            self.process = None
        shutil.rmtree(self.root, ignore_errors=True)
