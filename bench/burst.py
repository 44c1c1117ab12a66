"""`make bench-burst`: N verified buyers check out the last copies of one book at the same instant.

Two real `folio serve` processes (default workers: the cores) and one `folio worker` share a fresh
database on the stock PostgreSQL (FOLIO_TEST_POSTGRES_URL) and Valkey. Every buyer has the book in
the cart and a signed token; all requests are released together. Reports the answers by status,
p50/p99 latency, the most connections the bench database had at once (pg_stat_activity, polled),
and whether the stock sold is exactly what was there (no oversell, nothing lost).

    python -m bench.burst [--buyers 500] [--stock 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import valkey.asyncio as valkey
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.support.databases import create_postgres_database, drop_postgres_database
from tests.support.fleet import buyers_of_last_copies, stock_and_sold
from tests.support.processes import FolioProcess, folio_env, running, start_folio, start_server
from tests.support.settings import POSTGRES_URL, VALKEY_URL


class PeakConnections:
    """Polls pg_stat_activity for the bench database's connections while the burst runs."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.peak = 0
        self._engine = create_async_engine(POSTGRES_URL, pool_size=1, max_overflow=0)
        self._task: asyncio.Task[None] | None = None

    async def _poll(self) -> None:
        query = text("SELECT count(*) FROM pg_stat_activity WHERE datname = :db")
        async with self._engine.connect() as conn:
            while True:
                count = (await conn.execute(query, {"db": self.database})).scalar_one()
                await conn.rollback()
                self.peak = max(self.peak, int(count))
                await asyncio.sleep(0.02)

    async def __aenter__(self) -> PeakConnections:
        self._task = asyncio.create_task(self._poll())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self._engine.dispose()


async def burst(
    urls: list[str], sessions: list[dict[str, str]]
) -> tuple[float, dict[int, list[float]], Counter[int], Counter[str]]:
    gate = asyncio.Event()
    latencies: dict[int, list[float]] = {}
    statuses: Counter[int] = Counter()
    server_errors: Counter[str] = Counter()

    async def one(http: httpx.AsyncClient, n: int, headers: dict[str, str]) -> None:
        await gate.wait()
        started = time.perf_counter()
        try:
            response = await http.post(f"{urls[n % len(urls)]}/api/v1/orders/checkout", headers=headers)
        except httpx.HTTPError as exc:
            statuses[0] += 1
            server_errors[f"no answer: {type(exc).__name__}"] += 1
            return
        latencies.setdefault(response.status_code, []).append(time.perf_counter() - started)
        statuses[response.status_code] += 1
        if response.status_code >= 500:
            server_errors[f"{response.status_code} {response.text[:80]}"] += 1

    limits = httpx.Limits(max_connections=len(sessions), max_keepalive_connections=len(sessions))
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:
        tasks = [asyncio.create_task(one(http, n, headers)) for n, headers in enumerate(sessions)]
        await asyncio.sleep(0.5)  # every task waits at the gate
        started = time.perf_counter()
        gate.set()
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
    return elapsed, latencies, statuses, server_errors


def causes(servers: list[FolioProcess]) -> Counter[str]:
    """Why the servers answered 503: the driver errors they logged, by type and first words."""
    found: Counter[str] = Counter()
    for server in servers:
        for line in server.output().splitlines():
            match = re.search(r"dependency unavailable on \S+ \S+: (\w+): ([^\"]{0,60})", line)
            if match:
                found[f"{match.group(1)}: {match.group(2)}"] += 1
    return found


def _percentiles(values: list[float]) -> str:
    ordered = sorted(values) or [0.0]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"{statistics.median(ordered) * 1000:.0f} | {p99 * 1000:.0f}"


def report(buyers: int, stock: int, figures: dict[str, Any]) -> None:
    elapsed, latencies, statuses, errors = figures["burst"]
    left, copies, count = figures["sold"]
    print(f"\n{buyers} buyers, {stock} copies, 2 API processes x {figures['workers']} worker(s) + 1 folio worker")
    print("| status | count | p50 ms | p99 ms |\n|---|---|---|---|")
    for status, n in sorted(statuses.items()):
        print(f"| {status or 'no answer'} | {n} | {_percentiles(latencies.get(status, []))} |")
    print(f"| all | {sum(statuses.values())} | {_percentiles([t for ts in latencies.values() for t in ts])} |")
    print(f"\nburst {elapsed:.2f} s; peak connections to the bench database {figures['peak']}", end="")
    print(f" (max_connections {figures['max']})")
    print(f"stock left {left}, copies on confirmed orders {copies}, orders {count}, 201s {statuses[201]}")
    ok = left >= 0 and left + copies == stock and copies == statuses[201]
    print("no oversell, nothing lost" if ok else "MISMATCH: stock and orders do not add up")
    for line, n in errors.most_common(5):
        print(f"  {n} x {line}")
    for cause, n in figures["causes"].most_common(5):
        print(f"  503 because {n} x {cause}")


async def run(url: str, database: str, prefix: str, buyers: int, stock: int) -> None:
    workers = os.cpu_count() or 1
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            sessions, book_id = await buyers_of_last_copies(url, root / "prep", buyers, stock)
            shared = {"database_url": url, "valkey_url": VALKEY_URL, "valkey_prefix": prefix, "mail_dir": root / "mail"}
            worker = start_folio(["worker"], folio_env(root / "w", **shared))
            servers: list[FolioProcess] = [
                start_server(folio_env(root / name, log_level="WARNING", **shared), workers=workers) for name in "ab"
            ]
            with running(worker, *servers):
                async with PeakConnections(database) as peak:
                    figures: dict[str, Any] = {"burst": await burst([s.url for s in servers], sessions)}
                    await asyncio.sleep(0.5)
                figures["peak"] = peak.peak
            figures["causes"] = causes(servers)
            figures["sold"] = await stock_and_sold(url, book_id)
            engine = create_async_engine(url)
            async with engine.connect() as conn:
                figures["max"] = (await conn.execute(text("SHOW max_connections"))).scalar_one()
            await engine.dispose()
            figures["workers"] = workers
            report(buyers, stock, figures)
    finally:
        client = valkey.from_url(VALKEY_URL)
        async for key in client.scan_iter(match=f"{prefix}*", count=500):
            await client.delete(key)
        await client.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buyers", type=int, default=int(os.environ.get("BENCH_BUYERS", "500")))
    parser.add_argument("--stock", type=int, default=50)
    args = parser.parse_args()
    name = f"folio_bench_burst_{os.getpid()}"
    database_url = create_postgres_database(POSTGRES_URL, name)
    try:
        asyncio.run(run(database_url, name, f"folio:bench-burst-{os.getpid()}:", args.buyers, args.stock))
    finally:
        drop_postgres_database(POSTGRES_URL, name)
