"""`make bench-login`: login throughput on PostgreSQL against a real server process.

Creates (afresh) a bench database, migrates it, starts `folio serve` with the production argon2
parameters, seeds one user, then keeps CONNECTIONS logins in flight for SECONDS and prints
requests/s, latency percentiles and the server's peak resident memory. Bounded and self-cleaning.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.databases import create_postgres_database, drop_postgres_database

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-passphrase-0123"


def peak_rss_mib(pid: int) -> float:
    """VmHWM of the server and its children (granian runs workers as child processes)."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for each in pids:
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1])
    return total / 1024


async def wait_ready(url: str) -> None:
    deadline = time.monotonic() + 30
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get(f"{url}/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit("server did not start")


async def load(url: str, email: str, connections: int, seconds: float) -> tuple[list[float], dict[int, int]]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:

        async def worker() -> None:
            while time.monotonic() < stop:
                started = time.perf_counter()
                response = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
                latencies.append(time.perf_counter() - started)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        await asyncio.gather(*(worker() for _ in range(connections)))
    return latencies, statuses


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    server_url = os.environ.get("FOLIO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    name = "folio_bench_login"
    db_url = create_postgres_database(server_url, name)
    env = os.environ | {
        "FOLIO_DATABASE_URL": db_url,
        "FOLIO_JWT_SECRET": "bench-secret-that-is-long-enough-for-hs256-0123",
        "FOLIO_ALLOWED_HOSTS": "*",
        "FOLIO_CORS_ORIGINS": "",
        "FOLIO_VAR_DIR": str(ROOT / "var" / "bench"),
        "FOLIO_RATE_LIMIT_LOGIN_PER_EMAIL": "1000000",
        "FOLIO_RATE_LIMIT_LOGIN_PER_ADDRESS": "1000000",
        "FOLIO_LOG_LEVEL": "WARNING",
    }
    folio = str(ROOT / ".venv" / "bin" / "folio")
    create = [folio, "users", "create", "--email", "bench@example.com", "--username", "bench", "--password", PASSWORD]
    subprocess.run([*create, "--role", "USER"], env=env, check=True, capture_output=True)
    server = subprocess.Popen(
        [folio, "serve", "--port", str(args.port), "--workers", str(args.workers)], env=env, start_new_session=True
    )
    url = f"http://127.0.0.1:{args.port}"
    try:
        asyncio.run(wait_ready(url))
        latencies, statuses = asyncio.run(load(url, "bench@example.com", args.connections, args.seconds))
        peak = peak_rss_mib(server.pid)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        drop_postgres_database(server_url, name)
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000

    print(f"logins: {len(latencies)} in {args.seconds:.0f} s, {args.connections} connections, {args.workers} worker(s)")
    print(f"rate: {len(latencies) / args.seconds:.1f} requests/s; statuses {statuses}")
    print(f"latency ms: p50 {pct(0.5):.0f}  p90 {pct(0.9):.0f}  p99 {pct(0.99):.0f}  max {latencies[-1] * 1000:.0f}")
    print(f"server peak RSS: {peak:.0f} MiB")
    sys.exit(0 if statuses.keys() == {200} else 1)


if __name__ == "__main__":
    main()
