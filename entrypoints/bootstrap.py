"""The composition root: builds adapters from settings and wires them to the use cases.

Nothing is built at import time. Tests pass any port to override it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from dramatiq import Broker
from dramatiq.brokers.stub import StubBroker
from sqlalchemy.ext.asyncio import AsyncEngine
from valkey.asyncio import Valkey

from adapters.dramatiq.broker import MAIL_QUEUE
from adapters.dramatiq.imports import IMPORT_QUEUE, RUN_LIBRARY_IMPORT, DramatiqImportQueue
from adapters.dramatiq.monitor import WorkerCounters
from adapters.dramatiq.publisher import DramatiqPublisher
from adapters.memory.catalog_cache import MemoryCatalogCache
from adapters.memory.catalog_reads import MemoryCatalogReads
from adapters.memory.imports import InProcessImportQueue, MemoryImportProgressStore
from adapters.memory.library import MemoryLibraryImportStore
from adapters.memory.rate_limit import MemoryRateLimiter
from adapters.memory.tokens import MemoryTokenStore
from adapters.memory.uow import MemoryUowFactory
from adapters.payments.simulated import SimulatedPaymentGateway
from adapters.security.jwt import JwtAccessTokens
from adapters.security.passwords import PwdlibPasswordHasher
from adapters.sql.engine import PoolOptions, make_engine, ping
from adapters.sql.search_postgres import PostgresCatalogReads
from adapters.sql.search_sqlite import SqliteCatalogReads
from adapters.sql.stats import outbox_backlog, pool_use
from adapters.sql.uow import SqlUowFactory
from adapters.system import SystemClock
from adapters.valkey.catalog_cache import ValkeyCatalogCache
from adapters.valkey.client import make_client
from adapters.valkey.client import ping as ping_valkey
from adapters.valkey.imports import ValkeyImportProgressStore
from adapters.valkey.library import ValkeyLibraryImportStore
from adapters.valkey.rate_limit import ValkeyRateLimiter
from adapters.valkey.stats import queue_depth
from adapters.valkey.tokens import ValkeyTokenStore
from application.activity.service import ActivityService
from application.catalog.service import CatalogService
from application.commerce.service import CommerceService
from application.delivery.service import MailService
from application.events import after_commit_subscribers, event_handlers
from application.identity.credentials import Credentials
from application.identity.service import IdentityService
from application.imports.service import ImportService
from application.journal.service import JournalService
from application.library.importing import LibraryService
from application.operations.service import OperationsService
from application.policy import Policy
from application.ports.catalog import CatalogCache, CatalogReads, NoCatalogCache
from application.ports.clock import Clock
from application.ports.commerce import PaymentGateway
from application.ports.identity_providers import IdentityProvider
from application.ports.imports import ImportProgressStore, ImportQueue
from application.ports.mail import Mailer
from application.ports.outbox import Publisher
from application.ports.rate_limit import RateLimiter
from application.ports.security import PasswordHasher
from application.ports.tokens import TokenStore
from application.ports.uow import UowFactory
from application.reviews.service import ReviewsService
from application.shelf.service import ShelfService
from entrypoints.connections import connection_budget
from entrypoints.heap import eased
from entrypoints.identity_providers import identity_providers as configured_providers
from entrypoints.operations import QUEUES, build_operations
from entrypoints.policy import policy_from
from entrypoints.probes import ScrapeGauge
from entrypoints.settings import Settings
from entrypoints.tracing import trace_engine
from entrypoints.worker.wiring import build_mail

log = logging.getLogger("folio")


@dataclass
class Services:
    """What the driving adapters call: one facade per capability, over one set of ports."""

    settings: Settings
    #: The ports the services share, for the driving adapters that write or read past them (the CLI,
    #: fixtures): the units of work, the clock, the policy and the identity bundle.
    uow: UowFactory
    clock: Clock
    policy: Policy
    credentials: Credentials
    identity: IdentityService
    shelf: ShelfService
    journal: JournalService
    reviews: ReviewsService
    commerce: CommerceService
    imports: ImportService
    catalog: CatalogService
    mail: MailService
    #: Readers' activity and reviews' history.
    activity: ActivityService
    #: The operator's view (worker status); set once the embedded worker, if any, is built.
    operations: OperationsService = field(init=False)
    #: Bring your library: Goodreads and StoryGraph import, Goodreads export.
    library: LibraryService = field(init=False)
    _closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    _checks: dict[str, Callable[[], Awaitable[None]]] = field(default_factory=dict)
    #: Gauges `/metrics` reads at scrape time, by metric name (outbox backlog, pool use, queue depth...).
    gauges: dict[str, ScrapeGauge] = field(default_factory=dict)
    #: Without Valkey: the in-process broker and its publisher, for the worker the app's lifespan runs.
    embedded: tuple[Broker, DramatiqPublisher] | None = None
    #: Whether that worker runs, with none of its threads dead (the lifespan's EmbeddedWorker answers).
    embedded_alive: Callable[[], bool] = lambda: False

    async def readiness(self, *, within: float = 2.0) -> dict[str, bool]:
        """Asks each backing service to answer; a failure or a slow answer is False."""

        async def check(name: str, probe: Callable[[], Awaitable[None]]) -> bool:
            try:
                async with asyncio.timeout(within):
                    await probe()
            except Exception as exc:
                log.warning("readiness check %s failed: %s", name, type(exc).__name__)
                return False
            return True

        names = list(self._checks)
        results = await asyncio.gather(*(check(n, self._checks[n]) for n in names))
        return dict(zip(names, results, strict=True))

    async def aclose(self) -> None:
        closers, self._closers = self._closers, []
        for close in reversed(closers):
            await close()


def bootstrap(
    settings: Settings,
    *,
    uow: UowFactory | None = None,
    tokens: TokenStore | None = None,
    rate_limiter: RateLimiter | None = None,
    hasher: PasswordHasher | None = None,
    clock: Clock | None = None,
    payments: PaymentGateway | None = None,
    import_queue: ImportQueue | None = None,
    publisher: Publisher | None = None,
    mailer: Mailer | None = None,
    workers: int = 1,
    identity_providers: Mapping[str, IdentityProvider] | None = None,
) -> Services:
    """`workers`: how many processes share this one's connection budget (the server's or Dramatiq's)."""
    closers: list[Callable[[], Awaitable[None]]] = []
    checks: dict[str, Callable[[], Awaitable[None]]] = {}
    gauges: dict[str, ScrapeGauge] = {}
    budget = connection_budget(settings, workers)
    if uow is None:
        engine = make_engine(settings.database_url, pool=budget.write)
        trace_engine(engine)  # SQL spans, when OTEL_* turned tracing on
        closers.append(engine.dispose)
        checks["database"] = lambda: ping(engine)
        uow = SqlUowFactory(engine, handlers=event_handlers())
        gauges.update(database_gauges(engine))
    valkey: Valkey | None = None
    if settings.valkey_url is not None:
        valkey = make_client(settings.valkey_url)
        closers.append(valkey.aclose)
        checks["valkey"] = lambda: ping_valkey(valkey)
    clock = clock or SystemClock()
    if tokens is None:
        tokens = MemoryTokenStore() if valkey is None else ValkeyTokenStore(valkey, settings.valkey_prefix)
    if rate_limiter is None:
        rate_limiter = MemoryRateLimiter(clock) if valkey is None else ValkeyRateLimiter(valkey, settings.valkey_prefix)
    if hasher is None:
        hasher = PwdlibPasswordHasher(memory_kib=settings.argon2_memory_kib, time_cost=settings.argon2_time_cost)
    policy = policy_from(settings)
    if payments is None:
        payments = SimulatedPaymentGateway(policy.payment_limit)
    mail = build_mail(settings, publisher=publisher, mailer=mailer)
    if import_queue is None and settings.valkey_url is not None and mail.broker is not None:
        import_queue = DramatiqImportQueue(mail.broker)  # any `folio worker` takes it
    import_progress, imports_queue, in_process_imports = _import_ports(settings, valkey, import_queue, closers)
    cache = catalog_cache(settings, valkey)
    if not uow.subscribers:  # a factory given with subscribers of its own keeps them
        uow.subscribers = after_commit_subscribers(publisher=mail.ports.publisher, catalog_cache=cache)
    credentials = Credentials(
        hasher=hasher,
        access_tokens=JwtAccessTokens(settings.jwt_secret, clock, algorithm=settings.jwt_algorithm),
        tokens=tokens,
        rate_limiter=rate_limiter,
        clock=clock,
        policy=policy,
    )
    reads = catalog_reads(uow, closers, pool=budget.read)
    if isinstance(cache, ValkeyCatalogCache):
        closers.append(cache.aclose)  # before the client closes (closers run last first)
    verified = policy.require_verified_email
    services = Services(
        settings=settings,
        uow=uow,
        clock=clock,
        policy=policy,
        credentials=credentials,
        identity=IdentityService(
            uow=uow,
            credentials=credentials,
            providers=configured_providers(settings) if identity_providers is None else identity_providers,
        ),
        shelf=ShelfService(uow=uow, clock=clock, require_verified_email=verified),
        journal=JournalService(uow=uow, clock=clock),
        reviews=ReviewsService(uow=uow, clock=clock, require_verified_email=verified),
        commerce=CommerceService(uow=uow, clock=clock, payments=payments, policy=policy),
        imports=ImportService(
            uow=uow,
            clock=clock,
            progress=import_progress,
            queue=imports_queue,
            policy=policy,
        ),
        catalog=CatalogService(
            uow=uow, clock=clock, reads=reads, cache=cache, rate_limiter=rate_limiter, policy=policy
        ),
        mail=MailService(uow=uow, clock=clock, mail=mail.ports),
        activity=ActivityService(uow=uow),
        _closers=closers,
        _checks=checks,
        gauges=gauges,
        embedded=mail.embedded,
    )
    if valkey is not None:
        queues = (MAIL_QUEUE, IMPORT_QUEUE)
        namespace = f"{settings.valkey_prefix}dramatiq"
        gauges["folio_dramatiq_queue_depth"] = ScrapeGauge(
            "Dramatiq messages waiting, by queue", lambda: queue_depth(valkey, namespace, queues), label="queue"
        )
    embedded_worker: tuple[StubBroker, WorkerCounters, Callable[[], bool]] | None = None
    if mail.embedded is not None:  # the app's lifespan runs it; the operator's view counts its work
        broker = mail.embedded[0]
        assert isinstance(broker, StubBroker)
        counters = WorkerCounters(QUEUES)
        broker.add_middleware(counters)
        embedded_worker = (broker, counters, lambda: services.embedded_alive())
    services.operations = build_operations(
        settings, uow=uow, mail=mail, embedded=embedded_worker, progress=import_progress, clock=clock, closers=closers
    )
    if in_process_imports is not None:
        in_process_imports.bind(eased(services.imports.run))
    services.library = _library(settings, uow, clock, policy, valkey, import_queue, closers)
    return services


