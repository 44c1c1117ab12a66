"""`make bench-checkout`: checkouts per second on PostgreSQL, without and with contention.

Two real `folio serve` processes share a fresh database. Scenario "spread": every buyer checks out a
different book. Scenario "one book": every buyer checks out the same book (all wait on one row lock).
Bounded: BENCH_BUYERS buyers (default 300), BENCH_CONCURRENCY requests in flight (default 32).

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
from sqlalchemy import func, select

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


async def _figures(services: Services) -> tuple[int, int, int]:
    async with services.uow(read_only=True) as uow:
        conn: Any = uow.connection  # the SQL unit of work's connection
        order_count = (await conn.execute(select(func.count()).select_from(orders))).scalar_one()
        stock = (await conn.execute(select(func.sum(books.c.stock)))).scalar_one()
        negative = (await conn.execute(select(func.count()).where(books.c.stock < 0))).scalar_one()
    return int(order_count), int(stock or 0), int(negative)


def _report(name: str, elapsed: float, latencies: list[float], statuses: dict[int, int]) -> None:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    print(
        f"{name:<10} {len(latencies):>5} checkouts in {elapsed:6.2f} s = {len(latencies) / elapsed:7.1f}/s"
        f"   p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   statuses {dict(sorted(statuses.items()))}"
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
                for name, sessions in (("spread", spread), ("one book", contended)):
                    _report(name, *await _run(apis, sessions))
            order_count, stock, negative = await _figures(services)
            expected_stock = BUYERS * 5 - BUYERS  # spread books keep 4 each; the one book ends at 0
            print(
                f"final check: {order_count} orders (expected {2 * BUYERS}), total stock {stock}"
                f" (expected {expected_stock}), books below zero {negative}"
            )
            if (order_count, stock, negative) != (2 * BUYERS, expected_stock, 0):
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
