"""`make bench-cli-import`: `folio books import FILE` end to end, as an operator runs it, on PostgreSQL.

A one-row file shows the fixed cost (start-up: interpreter, imports, wiring, the first connection), a
20,000-row file (BENCH_CLI_ROWS) the rate end to end. Each round imports both into a fresh database,
in a fresh process each, and reads the process's wall time and CPU (user + system).

`--before DIR` runs another checkout's code (say `git archive <commit> | tar -x -C DIR`) in the same
rounds, interleaved, so a before/after comparison shares the machine's load.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.support.databases import create_postgres_database, drop_postgres_database
from tests.support.imports import write_csv
from tests.support.processes import folio_env
from tests.support.settings import POSTGRES_URL

ROOT = Path(__file__).resolve().parent.parent
FOLIO = str(ROOT / ".venv" / "bin" / "folio")


def _run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def _round(code: Path | None, files: dict[str, Path], directory: Path) -> dict[str, tuple[float, float]]:
    name = f"folio_bench_cli_import_{os.getpid()}"
    url = create_postgres_database(POSTGRES_URL, name)
    env = folio_env(directory / "var", database_url=url, log_level="WARNING")
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(code), env.get("PYTHONPATH")]))
    try:
        _run([FOLIO, "db", "upgrade"], env)
        return {label: _run([FOLIO, "books", "import", str(path)], env) for label, path in files.items()}
    finally:
        drop_postgres_database(POSTGRES_URL, make_url(url).database or name)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=int(os.environ.get("BENCH_CLI_ROWS", "20000")))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", type=Path, help="Another checkout to run in the same rounds, interleaved.")
    args = parser.parse_args()
    codes: list[Path | None] = [args.before, None] if args.before is not None else [None]
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        files = {
            "1 row": write_csv(directory / "one.csv", 1),
            f"{args.rows} rows": write_csv(directory / "many.csv", args.rows),
        }
        results: dict[str, list[dict[str, tuple[float, float]]]] = {str(c or ROOT): [] for c in codes}
        for _ in range(args.rounds):
            for code in codes:
                results[str(code or ROOT)].append(_round(code, files, directory))
    print(f"folio books import, {args.rounds} rounds, fresh PostgreSQL database each (wall s / CPU s of the command)")
    for code, rounds in results.items():
        print(f"code: {code}")
        for label in files:
            walls = sorted(r[label][0] for r in rounds)
            cpus = sorted(r[label][1] for r in rounds)
            line = (
                f"  {label:>11}: wall {walls[len(walls) // 2]:.2f} (min {walls[0]:.2f})  CPU {cpus[len(cpus) // 2]:.2f}"
            )
            if label != "1 row":
                line += f"  {args.rows / walls[len(walls) // 2]:,.0f} rows/s end to end"
            print(line)
    sys.exit(0)


if __name__ == "__main__":
    main()
