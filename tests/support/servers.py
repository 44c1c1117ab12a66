"""Real `folio serve` processes on free loopback ports, sharing one database (for cross-process tests)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from tests.support.processes import FOLIO, free_port
from tests.support.settings import TEST_SECRET


async def _wait_ready(url: str, process: asyncio.subprocess.Process, *, within: float) -> None:
    async with httpx.AsyncClient() as http:
        deadline = asyncio.get_running_loop().time() + within
        while True:
            if process.returncode is not None:
                raise RuntimeError(f"folio serve exited with {process.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(f"{url}/health", timeout=1)).status_code == 200:
                    return
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{url} did not become ready")
            await asyncio.sleep(0.2)


async def _stop(process: asyncio.subprocess.Process) -> None:
    # The server runs in its own process group (granian forks a worker): end that group only.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), timeout=15)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await asyncio.wait_for(process.wait(), timeout=5)


@contextlib.asynccontextmanager
async def api_processes(
    database_url: str, var_dir: Path, *, count: int = 2, env: dict[str, str] | None = None
) -> AsyncIterator[list[str]]:
    """Starts `count` single-worker API processes on `database_url`; yields their base URLs."""
    processes: list[asyncio.subprocess.Process] = []
    urls: list[str] = []
    try:
        for n in range(count):
            port = free_port()
            environment = {
                **os.environ,
                "FOLIO_DATABASE_URL": database_url,
                "FOLIO_JWT_SECRET": TEST_SECRET,
                "FOLIO_ALLOWED_HOSTS": "*",
                "FOLIO_CORS_ORIGINS": "",
                "FOLIO_VAR_DIR": str(var_dir / f"api{n}"),
                "FOLIO_LOG_LEVEL": "WARNING",
                **(env or {}),
            }
            environment.pop("FOLIO_VALKEY_URL", None)
            with (var_dir / f"api{n}.log").open("wb") as log:
                processes.append(
                    await asyncio.create_subprocess_exec(
                        *(FOLIO, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"),
                        env=environment,
                        stdout=log,
                        stderr=asyncio.subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
            urls.append(f"http://127.0.0.1:{port}")
        for url, process in zip(urls, processes, strict=True):
            await _wait_ready(url, process, within=60)
        yield urls
    finally:
        for process in processes:
            await _stop(process)
