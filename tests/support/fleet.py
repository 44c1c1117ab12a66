"""A Folio fleet for fault tests: two `folio serve` processes (default workers) and one `folio worker`,
on a private PostgreSQL cluster and a private Valkey, sending mail to a local SMTP server."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.sql.tables import books, order_items, orders
from application.commerce.cart import AddToCart
from entrypoints.bootstrap import bootstrap
from tests.support.builders import a_book, add_books
from tests.support.commerce import bearer_for, many_buyers
from tests.support.processes import LOOPBACK, FolioProcess, folio_env, free_port, start_folio, wait_ready
from tests.support.settings import make_settings

API = "/api/v1"


@dataclass
class Fleet:
    """The processes, and the settings they were started with (to start one again)."""

    root: Path
    shared: dict[str, Any]
    servers: list[FolioProcess] = field(default_factory=list)
    workers: list[FolioProcess] = field(default_factory=list)

    @property
    def urls(self) -> list[str]:
        return [server.url for server in self.servers]

    def start_worker(self) -> FolioProcess:
        name = f"worker{len(self.workers)}"
        worker = start_folio(
            ["worker", "--processes", "1", "--threads", "4"], folio_env(self.root / name, **self.shared)
        )
        self.workers.append(worker)
        return worker

    def start_servers(self, count: int) -> None:
        started = []
        for n in range(count):
            port = free_port()
            env = folio_env(self.root / f"api{len(self.servers) + n}", **self.shared)
            # no --workers: the default (the cores), as an operator would run it
            server = start_folio(["serve", "--host", LOOPBACK, "--port", str(port)], env, log_name="serve.log")
            server.url = f"http://{LOOPBACK}:{port}"
            started.append(server)
        for server in started:
            wait_ready(server, within=120)
        self.servers.extend(started)

    def stop(self) -> None:
        """SIGTERM to every process at once, then waits for each (SIGKILL after its grace)."""
        alive = [process for process in (*self.servers, *self.workers) if process.alive()]
        for process in alive:
            with suppress(ProcessLookupError):
                process.process.send_signal(signal.SIGTERM)
        for process in alive:
            try:
                process.process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill(signal.SIGKILL)


@contextmanager
def fleet(
    root: Path, *, database_url: str, valkey_url: str, smtp_env: dict[str, str], **settings: Any
) -> Iterator[Fleet]:
    """Starts the fleet; stops every process at the end (the ones a test killed are already gone)."""
    shared: dict[str, Any] = {
        "database_url": database_url,
        "valkey_url": valkey_url,
        "valkey_prefix": "folio:",
        "log_level": "WARNING",
        "worker_heartbeat_timeout": 5,  # a killed worker's messages go back to the queue after 5 s
        "relay_interval": 1,
        **{key.removeprefix("FOLIO_").lower(): value for key, value in smtp_env.items()},
        **settings,
    }
    running = Fleet(root, shared)
    try:
        running.start_worker()
        running.start_servers(2)
        yield running
    finally:
        running.stop()


async def buyers_of_last_copies(
    database_url: str, var: Path, buyers: int, stock: int
) -> tuple[list[dict[str, str]], UUID]:
    """`buyers` verified users, each with the one book in the cart, and their bearer headers."""
    services = bootstrap(make_settings(var, database_url=database_url))
    try:
        users = await many_buyers(services, buyers, prefix="burst")
        (book,) = await add_books(services, a_book(stock=stock))
        for user in users:
            await services.commerce.add_to_cart(AddToCart(user.id, book.id, 1))
        return [bearer_for(services, user) for user in users], book.id
    finally:
        await services.aclose()


@dataclass
class BurstResult:
    statuses: Counter[int] = field(default_factory=Counter)  # final answer of each buyer (0: none)
    unavailable: int = 0  # 503s answered before a retry succeeded
    bad: list[str] = field(default_factory=list)  # any 5xx but a 503 with Retry-After


async def checkout_burst(
    urls: list[str], sessions: list[dict[str, str]], *, retries: int = 10, answered: asyncio.Event | None = None
) -> BurstResult:
    """Every buyer checks out at the same instant, each on the next API process in turn; a 503 is
    retried after its Retry-After, as a client following the contract would. A buyer whose process
    goes away mid-request counts as status 0 (no answer). `answered` is set at the first answer."""
    result = BurstResult()
    gate = asyncio.Event()

    async def one(http: httpx.AsyncClient, n: int, headers: dict[str, str]) -> None:
        await gate.wait()
        for _ in range(retries):
            try:
                response = await http.post(f"{urls[n % len(urls)]}{API}/orders/checkout", headers=headers)
            except httpx.HTTPError:
                result.statuses[0] += 1
                return
            if answered is not None:
                answered.set()  # the first answer: the burst is under way
            if response.status_code == 503 and "retry-after" in response.headers:
                result.unavailable += 1
                await asyncio.sleep(float(response.headers["retry-after"]))
                continue
            if response.status_code >= 500:
                result.bad.append(f"{response.status_code} {response.text[:200]}")
            result.statuses[response.status_code] += 1
            return
        result.statuses[503] += 1

    limits = httpx.Limits(max_connections=len(sessions), max_keepalive_connections=len(sessions))
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        tasks = [asyncio.create_task(one(http, n, headers)) for n, headers in enumerate(sessions)]
        await asyncio.sleep(0.3)
        gate.set()
        await asyncio.gather(*tasks)
    return result


async def stock_and_sold(database_url: str, book_id: UUID) -> tuple[int, int, int]:
    """(stock left, copies on confirmed orders, confirmed orders) of the book, as stored."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            left = (await conn.execute(select(books.c.stock).where(books.c.id == book_id))).scalar_one()
            lines = order_items.join(orders, orders.c.id == order_items.c.order_id)
            confirmed = (order_items.c.book_id == book_id) & (orders.c.status == "CONFIRMED")
            copies = (
                await conn.execute(
                    select(func.coalesce(func.sum(order_items.c.quantity), 0)).select_from(lines).where(confirmed)
                )
            ).scalar_one()
            count = (await conn.execute(select(func.count()).select_from(lines).where(confirmed))).scalar_one()
    finally:
        await engine.dispose()
    return int(left), int(copies), int(count)


async def connections_to(server_url: str, database: str) -> int:
    engine = create_async_engine(server_url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as conn:
            query = text("SELECT count(*) FROM pg_stat_activity WHERE datname = :db")
            return int((await conn.execute(query, {"db": database})).scalar_one())
    finally:
        await engine.dispose()


def timed_get(url: str, **kwargs: Any) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = httpx.get(url, timeout=30, **kwargs)
    return response, time.monotonic() - started


def cores() -> int:
    return os.cpu_count() or 1
