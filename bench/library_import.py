"""`make bench-library-import`: a reader's 20,000-row Goodreads export into PostgreSQL with a 100,000-book catalog.

Half the rows match a catalog book by ISBN, a quarter by title and author (written as Goodreads does:
another case, a series suffix, "Last, First"), a quarter are new (the reader's own books); every third row
is finished, rated and dated. The import runs in a fresh process as the worker runs it; it prints rows/s, the
statements per batch, that process's CPU time and peak RSS as JSON, for the first run and for a re-import of
the same file (all `unchanged`).
The catalog is analyzed once seeded, as a catalog that size would be (without statistics PostgreSQL scans
every book for a batch's titles). Sizes: BENCH_LIBRARY_ROWS (20000), BENCH_LIBRARY_CATALOG (100000);
BENCH_PROFILE=1 (or =tottime) adds a profile and the time per kind of statement on stderr.
"""

from __future__ import annotations

import atexit
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from adapters.sql.uow import SqlUowFactory
from application.library.importing import BATCH_ROWS, StartLibraryImport
from domain.catalog import Book
from domain.money import Money
from entrypoints.bootstrap import Services, bootstrap
from entrypoints.loops import new_event_loop
from entrypoints.settings import load_settings
from tests.support.builders import add_user
from tests.support.databases import create_postgres_database, drop_postgres_database
from tests.support.imports import isbn13
from tests.support.library import goodreads_file
from tests.support.settings import POSTGRES_URL, TEST_SECRET

ROWS = int(os.environ.get("BENCH_LIBRARY_ROWS", "20000"))
CATALOG = int(os.environ.get("BENCH_LIBRARY_CATALOG", "100000"))


def _title(i: int) -> str:
    return f"Catalog Title {i}"


def _author(i: int) -> str:
    return f"Ann Writer{i % 5000}"


def export_rows() -> list[dict[str, str]]:
    rows = []
    for i in range(ROWS):
        kind = i % 4
        row: dict[str, str] = {"Date Added": "2024/01/02"}
        if kind in (0, 1):  # by ISBN
            row.update({"Title": f"Some edition {i}", "Author": _author(i), "ISBN13": f'="{isbn13(i)}"'})
        elif kind == 2:  # by title and author
            row.update({"Title": f"catalog title {i} (A Series, #{i % 9 + 1})", "Author": f"Writer{i % 5000}, Ann"})
        else:  # new
            row.update({"Title": f"Not in the catalog {i}", "Author": f"New Author {i % 3000}"})
        if i % 3 == 0:
            row.update({"Exclusive Shelf": "read", "My Rating": str(1 + i % 5), "Date Read": "2024/02/03"})
        rows.append(row)
    return rows


async def seed(directory: Path) -> UUID:
    services = bootstrap(load_settings())
    now = datetime.now(UTC)
    try:
        for start in range(0, CATALOG, 5000):
            books = [
                Book(
                    uuid4(),
                    _title(i),
                    _author(i),
                    Money.of("9.99"),
                    now,
                    now,
                    stock=3,
                    isbn=isbn13(i) if i % 4 < 2 else None,
                )
                for i in range(start, min(start + 5000, CATALOG))
            ]
            async with services.uow() as uow:
                await uow.book_import.insert(books)
                await uow.commit()
        factory = services.uow
        assert isinstance(factory, SqlUowFactory)
        async with factory.engine.begin() as conn:  # a catalog that size has its statistics
            await conn.execute(text("ANALYZE books"))
        user = await add_user(services)
    finally:
        await services.aclose()
    (directory / "export.csv").write_bytes(goodreads_file(export_rows()))
    return user.id


async def _read(path: Path):  # type: ignore[no-untyped-def]
    with path.open("rb") as source:
        while chunk := source.read(256 * 1024):
            yield chunk


