"""`make bench-catalog`: HTTP load on the catalog's read paths, served by `folio serve` on PostgreSQL.

Seeds one bench database per size in --books, then for each size, worker count and cache mode starts
the server, drives each scenario with wrk (32 connections, bounded in time) and prints requests/s, p50,
p99 and the CPU each request cost: Folio's (the server and its workers) and PostgreSQL's (the backends
serving the bench database), with the new PostgreSQL sessions opened meanwhile (connection churn). CPU
per request is steadier than requests/s on a loaded machine. A Litestar + granian hello-world is
measured in the same run, as the framework's ceiling (`--ceiling`).

`--base DIR` also serves the code in DIR (e.g. `git archive main | tar -x -C DIR`), interleaved with
this tree's scenario by scenario: before/after in one run.

Measured with it (2 workers, 32 connections): freezing the heap built at start (`settle_heap`,
entrypoints/heap.py) took the p99 from 76-87 ms to 10-15 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.sql.tables import books
from entrypoints.cli import upgrade_database

ROOT = Path(__file__).resolve().parent.parent
SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SCENARIOS = {
    "first page": "/api/v1/books",
    "search": "/api/v1/books?q=lantern%20wolf",
    "filtered search": "/api/v1/books?q=river&genre=fantasy&max_price=20&in_stock=true",
    "common word": "/api/v1/books?q=love",
    "deep page": "/api/v1/books?offset=10000",
    "deep page by cursor": "{cursor}",
    "rating sort": "/api/v1/books?sort=-rating",
    "genre page": "/api/v1/books?genre=fantasy",
    "book detail": "/api/v1/books/{book_id}",
    "stop word": "/api/v1/books?q=the",
    "health": "/health",
}
SECRET = "bench-secret-that-is-long-enough-for-hs256-0123456789"


async def prepare(url: str, count: int) -> str:
    """Creates and migrates the bench database if needed, tops it up to `count` books; a book id."""
    name = make_url(url).database
    admin = create_async_engine(SERVER, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        exists = (await conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})).first()
        if not exists:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    await asyncio.to_thread(upgrade_database, url)
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        have = (await conn.execute(select(func.count()).select_from(books))).scalar_one()
    if have < count:
        env = os.environ | {
            "FOLIO_DATABASE_URL": url,
            "FOLIO_JWT_SECRET": SECRET,
            "FOLIO_ALLOWED_HOSTS": "*",
            "FOLIO_CORS_ORIGINS": "",
        }
        print(f"seeding {count - have} books ...", flush=True)
        command = [str(ROOT / ".venv/bin/folio"), "seed", "--books", str(count - have)]
        await asyncio.to_thread(subprocess.run, command, env=env, check=True)
    async with engine.connect() as conn:
        book_id = (await conn.execute(select(books.c.id).order_by(books.c.created_at.desc()).limit(1))).scalar_one()
    await engine.dispose()
    return str(book_id)


def cursor_path(origin: str) -> str:
    """The page after the 10,000th book by its cursor (the `next` of the page at offset 9,980); a tree
    without cursors serves that same page by offset instead, so before/after compares the two."""
    with urllib.request.urlopen(origin + "/api/v1/books?offset=9980", timeout=30) as response:
        following = json.load(response).get("next")
    return f"/api/v1/books?after={following}" if following else "/api/v1/books?offset=10000"


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url: str, seconds: int, connections: int, script: Path | None = None) -> dict[str, float]:
    """wrk on `url` (or the requests a Lua `script` makes against it): requests/s, p50 and p99 in ms, non-2xx."""
    extra = ["-s", str(script)] if script is not None else []
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s", *extra, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": p50, "p99": p99, "non2xx": float(errors.group(1)) if errors else 0.0}


def _ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # gone meanwhile
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def group_cpu(pgid: int) -> float:
    """CPU seconds used so far by the live processes of one process group (a server and its workers)."""
    ticks = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid:  # pgrp
                ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


class Backends:
    """PostgreSQL's side of a run: CPU of the backends serving the bench database (they run on this
    machine), and the sessions opened meanwhile (pg_stat_database.sessions)."""

    def __init__(self, url: str) -> None:
        self._dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)

    def _sample(self) -> tuple[dict[int, int], int]:
        import psycopg

        with psycopg.connect(self._dsn, autocommit=True) as conn:
            pids = [
                row[0]
                for row in conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ]
            row = conn.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()").fetchone()
        return {pid: _ticks(pid) for pid in pids}, int(row[0]) if row else 0

    def start(self) -> None:
        self._before, self._sessions = self._sample()

    def stop(self) -> tuple[float, int]:
        """CPU seconds of the backends alive at the end (those that ended meanwhile are not counted:
        see the sessions figure) and new sessions, less the two this measurement opened."""
        after, sessions = self._sample()
        ticks = sum(t - self._before.get(pid, 0) for pid, t in after.items())
        return ticks / os.sysconf("SC_CLK_TCK"), sessions - self._sessions - 1


def measure(
    url: str, seconds: int, connections: int, pgid: int, backends: Backends | None, script: Path | None = None
) -> dict[str, float]:
    """wrk on `url`, with the CPU per request of the server (process group `pgid`) and of PostgreSQL."""
    if backends:
        backends.start()
    cpu = group_cpu(pgid)
    found = wrk(url, seconds, connections, script)
    folio = group_cpu(pgid) - cpu
    pg, sessions = backends.stop() if backends else (0.0, 0)
    requests = max(1.0, found["rps"] * seconds)
    return found | {"folio_ms": 1000 * folio / requests, "pg_ms": 1000 * pg / requests, "sessions": sessions}


def hello_world(port: int) -> subprocess.Popen[bytes]:
    """The ceiling: Litestar + granian, one worker, the same loop as `folio serve`."""
    from entrypoints.loops import LOOP

    command = [str(ROOT / ".venv/bin/granian"), "--interface", "asgi", "--factory", "--workers", "1"]
    command += ["--loop", LOOP, "--port", str(port), "--no-ws", "bench.hello:create"]
    process = subprocess.Popen(command, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL)
    _wait_for(process, f"http://127.0.0.1:{port}/")
    return process


def ceiling(seconds: int, connections: int) -> dict[str, float]:
    """The hello-world's figures, measured like a scenario (after a second of warm-up)."""
    port = free_port()
    server = hello_world(port)
    try:
        url = f"http://127.0.0.1:{port}/"
        wrk(url, 1, connections)
        return measure(url, seconds, connections, server.pid, None)
    finally:
        stop(server)


