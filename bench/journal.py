"""`make bench-journal`: a reader with 5,000 reads over 10 years, served by one `folio serve` worker on PostgreSQL
without the catalog cache; wrk at 32 connections on the year's stats, the year's goal and the shelf by rating.

Usage: .venv/bin/python -m bench.journal [--reads 5000] [--seconds 5] [--connections 32] [--others 5]
Needs `wrk`, PostgreSQL and Valkey (FOLIO_TEST_POSTGRES_URL / _VALKEY_URL). Bounded and self-cleaning: the
database is made afresh and dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import tempfile
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.sql.tables import books, genres, goals, reads, reviews, shelf_entries
from bench.servers import cpu_seconds, wrk
from tests.support.databases import create_postgres_database, drop_postgres_database
from tests.support.http import PASSWORD
from tests.support.processes import folio_env, running, start_server
from tests.support.settings import POSTGRES_URL, VALKEY_URL

DB_NAME = "folio_bench_journal"
YEARS = 10
BATCH = 2000


def _book_rows(rng: random.Random, count: int, genre_ids: list[uuid.UUID], now: datetime) -> list[dict[str, Any]]:
    authors = [f"Author {n}" for n in range(count // 4)]
    return [
        {
            "id": uuid.uuid4(),
            "title": f"Book {n}",
            "author": rng.choice(authors),
            "pages": rng.choice([None, *range(90, 900, 7)]),
            "genre_id": rng.choice([None, *genre_ids]),
            "price": 10,
            "stock": 5,
            "tags": [],
            "created_at": now,
            "updated_at": now,
        }
        for n in range(count)
    ]


def _shelf(
    rng: random.Random, user_id: uuid.UUID, book_ids: list[uuid.UUID], count: int, today: date, now: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Entries, reads and reviews of one reader: `count` reads over ten years, re-reads, dropped and open ones."""
    entries, all_reads, ratings = [], [], []
    first = today - timedelta(days=365 * YEARS)
    for book_id in rng.sample(book_ids, min(len(book_ids), int(count * 0.8))):
        entries.append({"user_id": user_id, "book_id": book_id, "reads": []})
    while len(all_reads) < count:
        entry = rng.choice(entries)
        start = first + timedelta(days=rng.randint(0, 365 * YEARS - 30))
        end = start + timedelta(days=rng.randint(1, 30))
        kind = rng.choices(["finished", "stopped", "open"], weights=[88, 10, 2])[0]
        if kind == "open" and any(r["finished_on"] is None and r["stopped_on"] is None for r in entry["reads"]):
            kind = "finished"
        read = {
            "id": uuid.uuid4(),
            "user_id": user_id,
            "book_id": entry["book_id"],
            "started_on": start,
            "finished_on": end if kind == "finished" else None,
            "stopped_on": end if kind == "stopped" else None,
            "created_at": now,
        }
        entry["reads"].append(read)
        all_reads.append(read)
    rows = []
    for entry in entries:
        finished = [r for r in entry["reads"] if r["finished_on"] is not None]
        last = max(entry["reads"], key=lambda r: r["finished_on"] or r["stopped_on"] or r["started_on"], default=None)
        if last is None:
            status = "WISHLIST"
        elif last["finished_on"] is not None:
            status = "COMPLETED"
        else:
            status = "DID_NOT_FINISH" if last["stopped_on"] is not None else "READING"
        changed = now if last is None else datetime.combine(last["started_on"], datetime.min.time(), UTC)
        rows.append(
            {
                "user_id": user_id,
                "book_id": entry["book_id"],
                "status": status,
                "date_added": changed,
                "updated_at": changed,
                "read_count": len(finished),
            }
        )
        if finished and rng.random() < 0.6:
            ratings.append(
                {
                    "id": uuid.uuid4(),
                    "book_id": entry["book_id"],
                    "user_id": user_id,
                    "rating": rng.randint(1, 5),
                    "created_at": now,
                    "updated_at": now,
                }
            )
    return rows, all_reads, ratings


