"""One import in this process, as a worker runs it (on its loop): prints rows per second and peak RSS as JSON."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import UUID

from application.imports.start import StartImport
from entrypoints.bootstrap import bootstrap
from entrypoints.loops import new_event_loop
from entrypoints.settings import load_settings


class _NoQueue:
    async def enqueue(self, import_id: UUID) -> None:
        return None


async def _read(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as source:
        while chunk := source.read(256 * 1024):
            yield chunk


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _machine_cpu() -> tuple[float, float]:
    """Busy CPU seconds of the whole machine (this worker, PostgreSQL and anything else running), and
    the seconds the hypervisor took from it (steal: on a shared VM, the reason wall clock figures vary)."""
    with open("/proc/stat") as stat:
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(n) for n in stat.readline().split()[1:9])
    ticks = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / ticks, steal / ticks


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def main(path: Path) -> None:
    services = bootstrap(load_settings(), import_queue=_NoQueue())
    began = time.perf_counter()
    started = await services.imports.start(StartImport(path.name, _read(path)))
    uploaded = time.perf_counter()
    rss_before = _rss_mib()
    cpu_before, (machine_before, steal_before) = _cpu(), _machine_cpu()
    progress = await services.imports.run(started.id)
    finished = time.perf_counter()
    machine_after, steal_after = _machine_cpu()
    cpu, machine = _cpu() - cpu_before, machine_after - machine_before
    await services.aclose()
    assert progress is not None
    seconds = finished - uploaded
    print(
        json.dumps(
            {
                "rows": progress.total_rows,
                "status": progress.status.value,
                "created": progress.created,
                "updated": progress.updated,
                "failed_rows": progress.failed_rows,
                "upload_seconds": round(uploaded - began, 2),
                "import_seconds": round(seconds, 2),
                "rows_per_second": round(progress.processed_rows / seconds),
                "worker_cpu_seconds": round(cpu, 2),
                "rows_per_worker_cpu_second": round(progress.processed_rows / cpu),
                "other_cpu_seconds": round(machine - cpu, 2),
                "stolen_cpu_seconds": round(steal_after - steal_before, 2),
                "cpus": os.cpu_count(),
                "load_average": os.getloadavg()[0],
                "peak_rss_mib_before_run": round(rss_before, 1),
                "peak_rss_mib": round(_rss_mib(), 1),
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])), loop_factory=new_event_loop)  # the worker's loop