def _wait_for(process: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    stop(process)
    raise RuntimeError(f"{url} did not start")


def free_port() -> int:
    """A port nobody listens on now (other services on this machine run their own servers)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def serve(
    url: str, valkey: str, workers: int, cache: bool, port: int, source: Path | None = None
) -> subprocess.Popen[bytes]:
    """`folio serve` of this tree, or of the tree at `source` (same interpreter and packages)."""
    env = os.environ | {
        "FOLIO_DATABASE_URL": url,
        "FOLIO_VALKEY_URL": valkey,
        "FOLIO_VALKEY_PREFIX": f"bench-{uuid.uuid4().hex[:8]}:",
        "FOLIO_JWT_SECRET": SECRET,
        "FOLIO_ALLOWED_HOSTS": "*",
        "FOLIO_CORS_ORIGINS": "",
        "FOLIO_CATALOG_CACHE": "true" if cache else "false",
        "FOLIO_LOG_LEVEL": "WARNING",
    }
    command = [str(ROOT / ".venv/bin/python"), "-c", "from entrypoints.cli import main; main()"]
    command += ["serve", "--port", str(port), "--workers", str(workers)]
    if source is not None:
        env["PYTHONPATH"] = str(source)
    process = subprocess.Popen(command, env=env, cwd=source or ROOT, start_new_session=True)
    _wait_for(process, f"http://127.0.0.1:{port}/health")
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)  # the server and the workers it started, nothing else
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


ROW = (
    "| {books} | {workers} | {cache} | {scenario} | {rps:.0f} | {p50:.1f} | {p99:.1f} | {folio_ms:.2f} | {pg_ms:.2f}"
    " | {sessions} | {non2xx:.0f} |"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/folio_bench_catalog")
    parser.add_argument("--valkey-url", default="valkey://127.0.0.1:6379/0")
    parser.add_argument("--books", default="20000,100000", help="comma-separated sizes, one database each")
    parser.add_argument("--workers", default="1", help="comma-separated server worker counts, e.g. 1,2,4")
    parser.add_argument("--cache", default="on,off", help="on, off or on,off")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--only", default="", help="comma-separated scenario names (default: all)")
    parser.add_argument("--base", type=Path, help="a source tree to measure beside this one (before/after)")
    parser.add_argument("--no-ceiling", dest="ceiling", action="store_false", help="skip the hello-world")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    chosen = [s.strip() for s in args.only.split(",") if s.strip()] or list(SCENARIOS)
    trees: list[tuple[str, Path | None]] = [("this", None)] + ([("base", args.base.resolve())] if args.base else [])
    results = []
    print(
        "| books | workers | cache | scenario | requests/s | p50 ms | p99 ms | Folio CPU ms/req | PostgreSQL CPU"
        " ms/req | new PG sessions | non-2xx |\n|---|---|---|---|---|---|---|---|---|---|---|",
        flush=True,
    )
    if args.ceiling:
        found = ceiling(args.seconds, args.connections)
        results.append({"books": 0, "workers": 1, "cache": "-", "scenario": "hello-world ceiling"} | found)
        print(ROW.format(**results[-1]), flush=True)
    for size in [int(n) for n in args.books.split(",")]:
        given = make_url(args.database_url)
        url = given.set(database=f"{given.database}_{size}").render_as_string(hide_password=False)
        book_id = asyncio.run(prepare(url, size))
        backends = Backends(url)
        for workers in [int(w) for w in args.workers.split(",")]:
            for mode in args.cache.split(","):
                servers = {}
                try:
                    for tree, source in trees:
                        port = free_port()
                        servers[tree] = (serve(url, args.valkey_url, workers, mode == "on", port, source), port)
                    for name in chosen:
                        for tree, (server, port) in servers.items():
                            origin = f"http://127.0.0.1:{port}"
                            path = SCENARIOS[name].format(book_id=book_id, cursor="")
                            target = origin + (path or cursor_path(origin))
                            with urllib.request.urlopen(target, timeout=30) as response:  # ours, answering 200
                                assert response.status == 200, response.status
                            wrk(target, 1, args.connections)  # warm up pools, caches and prepared statements
                            found = measure(target, args.seconds, args.connections, server.pid, backends)
                            label = name if len(trees) == 1 else f"{name} ({tree})"
                            results.append(
                                {"books": size, "workers": workers, "cache": mode, "scenario": label} | found
                            )
                            print(ROW.format(**results[-1]), flush=True)
                finally:
                    for server, _ in servers.values():
                        stop(server)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
