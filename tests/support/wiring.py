"""Services over fakes, wired the way `bootstrap()` wires them, for tests that want other ports."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from adapters.memory.library import MemoryLibraryImportStore
from adapters.memory.uow import MemoryUowFactory
from application.events import event_handlers
from application.library.importing import LibraryService
from application.ports.clock import Clock
from application.ports.imports import ImportQueue
from application.ports.library import LibraryImportStore
from application.ports.uow import EventHandlers
from entrypoints.bootstrap import Services, bootstrap
from entrypoints.settings import Settings


def fake_services(
    settings: Settings,
    *,
    clock: Clock | None = None,
    handlers: EventHandlers | None = None,
    **ports: Any,
) -> Services:
    """Every use case over in-memory fakes (the system clock unless `clock`). `handlers` replaces the
    in-transaction event handlers; any port `bootstrap()` accepts (payments, publisher...) may be given."""
    uow = MemoryUowFactory(handlers=event_handlers() if handlers is None else handlers)
    return bootstrap(settings, uow=uow, clock=clock, **ports)


def library_service(
    services: Services, *, store: LibraryImportStore | None = None, queue: ImportQueue | None = None
) -> LibraryService:
    """The library import over `services`' ports; without a queue, the test runs each import itself."""
    return LibraryService(
        uow=services.uow,
        clock=services.clock,
        store=store or MemoryLibraryImportStore(),
        queue=queue,
        require_verified_email=services.policy.require_verified_email,
        lease=timedelta(seconds=services.policy.import_lease_seconds),
    )