def _counting(services: Services) -> list[int]:
    """A count of the statements SQLAlchemy sends from now on (a COPY or a psycopg cursor's own are not);
    with BENCH_PROFILE, the time each kind of statement took is written to stderr at exit."""
    factory = services.uow
    assert isinstance(factory, SqlUowFactory)
    count = [0]
    spent: dict[str, float] = {}
    started: list[float] = []

    def before(conn: Any, cursor: Any, statement: str, *_: object) -> None:
        count[0] += 1
        started.append(time.perf_counter())

    def after(conn: Any, cursor: Any, statement: str, *_: object) -> None:
        words = " ".join(statement.split())
        where = words.find(" WHERE ")
        kind = words[:40] + ("" if where < 0 else " …" + words[where : where + 70])
        spent[kind] = spent.get(kind, 0.0) + time.perf_counter() - started.pop()

    def report() -> None:
        for kind, seconds in sorted(spent.items(), key=lambda item: -item[1])[:15]:
            sys.stderr.write(f"{seconds:8.2f}s  {kind}\n")

    event.listen(factory.engine.sync_engine, "before_cursor_execute", before)
    event.listen(factory.engine.sync_engine, "after_cursor_execute", after)
    if os.environ.get("BENCH_PROFILE"):
        atexit.register(report)
    return count


async def _postgres_cpu(services: Services) -> float:
    """CPU seconds the server's backends of this database have used (the server runs on this machine:
    its processes are read from /proc; 0 where they cannot be)."""
    factory = services.uow
    assert isinstance(factory, SqlUowFactory)
    async with factory.engine.connect() as conn:
        query = text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        pids = (await conn.execute(query)).scalars().all()
    return _cpu_of(pids)


def _cpu_of(pids: Sequence[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


async def child(user_id: UUID, path: Path) -> None:
    """One import in this process: the upload, then the run as the worker runs it."""
    services = bootstrap(load_settings())
    service = services.library
    service._queue = None  # the bench runs it itself, here
    started = await service.start(StartLibraryImport(user_id, path.name, _read(path)))
    postgres_before = await _postgres_cpu(services)
    statements = _counting(services)
    began = time.perf_counter()
    cpu_before = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.enable()
        record = await service.run(started.id)
        profile.disable()
        order = (
            os.environ["BENCH_PROFILE"] if os.environ["BENCH_PROFILE"] in ("tottime", "cumulative") else "cumulative"
        )
        pstats.Stats(profile, stream=sys.stderr).sort_stats(order).print_stats(45)
    else:
        record = await service.run(started.id)
    seconds = time.perf_counter() - began
    cpu = sum(resource.getrusage(resource.RUSAGE_SELF)[:2]) - cpu_before
    count = statements[0]
    postgres = await _postgres_cpu(services) - postgres_before
    await services.aclose()
    assert record is not None
    print(
        json.dumps(
            {
                "rows": record.total_rows,
                "status": record.status.value,
                "added": record.added,
                "updated": record.updated,
                "unchanged": record.unchanged,
                "books_created": record.books_created,
                "failed": record.failed_rows,
                "seconds": round(seconds, 2),
                "rows_per_s": round(record.processed_rows / seconds),
                "statements": count,
                "statements_per_batch": round(count / max(1, -(-record.processed_rows // BATCH_ROWS)), 1),
                "worker_cpu_s": round(cpu, 2),
                "postgres_cpu_s": round(postgres, 2),
                "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            }
        ),
        flush=True,
    )


def main() -> None:
    name = f"folio_bench_library_{os.getpid()}"
    url = create_postgres_database(POSTGRES_URL, name)
    env = os.environ | {
        "FOLIO_DATABASE_URL": url,
        "FOLIO_JWT_SECRET": TEST_SECRET,
        "FOLIO_ALLOWED_HOSTS": "*",
        "FOLIO_CORS_ORIGINS": "",
        "FOLIO_ARGON2_MEMORY_KIB": "1024",
        "FOLIO_ARGON2_TIME_COST": "1",
    }
    env.pop("FOLIO_VALKEY_URL", None)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            directory = Path(tmp)
            env["FOLIO_VAR_DIR"] = str(directory / "var")
            os.environ.update(env)
            loop = new_event_loop()
            user_id = loop.run_until_complete(seed(directory))
            loop.close()
            for run in ("first", "again"):
                out = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "bench.library_import",
                        "child",
                        str(user_id),
                        str(directory / "export.csv"),
                    ],
                    env=env,
                    check=True,
                    capture_output=True,
                    text=True,
                    timeout=1200,
                )
                if os.environ.get("BENCH_PROFILE"):
                    sys.stderr.write(out.stderr)
                result = json.loads(out.stdout.strip().splitlines()[-1])
                print(json.dumps({"run": run, "catalog": CATALOG, **result}), flush=True)
    finally:
        drop_postgres_database(POSTGRES_URL, make_url(url).database or name)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "child":
        loop = new_event_loop()
        loop.run_until_complete(child(UUID(sys.argv[2]), Path(sys.argv[3])))
        loop.close()
    else:
        main()