def _library(
    settings: Settings,
    uow: UowFactory,
    clock: Clock,
    policy: Policy,
    valkey: Valkey | None,
    import_queue: ImportQueue | None,
    closers: list[Callable[[], Awaitable[None]]],
) -> LibraryService:
    """Library imports: records in Valkey when configured; on the workers' queue when the catalog import's
    is Dramatiq's, else run in this process."""
    store = MemoryLibraryImportStore() if valkey is None else ValkeyLibraryImportStore(valkey, settings.valkey_prefix)

    def library(queue: ImportQueue) -> LibraryService:
        return LibraryService(
            uow=uow,
            clock=clock,
            store=store,
            queue=queue,
            require_verified_email=policy.require_verified_email,
            lease=timedelta(seconds=policy.import_lease_seconds),
        )

    if isinstance(import_queue, DramatiqImportQueue):
        return library(DramatiqImportQueue(import_queue.broker, actor_name=RUN_LIBRARY_IMPORT))
    in_process = InProcessImportQueue()
    closers.append(in_process.aclose)
    service = library(in_process)
    in_process.bind(service.run)
    return service


def _import_ports(
    settings: Settings,
    valkey: Valkey | None,
    queue: ImportQueue | None,
    closers: list[Callable[[], Awaitable[None]]],
) -> tuple[ImportProgressStore, ImportQueue, InProcessImportQueue | None]:
    """CSV import: progress in Valkey when configured, and the queue: the one given, else one that runs
    imports in this process (returned a second time, to be bound once the service exists)."""
    progress: ImportProgressStore = (
        MemoryImportProgressStore() if valkey is None else ValkeyImportProgressStore(valkey, settings.valkey_prefix)
    )
    if queue is not None:
        return progress, queue, None
    in_process = InProcessImportQueue()
    closers.append(in_process.aclose)
    return progress, in_process, in_process


