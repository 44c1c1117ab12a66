"""FOLIO_LOG_FILE with several processes writing at once while logrotate moves the file."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

WRITER = textwrap.dedent(
    """
    import logging, sys, time
    from entrypoints.logs import configure_logging
    from entrypoints.settings import load_settings

    settings = load_settings(
        {"FOLIO_VAR_DIR": sys.argv[1], "FOLIO_LOG_FILE": sys.argv[2], "FOLIO_LOG_JSON": "true"}, env_file=None
    )
    configure_logging(settings)
    log = logging.getLogger("folio.test")
    for n in range(int(sys.argv[3])):
        log.info("line %d of %s", n, sys.argv[4], extra={"writer": sys.argv[4], "n": n, "pad": "x" * 300})
        if n % 50 == 0:
            time.sleep(0.01)
    """
)


def test_lines_of_several_processes_stay_whole_and_none_is_lost_across_a_rotation(tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "folio.log"
    lines_each, writers = 1500, 3
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path), str(log_file), str(lines_each), f"w{n}"],
            cwd=Path(__file__).resolve().parents[2],
            stderr=subprocess.DEVNULL,
        )
        for n in range(writers)
    ]
    deadline = time.monotonic() + 60
    while not (log_file.exists() and log_file.stat().st_size > 50_000):  # some lines written by now
        assert time.monotonic() < deadline, "the writers wrote nothing"
        time.sleep(0.01)
    rotated = log_file.with_suffix(".log.1")
    log_file.rename(rotated)  # what logrotate does (without copytruncate)
    for process in processes:
        assert process.wait(120) == 0

    records = [json.loads(line) for path in (rotated, log_file) for line in path.read_text().splitlines()]
    seen = {(r["writer"], r["n"]) for r in records}
    assert len(records) == len(seen) == lines_each * writers  # each line whole, once
    assert log_file.stat().st_size > 0  # the writers reopened the path after the move
    assert rotated.stat().st_size > 0
