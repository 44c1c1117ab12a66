"""The import actor: a thin shell over the RunImport use case; any worker on any machine may take it.

Set the broker (with the AsyncIO middleware) before importing this module.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any
from uuid import UUID

import dramatiq

from adapters.dramatiq.imports import IMPORT_QUEUE, RUN_IMPORT, RUN_LIBRARY_IMPORT
from entrypoints import worker
from entrypoints.bootstrap import Services, bootstrap
from entrypoints.settings import Settings, load_settings

_settings: Settings | None = None
_services: Services | None = None


def configure(settings: Settings | None) -> None:
    """Which settings the actor's services are built from (default: the environment)."""
    global _settings, _services
    _settings, _services = settings, None


def services() -> Services:
    """The `folio worker` process's services; else built on first use, inside the actors' loop thread."""
    global _services
    if _settings is None:
        with suppress(RuntimeError):  # not inside a `folio worker` process
            return worker.services()
    if _services is None:
        _services = bootstrap(_settings or load_settings())
    return _services


async def run_import(import_id: str) -> None:
    """Runs one import; a finished one is a no-op, a live one elsewhere raises ImportBusy (retried later)."""
    await services().imports.run(UUID(import_id))


#: Both import actors: retried while another worker holds the import, for up to an hour of work.
_OPTIONS: dict[str, Any] = {
    "queue_name": IMPORT_QUEUE,
    "max_retries": 30,
    "min_backoff": 5_000,
    "max_backoff": 60_000,
    "time_limit": 3_600_000,  # an hour: a 50 MB file takes well under a minute at the measured rate
}
run_import_actor = dramatiq.actor(actor_name=RUN_IMPORT, **_OPTIONS)(run_import)


async def run_library_import(import_id: str) -> None:
    """Runs one reader's library import (Goodreads, StoryGraph); the same rules as run_import."""
    await services().library.run(UUID(import_id))


run_library_import_actor = dramatiq.actor(actor_name=RUN_LIBRARY_IMPORT, **_OPTIONS)(run_library_import)
