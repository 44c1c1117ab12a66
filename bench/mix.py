"""`make bench-mix`: a realistic mix of catalog reads and a few writes against a real `folio serve`.

A fresh PostgreSQL database with BENCH_BOOKS seeded books (default 20,000; dropped at the end). The reads
are drawn with Zipf's law (a few very popular, a long tail): searches over a vocabulary of the titles'
words and word pairs (a few thousand), searches with filters, filters alone (genre, max_price, in_stock,
author), pages of the catalog and book details. One request in fifty is a write that makes cached reads
stale: a checkout (stock) or a review (ratings), each by a verified reader prepared beforehand. wrk
drives it (32 connections, BENCH_SECONDS each, default 15, after a third of that of reads alone to warm
the server up) with the catalog cache on (Valkey) and off, on one server worker, after the Litestar +
granian hello-world ceiling; it prints requests/s, p50/p99, the CPU per request of Folio and PostgreSQL,
the share of catalog reads answered from the cache, and the mix as a share of the ceiling.

A write makes stale only what it can change: the book's detail and the cached pages that show it, and
besides those every page sorted by rating (a review) or filtered by `in_stock` (a checkout that sold the
last copy); the hit rate is bounded by how often a query repeats within the run more than by the writes.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import tempfile
import urllib.request
from collections import Counter
from collections.abc import Sequence
from itertools import accumulate, pairwise
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.sql.tables import books, genres
from application.commerce.cart import AddToCart
from application.shelf.add_to_shelf import AddToShelf
from bench.catalog import SECRET, Backends, ceiling, free_port, measure, prepare, serve, stop, wrk
from domain.shelf import ShelfStatus
from entrypoints.bootstrap import bootstrap
from tests.support.commerce import bearer_for, many_buyers
from tests.support.databases import drop_postgres_database
from tests.support.settings import POSTGRES_URL, make_settings

BOOKS = int(os.environ.get("BENCH_BOOKS", "20000").split(",")[0])
SECONDS = int(os.environ.get("BENCH_SECONDS", "15"))
WARM_UP = max(2, SECONDS // 3)  # seconds of reads alone before each measured run
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
VALKEY = os.environ.get("BENCH_VALKEY_URL", "valkey://127.0.0.1:6379/0")
VOCABULARY = 3000
READS = 40_000  # drawn once; wrk's threads walk them in turn
WRITE_EVERY = 50  # 2 %
#: Writers prepared per mode: more than a run at a few thousand requests/s uses.
WRITERS = int(os.environ.get("BENCH_WRITERS", "600"))
DATABASE = f"folio_bench_mix_{os.getpid()}"
CATALOG_ROUTES = {"/api/v1/books", "/api/v1/books/{book_id:uuid}"}


class Zipf:
    """Draws from `items` with probability falling as 1 / rank^s (the first item is the most popular)."""

    def __init__(self, items: Sequence[Any], rng: random.Random, s: float = 1.1) -> None:
        self._items = list(items)
        self._cumulative = list(accumulate(1 / (rank**s) for rank in range(1, len(self._items) + 1)))
        self._rng = rng

    def __call__(self) -> Any:
        return self._rng.choices(self._items, cum_weights=self._cumulative)[0]


async def _catalog(url: str) -> tuple[list[str], list[str], list[str], list[UUID]]:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text("ANALYZE"))  # a freshly seeded database has no statistics to plan with
            rows = (await conn.execute(select(books.c.id, books.c.title, books.c.author, books.c.stock))).all()
            slugs = list((await conn.execute(select(genres.c.slug).order_by(genres.c.slug))).scalars())
    finally:
        await engine.dispose()
    return [r.title for r in rows], [r.author for r in rows], slugs, [r.id for r in rows if r.stock > 0]


def vocabulary(titles: list[str]) -> list[str]:
    """The titles' words and adjacent word pairs, the most frequent first (popular queries are common words)."""
    counts: Counter[str] = Counter()
    for title in titles:
        words = re.findall(r"[a-z]{3,}", title.lower())
        counts.update(words)
        counts.update(f"{a} {b}" for a, b in pairwise(words))
    return [term for term, _ in counts.most_common(VOCABULARY)]


