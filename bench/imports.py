"""`make bench-import`: a worker importing 20,000 and 100,000 generated rows on PostgreSQL.

Each run is a fresh process on a fresh database, so its peak RSS is the import's own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.support.databases import create_postgres_database, drop_postgres_database
from tests.support.imports import write_csv
from tests.support.settings import POSTGRES_URL, TEST_SECRET

SIZES = [int(n) for n in os.environ.get("BENCH_IMPORT_ROWS", "20000,100000").split(",")]


def run(rows: int, directory: Path) -> dict[str, object]:
    name = f"folio_bench_import_{os.getpid()}"
    url = create_postgres_database(POSTGRES_URL, name)
    try:
        path = write_csv(directory / f"books-{rows}.csv", rows)
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
        result["file_mib"] = round(path.stat().st_size / 1024 / 1024, 1)
        return result
    finally:
        drop_postgres_database(POSTGRES_URL, make_url(url).database or name)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for rows in SIZES:
            print(json.dumps(run(rows, Path(tmp))), flush=True)


if __name__ == "__main__":
    main()
