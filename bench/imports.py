"""`make bench-import`: a worker importing 20,000 and 100,000 generated rows on PostgreSQL.

For each size, on a fresh database, three imports in turn (`BENCH_IMPORT_KINDS` picks some):
`new` loads the file into the empty catalog; `same` imports it again (every ISBN row is a book that
is already so, every other row a duplicate); `changed` imports it with other prices, so every ISBN
row rewrites its book. Each import is a fresh process, so its peak RSS is the import's own.

Figures behind choices in the code, measured with it on the 2-core VM (noisy; see README for rates):
2,000 rows per batch cost 5% less CPU than 1,000 for 8 MiB more peak RSS, 5,000 gave little more;
three batches written at once kept the machine at 87% of its CPU time against 81% with two, for
4 MiB more; ids as one uuid[] parameter cost the worker ~26 ms of CPU per 2,000 ids against ~54 ms
with `IN`; copying the progress without deepcopy took 6% off a re-import's profile; a memoised
price or date lookup costs ~0.1 us against ~3 us to parse one; easing the collector while an import
runs (entrypoints/heap.py) took 100,000 rows from 3.7 s to 3.4 s of worker CPU, same peak memory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.support.databases import create_postgres_database, drop_postgres_database
from tests.support.imports import write_csv
from tests.support.settings import POSTGRES_URL, TEST_SECRET

SIZES = [int(n) for n in os.environ.get("BENCH_IMPORT_ROWS", "20000,100000").split(",")]
KINDS = os.environ.get("BENCH_IMPORT_KINDS", "new,same,changed").split(",")
SEEDS = {"new": 7, "same": 7, "changed": 8}  # the seed of the generated prices


def run(rows: int, directory: Path) -> Iterator[dict[str, object]]:
    name = f"folio_bench_import_{os.getpid()}"
    url = create_postgres_database(POSTGRES_URL, name)
    try:
        for kind in KINDS:
            path = write_csv(directory / f"books-{rows}-{kind}.csv", rows, seed=SEEDS[kind])
            result = _import(path, url, directory)
            yield {"kind": kind, **result, "file_mib": round(path.stat().st_size / 1024 / 1024, 1)}
    finally:
        drop_postgres_database(POSTGRES_URL, make_url(url).database or name)


def _import(path: Path, url: str, directory: Path) -> dict[str, object]:
    """One import of `path` by a fresh worker process; its JSON report."""
    env = os.environ | {
        "FOLIO_DATABASE_URL": url,
        "FOLIO_JWT_SECRET": TEST_SECRET,
        "FOLIO_ALLOWED_HOSTS": "*",
        "FOLIO_CORS_ORIGINS": "",
        "FOLIO_VAR_DIR": str(directory / "var"),
    }
    env.pop("FOLIO_VALKEY_URL", None)
    out = subprocess.run(
        [sys.executable, "-m", "bench.import_worker", str(path)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for rows in SIZES:
            for result in run(rows, Path(tmp)):
                print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