def reads(titles: list[str], authors: list[str], slugs: list[str], ids: list[UUID], rng: random.Random) -> list[str]:
    """READS request paths: searches, searches with filters, filters, pages and details, each Zipf-drawn."""
    term = Zipf(vocabulary(titles), rng)
    genre = Zipf(rng.sample(slugs, len(slugs)), rng)
    author = Zipf([name.split()[-1] for name, _ in Counter(authors).most_common(500)], rng)
    book = Zipf(rng.sample(ids, min(len(ids), 5000)), rng)
    page = Zipf(range(0, 1000, 20), rng)

    def filters() -> dict[str, str]:
        chosen: dict[str, str] = {}
        while not chosen:
            if rng.random() < 0.5:
                chosen["genre"] = genre()
            if rng.random() < 0.3:
                chosen["max_price"] = rng.choice(["10", "15", "20", "30"])
            if rng.random() < 0.3:
                chosen["in_stock"] = "true"
            if rng.random() < 0.2:
                chosen["author"] = author()
        return chosen

    paths = []
    for _ in range(READS):
        kind = rng.random()
        if kind < 0.25:
            paths.append(f"/api/v1/books/{book()}")
            continue
        params: dict[str, str] = {}
        if kind < 0.60:
            params["q"] = term()
        elif kind < 0.75:
            params = {"q": term(), **filters()}
        elif kind < 0.90:
            params = filters()
        offset = page() if kind >= 0.90 or rng.random() < 0.1 else 0
        if offset:
            params["offset"] = str(offset)
        paths.append("/api/v1/books" + (f"?{urlencode(params)}" if params else ""))
    return paths


