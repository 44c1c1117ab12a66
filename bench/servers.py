"""Granian against uvicorn on Folio's own endpoints, at 1, 2 and 4 worker processes (loopback, bounded).

Usage: .venv/bin/python -m bench.servers [--seconds 8] [--connections 32]
Needs `wrk` (Debian: apt-get install wrk), PostgreSQL and Valkey (FOLIO_TEST_POSTGRES_URL / _VALKEY_URL).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import httpx

from tests.support.databases import create_postgres_database, drop_postgres_database
from tests.support.processes import folio_env, running, start_server
from tests.support.settings import POSTGRES_URL, VALKEY_URL

DB_NAME = "folio_bench_servers"


def cpu_seconds(pid: int) -> float:
    """CPU time used so far by a server and its worker processes (robust to a busy machine, unlike req/s)."""
    children = (int(p) for task in Path(f"/proc/{pid}/task").iterdir() for p in (task / "children").read_text().split())
    pids = [pid, *children]
    ticks = 0
    for one in pids:
        fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime + stime
    return ticks / os.sysconf("SC_CLK_TCK")


def wrk(url: str, seconds: int, connections: int, headers: dict[str, str]) -> tuple[float, str, str, int]:
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True, timeout=seconds + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    # Anchored: the "+/- Stdev" column also ends in "%" (e.g. "69.99%").
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)  # type: ignore[union-attr]
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} failed responses\n{out}")
    return rps, p50, p99, total


def token_for(base: str) -> str:
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    body = {"email": email, "username": email.split("@")[0], "password": "a-long-enough-passphrase"}
    httpx.post(f"{base}/api/v1/auth/register", json=body, timeout=10).raise_for_status()
    login = httpx.post(f"{base}/api/v1/auth/login", json={"email": email, "password": body["password"]}, timeout=10)
    login.raise_for_status()
    return str(login.json()["access_token"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--servers", default="granian,uvicorn")
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    url = create_postgres_database(POSTGRES_URL, DB_NAME)
    root = Path(tempfile.mkdtemp(prefix="folio-bench-"))
    print("| server | workers | endpoint | requests/s | p50 | p99 | server CPU µs/request |", flush=True)
    print("|---|---|---|---|---|---|---|", flush=True)
    try:
        for server in options.servers.split(","):
            for workers in (int(n) for n in options.workers.split(",")):
                env = folio_env(
                    root / f"{server}-{workers}",
                    database_url=url,
                    valkey_url=VALKEY_URL,
                    valkey_prefix=f"folio-bench:{uuid.uuid4().hex}:",
                    log_level="WARNING",
                )
                with running(start_server(env, workers=workers, server=server)) as (api,):
                    headers = {"Authorization": f"Bearer {token_for(api.url)}"}
                    for name, path, sent in (("/health", "/health", {}), ("/users/me", "/api/v1/users/me", headers)):
                        wrk(api.url + path, 2, options.connections, sent)  # warm-up
                        before = cpu_seconds(api.process.pid)
                        rps, p50, p99, total = wrk(api.url + path, options.seconds, options.connections, sent)
                        cpu = (cpu_seconds(api.process.pid) - before) / total * 1e6
                        print(
                            f"| {server} | {workers} | {name} | {rps:,.0f} | {p50} | {p99} | {cpu:,.0f} |", flush=True
                        )
    finally:
        drop_postgres_database(POSTGRES_URL, DB_NAME)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
