"""`make bench-catalog`: HTTP load on the catalog's read paths, served by `folio serve` on PostgreSQL.

Seeds the bench database up to --books, then for each worker count and cache mode starts the server,
drives each scenario with wrk (32 connections, bounded in time) and prints requests/s, p50 and p99.

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
import sys
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
    "book detail": "/api/v1/books/{book_id}",
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


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url: str, seconds: int, connections: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": p50, "p99": p99, "non2xx": float(errors.group(1)) if errors else 0.0}


def free_port() -> int:
    """A port nobody listens on now (other services on this machine run their own servers)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def serve(url: str, valkey: str, workers: int, cache: bool, port: int) -> subprocess.Popen[bytes]:
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
    command = [str(ROOT / ".venv/bin/folio"), "serve", "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(command, env=env, start_new_session=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                return process
        except OSError:
            time.sleep(0.3)
    stop(process)
    raise RuntimeError("the server did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)  # the server and the workers it started, nothing else
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/folio_bench_catalog")
    parser.add_argument("--valkey-url", default="valkey://127.0.0.1:6379/0")
    parser.add_argument("--books", type=int, default=100_000)
    parser.add_argument("--workers", default="2", help="comma-separated server worker counts, e.g. 1,2,4")
    parser.add_argument("--cache", default="on,off", help="on, off or on,off")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--only", default="", help="comma-separated scenario names (default: all)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    book_id = asyncio.run(prepare(args.database_url, args.books))
    chosen = [s.strip() for s in args.only.split(",") if s.strip()] or list(SCENARIOS)
    results = []
    print("| workers | cache | scenario | requests/s | p50 ms | p99 ms | non-2xx |\n|---|---|---|---|---|---|---|")
    for workers in [int(w) for w in args.workers.split(",")]:
        for mode in args.cache.split(","):
            port = args.port or free_port()
            server = serve(args.database_url, args.valkey_url, workers, mode == "on", port)
            try:
                for name in chosen:
                    url = f"http://127.0.0.1:{port}" + SCENARIOS[name].format(book_id=book_id)
                    with urllib.request.urlopen(url, timeout=30) as response:  # ours, and answering 200
                        assert response.status == 200, response.status
                    wrk(url, 2, args.connections)  # warm up pools, caches and prepared statements
                    found = wrk(url, args.seconds, args.connections)
                    results.append({"workers": workers, "cache": mode, "scenario": name} | found)
                    print(
                        f"| {workers} | {mode} | {name} | {found['rps']:.0f} | {found['p50']:.1f} | "
                        f"{found['p99']:.1f} | {found['non2xx']:.0f} |",
                        flush=True,
                    )
            finally:
                stop(server)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    sys.exit(main())