def database_gauges(engine: AsyncEngine) -> dict[str, ScrapeGauge]:
    """Operations: this process's pool use and the unsent mail backlog, read when `/metrics` is scraped."""

    async def pool() -> dict[str, float]:
        return pool_use(engine)

    return {
        "folio_db_pool_connections": ScrapeGauge(
            "Database connections of the answering process's pool, by state", pool, label="state"
        ),
        "folio_outbox_backlog": ScrapeGauge("Outbox mails committed but not yet sent", lambda: outbox_backlog(engine)),
    }


# -- catalog ---------------------------------------------------------------------------------------
def catalog_reads(
    uow: UowFactory, closers: list[Callable[[], Awaitable[None]]], *, pool: PoolOptions | None = None
) -> CatalogReads:
    """The catalog's read side on the same store as the units of work."""
    if isinstance(uow, SqlUowFactory):
        if uow.engine.dialect.name == "postgresql":
            reads = PostgresCatalogReads(uow.engine, pool=pool)
            closers.append(reads.dispose)
            return reads
        return SqliteCatalogReads(uow.engine)
    if isinstance(uow, MemoryUowFactory):
        return MemoryCatalogReads(uow.store)
    raise TypeError(f"no catalog read side over {type(uow).__name__}: use the SQL or the memory unit of work")


def catalog_cache(settings: Settings, valkey: Valkey | None) -> CatalogCache:
    """Valkey when configured (shared by every process), else in-process; off with FOLIO_CATALOG_CACHE=false."""
    if not settings.catalog_cache:
        return NoCatalogCache()
    if valkey is not None:
        local = settings.catalog_cache_local_mb * 1024 * 1024
        return ValkeyCatalogCache(valkey, settings.valkey_prefix, local_bytes=local)
    return MemoryCatalogCache()
