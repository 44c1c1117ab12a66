"""`make bench-checkout`: checkouts per second on PostgreSQL, without and with contention.

Two real `folio serve` processes share a fresh database. Scenario "spread": every buyer checks out a
different book. Scenario "one book": every buyer checks out the same book (all wait on one row lock).
Bounded: BENCH_BUYERS buyers (default 300), BENCH_CONCURRENCY requests in flight (default 32).
Besides checkouts/s it reports the CPU time per checkout of the API processes and of the PostgreSQL
backends serving this database (read from /proc), steadier than checkouts/s on a shared machine.

Mail is handed on right after each commit without being marked; with a relay grace of 5 s the relay
timer re-sent the delivery backlog of these bursts (one book: 20-23/s against 29-31/s before), with
30 s it does not (29.5/s), hence the grace in entrypoints/worker/wiring.py.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, text

from adapters.sql.tables import books, orders
from application.commerce.cart import AddToCart
from entrypoints.bootstrap import Services, bootstrap
from tests.support.builders import a_book, add_books
from tests.support.commerce import bearer_for, many_buyers
from tests.support.databases import create_postgres_database, drop_postgres_database
from tests.support.servers import api_processes
from tests.support.settings import POSTGRES_URL, make_settings

BUYERS = int(os.environ.get("BENCH_BUYERS", "300"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "32"))
DATABASE = f"folio_bench_checkout_{os.getpid()}"


async def _prepare(services: Services, *, one_book: bool) -> list[dict[str, str]]:
    users = await many_buyers(services, BUYERS, prefix="one" if one_book else "spread")
    if one_book:
        books = await add_books(services, a_book(stock=BUYERS))
        picks = [books[0]] * BUYERS
    else:
        picks = await add_books(services, *(a_book(stock=5) for _ in range(BUYERS)))
    for user, book in zip(users, picks, strict=True):
        await services.commerce.add_to_cart(AddToCart(user.id, book.id, 1))
    return [bearer_for(services, user) for user in users]


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pids: list[int]) -> float:
    """User and system CPU of these processes so far (those that ended count nothing)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICK


def _api_pids(apis: list[str]) -> list[int]:
    """The `folio serve` processes of these URLs and their forked workers (same command line)."""
    ports = {api.rsplit(":", 1)[1] for api in apis}
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in argv and b"--port" in argv and argv[argv.index(b"--port") + 1].decode() in ports:
            pids.append(int(entry.name))
    return pids


async def _backend_pids(services: Services) -> list[int]:
    async with services.uow(read_only=True) as uow:
        conn: Any = uow.connection  # the SQL unit of work's connection
        query = text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        return [int(pid) for pid in (await conn.execute(query)).scalars()]


async def _run(apis: list[str], sessions: list[dict[str, str]]) -> tuple[float, list[float], dict[int, int]]:
    gate = asyncio.Semaphore(CONCURRENCY)
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def one(http: httpx.AsyncClient, n: int, headers: dict[str, str]) -> None:
        async with gate:
            started = time.perf_counter()
            response = await http.post(f"{apis[n % len(apis)]}/api/v1/orders/checkout", headers=headers)
            latencies.append(time.perf_counter() - started)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:
        started = time.perf_counter()
        await asyncio.gather(*(one(http, n, headers) for n, headers in enumerate(sessions)))
        elapsed = time.perf_counter() - started
    return elapsed, latencies, statuses


def _print_warnings(var: Path) -> None:
    for log in sorted(var.glob("api*.log")):
        print(f"--- {log.name}, its warnings and errors:")
        lines = log.read_text().splitlines()
        print("\n".join(line for line in lines if "warn" in line.lower() or "error" in line.lower()))


async def _deadlocks(services: Services) -> int:
    async with services.uow(read_only=True) as uow:
        conn: Any = uow.connection  # the SQL unit of work's connection
        query = text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return int((await conn.execute(query)).scalar_one())


async def _figures(services: Services) -> tuple[int, int, int]:
    async with services.uow(read_only=True) as uow:
        conn: Any = uow.connection  # the SQL unit of work's connection
        order_count = (await conn.execute(select(func.count()).select_from(orders))).scalar_one()
        stock = (await conn.execute(select(func.sum(books.c.stock)))).scalar_one()
        negative = (await conn.execute(select(func.count()).where(books.c.stock < 0))).scalar_one()
    return int(order_count), int(stock or 0), int(negative)


def _report(
    name: str, elapsed: float, latencies: list[float], statuses: dict[int, int], api_cpu: float, db_cpu: float
) -> None:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    print(
        f"{name:<10} {len(latencies):>5} checkouts in {elapsed:6.2f} s = {len(latencies) / elapsed:7.1f}/s"
        f"   p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   statuses {dict(sorted(statuses.items()))}"
        f"\n{'':<10} CPU per checkout: API processes {1000 * api_cpu / len(latencies):5.2f} ms,"
        f" PostgreSQL {1000 * db_cpu / len(latencies):5.2f} ms"
    )


async def bench(url: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        services = bootstrap(make_settings(Path(tmp) / "var", database_url=url, db_pool_size=5))
        try:
            load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
            print(f"{BUYERS} buyers, {CONCURRENCY} in flight, 2 API processes (1 worker each), PostgreSQL")
            print(f"machine: {os.cpu_count()} cores, load average {load} (shared: figures move with it)")
            spread = await _prepare(services, one_book=False)
            contended = await _prepare(services, one_book=True)
            async with api_processes(url, Path(tmp), count=2, env={"FOLIO_DB_POOL_SIZE": "10"}) as apis:
                api_pids = _api_pids(apis)
                for name, sessions in (("spread", spread), ("one book", contended)):
                    backends = await _backend_pids(services)  # the API processes' pools grow during a run
                    api_before, db_before = _cpu_seconds(api_pids), _cpu_seconds(backends)
                    elapsed, latencies, statuses = await _run(apis, sessions)
                    backends += [pid for pid in await _backend_pids(services) if pid not in backends]
                    api_cpu, db_cpu = _cpu_seconds(api_pids) - api_before, _cpu_seconds(backends) - db_before
                    _report(name, elapsed, latencies, statuses, api_cpu, db_cpu)
            order_count, stock, negative = await _figures(services)
            print(f"deadlocks detected in this database: {await _deadlocks(services)}")
            expected_stock = BUYERS * 5 - BUYERS  # spread books keep 4 each; the one book ends at 0
            print(
                f"final check: {order_count} orders (expected {2 * BUYERS}), total stock {stock}"
                f" (expected {expected_stock}), books below zero {negative}"
            )
            if (order_count, stock, negative) != (2 * BUYERS, expected_stock, 0):
                _print_warnings(Path(tmp))
                raise SystemExit("FINAL CHECK FAILED")
        finally:
            await services.aclose()


def main() -> None:
    url = create_postgres_database(POSTGRES_URL, DATABASE)
    try:
        asyncio.run(bench(url))
    finally:
        drop_postgres_database(POSTGRES_URL, DATABASE)


if __name__ == "__main__":
    main()
