"""`make bench-login`: login throughput on PostgreSQL against a real server process.

Creates (afresh) a bench database, migrates it, starts `folio serve` with the production argon2
parameters, seeds one user, then keeps CONNECTIONS logins in flight for SECONDS and prints
requests/s, latency percentiles and the server's peak resident memory. Bounded and self-cleaning.

In the same run, with the server idle, it measures the machine's ceiling: one process per core doing
nothing but argon2 verifies with the same parameters for HASH_SECONDS. Logins/s over that rate is
how much of the machine login leaves to hashing. The workers' resident memory (VmRSS) is read before
the burst and SETTLE seconds after it: what a worker keeps once logins stop.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import signal
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import httpx
from pwdlib.hashers.argon2 import Argon2Hasher

from entrypoints.settings import load_settings
from tests.support.databases import create_postgres_database, drop_postgres_database

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-passphrase-0123"


def _children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in children.read_text().split()] if children.exists() else []


def _status_mib(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mib(pid: int) -> float:
    """VmHWM of the server and its children (granian runs workers as child processes)."""
    return sum(_status_mib(each, "VmHWM") for each in [pid, *_children(pid)])


def workers_rss_mib(pid: int) -> list[float]:
    """VmRSS of each server worker now (the server process itself when it has no children)."""
    return [_status_mib(each, "VmRSS") for each in _children(pid) or [pid]]


def _verify_for(hashed: str, memory_kib: int, time_cost: int, seconds: float) -> int:
    hasher = Argon2Hasher(memory_cost=memory_kib, time_cost=time_cost, parallelism=1)
    done = 0
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        hasher.verify(PASSWORD, hashed)
        done += 1
    return done


def hash_only(memory_kib: int, time_cost: int, seconds: float) -> tuple[float, float]:
    """argon2 verifies per second with one process per core doing nothing else (the machine's ceiling),
    and the CPU seconds one verify took."""
    cores = len(os.sched_getaffinity(0))
    hashed = Argon2Hasher(memory_cost=memory_kib, time_cost=time_cost, parallelism=1).hash(PASSWORD)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    with ProcessPoolExecutor(cores) as pool:
        started = time.monotonic()
        counts = list(pool.map(_verify_for, *zip(*[(hashed, memory_kib, time_cost, seconds)] * cores, strict=True)))
        elapsed = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime
    return sum(counts) / elapsed, cpu / sum(counts)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of the server and its workers so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for each in [pid, *_children(pid)]:
        fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / ticks


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
    parser.add_argument("--hash-seconds", type=float, default=5, help="How long the hash-only ceiling runs.")
    parser.add_argument("--server-code", type=Path, help="Serve another checkout's code (a before/after run).")
    parser.add_argument("--settle", type=float, default=5, help="Seconds after the burst to read workers' RSS.")
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
    if args.server_code is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(args.server_code), env.get("PYTHONPATH")]))
    folio = str(ROOT / ".venv" / "bin" / "folio")
    create = [folio, "users", "create", "--email", "bench@example.com", "--username", "bench", "--password", PASSWORD]
    subprocess.run([*create, "--role", "USER"], env=env, check=True, capture_output=True)
    server = subprocess.Popen(
        [folio, "serve", "--port", str(args.port), "--workers", str(args.workers)], env=env, start_new_session=True
    )
    url = f"http://127.0.0.1:{args.port}"
    argon2 = load_settings(env, env_file=None)
    try:
        asyncio.run(wait_ready(url))
        asyncio.run(load(url, "bench@example.com", 1, 0.5))  # every worker's first login: lazy start-up costs
        time.sleep(args.settle)
        before = workers_rss_mib(server.pid)
        ceiling = [hash_only(argon2.argon2_memory_kib, argon2.argon2_time_cost, args.hash_seconds)]
        cpu_before = _cpu_seconds(server.pid)
        latencies, statuses = asyncio.run(load(url, "bench@example.com", args.connections, args.seconds))
        cpu = _cpu_seconds(server.pid) - cpu_before
        peak = peak_rss_mib(server.pid)
        time.sleep(args.settle)
        after = workers_rss_mib(server.pid)
        ceiling.append(hash_only(argon2.argon2_memory_kib, argon2.argon2_time_cost, args.hash_seconds))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        drop_postgres_database(server_url, name)
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000

    print(f"code: {args.server_code or ROOT}")
    print(f"logins: {len(latencies)} in {args.seconds:.0f} s, {args.connections} connections, {args.workers} worker(s)")
    print(f"rate: {len(latencies) / args.seconds:.1f} requests/s; statuses {statuses}")
    print(f"latency ms: p50 {pct(0.5):.0f}  p90 {pct(0.9):.0f}  p99 {pct(0.99):.0f}  max {latencies[-1] * 1000:.0f}")
    rate = len(latencies) / args.seconds
    hash_rate = sum(r for r, _ in ceiling) / len(ceiling)
    hash_cpu = sum(c for _, c in ceiling) / len(ceiling)
    login_cpu = cpu / max(1, len(latencies))
    print(
        f"hash-only ceiling (before and after the burst): {' and '.join(f'{r:.1f}' for r, _ in ceiling)} "
        f"argon2 verifies/s on {len(os.sched_getaffinity(0))} cores, {hash_cpu * 1000:.1f} ms CPU a verify "
        f"(m={argon2.argon2_memory_kib} KiB, t={argon2.argon2_time_cost})"
    )
    print(
        f"login / hash-only: {rate / hash_rate:.0%} of the rate; server CPU {login_cpu * 1000:.1f} ms a login, "
        f"so hashing is {hash_cpu / login_cpu:.0%} of a login's CPU"
    )
    print(f"server peak RSS: {peak:.0f} MiB")
    shown = ", ".join(f"{b:.0f} -> {a:.0f}" for b, a in zip(before, after, strict=True))
    print(f"worker RSS (VmRSS, MiB) before the burst -> {args.settle:.0f} s after it: {shown}")
    sys.exit(0 if statuses.keys() == {200} else 1)


if __name__ == "__main__":
    main()
