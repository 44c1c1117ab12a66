"""The connection budget: how many PostgreSQL connections each worker of a process may hold.

`FOLIO_DB_MAX_CONNECTIONS` is what one process holds at most, all its server (or Dramatiq) worker
processes together. Each worker gets an equal share, split between its write pool (units of work)
and its read pool (catalog reads); neither overflows. A request that finds its pool busy waits
`FOLIO_DB_POOL_TIMEOUT` seconds at most, then is answered 503.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from adapters.sql.engine import PoolOptions
from entrypoints.settings import Settings

log = logging.getLogger("folio")

#: The least one worker needs: a connection for its units of work and one for catalog reads.
MIN_SHARE = 2


@dataclass(frozen=True, slots=True)
class ConnectionBudget:
    """What each of `workers` worker processes holds: `write` + `read` connections."""

    workers: int
    write: PoolOptions
    read: PoolOptions

    @property
    def per_worker(self) -> int:
        return self.write.size + self.read.size

    @property
    def total(self) -> int:
        return self.workers * self.per_worker

    def describe(self) -> str:
        return (
            f"at most {self.total} PostgreSQL connection(s): {self.workers} worker(s) x "
            f"({self.write.size} write + {self.read.size} read), waiting {self.write.timeout:g}s for a free one"
        )


def workers_within(settings: Settings, workers: int) -> int:
    """How many of `workers` the budget can serve, each with at least MIN_SHARE connections."""
    return max(1, min(workers, settings.db_max_connections // MIN_SHARE))


def connection_budget(settings: Settings, workers: int = 1) -> ConnectionBudget:
    """Each of `workers` processes' share of `settings.db_max_connections` (a third of it for reads)."""
    workers = workers_within(settings, workers)
    share = settings.db_max_connections // workers
    read = max(1, share // 3)
    write = share - read
    if settings.db_pool_size is not None and settings.db_pool_size < write:
        write = settings.db_pool_size  # the older per-worker setting, kept as a cap
    base = PoolOptions(
        size=write,
        timeout=settings.db_pool_timeout,
        connect_timeout=settings.db_connect_timeout,
        pgbouncer=settings.db_pgbouncer,
    )
    return ConnectionBudget(workers, base, replace(base, size=read))