async def _insert(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    for at in range(0, len(rows), BATCH):
        await conn.execute(insert(table), rows[at : at + BATCH])


async def seed(url: str, reader_ids: list[uuid.UUID], count: int, others: int, year: int) -> None:
    rng = random.Random(18)
    now = datetime.now(UTC)
    genre_rows = [
        {"id": uuid.uuid4(), "name": f"Genre {n}", "slug": f"genre-{n}", "created_at": now} for n in range(12)
    ]
    book_rows = _book_rows(rng, 6000, [g["id"] for g in genre_rows], now)
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await _insert(conn, genres, genre_rows)
        await _insert(conn, books, book_rows)
        for n, user_id in enumerate(reader_ids):
            entries, their_reads, ratings = _shelf(
                rng, user_id, [b["id"] for b in book_rows], count if n == 0 else 2000, now.date(), now
            )
            await _insert(conn, shelf_entries, entries)
            await _insert(conn, reads, their_reads)
            await _insert(conn, reviews, ratings)
            await conn.execute(
                insert(goals).values(user_id=user_id, year=year, target=50, created_at=now, updated_at=now)
            )
    await engine.dispose()
    analyze = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with analyze.connect() as conn:
        await conn.execute(text("ANALYZE"))  # fresh planner statistics, as autovacuum would give them soon
    await analyze.dispose()


def register(base: str, name: str) -> tuple[uuid.UUID, str]:
    body = {"email": f"{name}@example.com", "username": name, "password": PASSWORD}
    user = httpx.post(f"{base}/api/v1/auth/register", json=body, timeout=30)
    user.raise_for_status()
    login = httpx.post(f"{base}/api/v1/auth/login", json={"email": body["email"], "password": PASSWORD}, timeout=30)
    login.raise_for_status()
    return uuid.UUID(user.json()["id"]), str(login.json()["access_token"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reads", type=int, default=5000, help="the measured reader's reads")
    parser.add_argument("--others", type=int, default=5, help="other readers, 2,000 reads each")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--keep", action="store_true", help="keep the database (to EXPLAIN its queries)")
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    year = datetime.now(UTC).year
    scenarios = {
        "GET /users/me (floor: auth + one query)": "/api/v1/users/me",
        f"GET /users/me/stats?year={year}": f"/api/v1/users/me/stats?year={year}",
        "GET /users/me/stats (all time)": "/api/v1/users/me/stats",
        f"GET /goals/{year}": f"/api/v1/goals/{year}",
        "GET /my-library?sort=-rating": "/api/v1/my-library?sort=-rating",
    }
    url = create_postgres_database(POSTGRES_URL, DB_NAME)
    root = Path(tempfile.mkdtemp(prefix="folio-bench-journal-"))
    try:
        env = folio_env(
            root,
            database_url=url,
            valkey_url=VALKEY_URL,
            valkey_prefix=f"folio-bench:{uuid.uuid4().hex}:",
            catalog_cache="false",
            log_level="WARNING",
        )
        with running(start_server(env, workers=1)) as (api,):
            accounts = [register(api.url, f"journal{n}-{uuid.uuid4().hex[:6]}") for n in range(1 + options.others)]
            print(f"seeding {options.reads} reads (+{options.others} x 2,000 of other readers) ...", flush=True)
            asyncio.run(seed(url, [user_id for user_id, _ in accounts], options.reads, options.others, year))
            headers = {"Authorization": f"Bearer {accounts[0][1]}"}
            print(f"| endpoint ({options.connections} connections, 1 worker, no cache) | requests/s | p50 | p99 |"
                  " server CPU µs/request |\n|---|---|---|---|---|", flush=True)  # fmt: skip
            for name, path in scenarios.items():
                answer = httpx.get(api.url + path, headers=headers, timeout=30)
                answer.raise_for_status()
                wrk(api.url + path, 1, options.connections, headers)  # warm-up
                before = cpu_seconds(api.process.pid)
                rps, p50, p99, total = wrk(api.url + path, options.seconds, options.connections, headers)
                cpu = (cpu_seconds(api.process.pid) - before) / max(total, 1) * 1e6
                print(f"| {name} | {rps:,.0f} | {p50} | {p99} | {cpu:,.0f} |", flush=True)
    finally:
        if not options.keep:
            drop_postgres_database(POSTGRES_URL, DB_NAME)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