async def writers(url: str, ids: list[UUID], rng: random.Random, count: int) -> list[tuple[str, str, str, str]]:
    """`count` writes, half checkouts and half reviews, interleaved: (method, path, token, JSON body)."""
    with tempfile.TemporaryDirectory() as tmp:
        services = bootstrap(make_settings(Path(tmp) / "var", database_url=url, jwt_secret=SECRET))
        try:
            buyers = await many_buyers(services, count // 2, prefix=f"mix{rng.randrange(10**6)}b")
            reviewers = await many_buyers(services, count - count // 2, prefix=f"mix{rng.randrange(10**6)}r")
            made = []
            for buyer, reviewer in zip(buyers, reviewers, strict=False):
                await services.commerce.add_to_cart(AddToCart(buyer.id, rng.choice(ids), 1))
                book = rng.choice(ids)
                await services.shelf.add(AddToShelf(reviewer.id, book, ShelfStatus.COMPLETED))
                made.append(("POST", "/api/v1/orders/checkout", _token(services, buyer), ""))
                body = json.dumps({"rating": rng.randint(1, 5), "text": "Read it in one sitting."})
                made.append(("POST", f"/api/v1/books/{book}/reviews", _token(services, reviewer), body))
            return made
        finally:
            await services.aclose()


def _token(services: Any, user: Any) -> str:
    return bearer_for(services, user)["Authorization"].removeprefix("Bearer ")


def _lua(value: str) -> str:
    return json.dumps(value)  # a JSON string of ASCII text is a valid Lua string


def script(path: Path, paths: list[str], writes: list[tuple[str, str, str, str]]) -> Path:
    """A wrk script: each thread walks the reads from its own place, and every WRITE_EVERY-th request is
    the next of its share of the writes (while they last)."""
    lines = ["local reads = {", *(f"  {_lua(p)}," for p in paths), "}", "local writes = {"]
    lines += [f"  {{{_lua(m)}, {_lua(p)}, {_lua(t)}, {_lua(b)}}}," for m, p, t, b in writes]
    lines += [
        "}",
        "local threads = 0",
        "function setup(thread) thread:set('id', threads); threads = threads + 1 end",
        "local n, r, w",
        "function init(args) n = 0; r = id * 7919 % #reads; w = id + 1 end",
        "function request()",
        "  n = n + 1",
        f"  if n % {WRITE_EVERY} == 0 and w <= #writes then",
        "    local m = writes[w]; w = w + 2",
        "    local headers = {['Authorization'] = 'Bearer ' .. m[3]}",
        "    if m[4] ~= '' then headers['Content-Type'] = 'application/json' end",
        "    return wrk.format(m[1], m[2], headers, m[4] ~= '' and m[4] or nil)",
        "  end",
        "  r = r % #reads + 1",
        "  return wrk.format('GET', reads[r])",
        "end",
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def _answers(port: int) -> tuple[float, float, float]:
    """From the server's /metrics: catalog reads, those answered from the cache, and writes answered 201."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as response:
        text = response.read().decode()
    reads = hits = writes = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "folio_http_requests_total":
                if sample.labels["method"] == "GET" and sample.labels["route"] in CATALOG_ROUTES:
                    reads += sample.value
                elif sample.labels["method"] == "POST" and sample.labels["status"] == "201":
                    writes += sample.value
            elif sample.name == "folio_http_cached_reads_total" and sample.labels["result"] == "hit":
                hits += sample.value
    return reads, hits, writes


ROW = (
    "| {mode} | {rps:.0f} | {share} | {p50:.1f} | {p99:.1f} | {folio_ms:.2f} | {pg_ms:.2f} | {hit_rate}"
    " | {writes:.0f} | {non2xx:.0f} |"
)


def bench(url: str) -> None:
    rng = random.Random(23)
    asyncio.run(prepare(url, BOOKS))
    titles, authors, slugs, ids = asyncio.run(_catalog(url))
    paths = reads(titles, authors, slugs, ids, rng)
    print(f"{BOOKS} books, {len(paths)} reads drawn, 1 write in {WRITE_EVERY}, {CONNECTIONS} connections, 1 worker")
    print(
        "| run | requests/s | of the ceiling | p50 ms | p99 ms | Folio CPU ms/req | PostgreSQL CPU ms/req"
        " | reads from the cache | writes (201) | non-2xx |\n|---|---|---|---|---|---|---|---|---|---|"
    )
    top = ceiling(SECONDS, CONNECTIONS)
    print(ROW.format(mode="hello-world ceiling", share="100 %", hit_rate="-", writes=0, **top), flush=True)
    backends = Backends(url)
    with tempfile.TemporaryDirectory() as tmp:
        for mode in ("on", "off"):
            writes = asyncio.run(writers(url, ids, rng, WRITERS))
            lua = script(Path(tmp) / f"mix-{mode}.lua", paths, writes)
            port = free_port()
            server = serve(url, VALKEY, 1, mode == "on", port)
            try:
                # A server that has been up a while: pools open, the cache holding the popular reads.
                wrk(f"http://127.0.0.1:{port}", WARM_UP, CONNECTIONS, script(Path(tmp) / "warm.lua", paths, []))
                before = _answers(port)
                found = measure(f"http://127.0.0.1:{port}", SECONDS, CONNECTIONS, server.pid, backends, lua)
                catalog_reads, hits, written = (b - a for a, b in zip(before, _answers(port), strict=True))
            finally:
                stop(server)
            rate = f"{100 * hits / catalog_reads:.0f} %" if catalog_reads else "-"
            share = f"{100 * found['rps'] / top['rps']:.0f} %"
            print(
                ROW.format(mode=f"mix, cache {mode}", share=share, hit_rate=rate, writes=written, **found), flush=True
            )


def main() -> None:
    url = make_url(POSTGRES_URL).set(database=DATABASE).render_as_string(hide_password=False)
    try:
        bench(url)
    finally:
        drop_postgres_database(POSTGRES_URL, DATABASE)


if __name__ == "__main__":
    main()
