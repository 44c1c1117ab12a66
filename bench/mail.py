"""`make bench-mail`: mails per second through the outbox relay, a `folio worker` process and SMTP (aiosmtpd).

Bounded: N mails (BENCH_MAILS, default 300) committed in one transaction; the after-commit relay hands them
to Valkey, the worker delivers them to an aiosmtpd server in this process. Needs PostgreSQL and Valkey.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.dramatiq.broker import make_broker
from adapters.dramatiq.publisher import DramatiqPublisher
from application.mail import PASSWORD_RESET, queue_mail
from entrypoints.bootstrap import bootstrap
from entrypoints.cli import upgrade_database
from entrypoints.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = os.environ.get("FOLIO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
VALKEY = os.environ.get("FOLIO_TEST_VALKEY_URL", "valkey://127.0.0.1:6379/0")
MAILS = int(os.environ.get("BENCH_MAILS", "300"))
THREADS = os.environ.get("BENCH_THREADS", "8")
WARM = {"username": "warm", "code": "000000"}


class Counter:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.count += 1
        return "250 OK"


async def admin(*statements: str) -> None:
    engine = create_async_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        for statement in statements:
            await conn.execute(text(statement))
    await engine.dispose()


async def wait_for(probe: object, count: int, within: float) -> float:
    started = time.perf_counter()
    while probe.count < count:  # type: ignore[attr-defined]
        if time.perf_counter() - started > within:
            raise SystemExit(f"only {probe.count} of {count} mails arrived within {within}s")  # type: ignore[attr-defined]
        await asyncio.sleep(0.02)
    return time.perf_counter() - started


async def main() -> None:
    name = "folio_bench_mail_" + hashlib.sha1(str(ROOT).encode()).hexdigest()[:8]
    await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    database = make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    await asyncio.to_thread(upgrade_database, database)
    counter = Counter()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    smtp = Controller(counter, hostname="127.0.0.1", port=port)
    smtp.start()
    var = tempfile.mkdtemp(prefix="folio-bench-mail-")
    env = {
        "FOLIO_DATABASE_URL": database,
        "FOLIO_VALKEY_URL": VALKEY,
        "FOLIO_VALKEY_PREFIX": f"folio-bench:{uuid.uuid4().hex}:",
        "FOLIO_JWT_SECRET": "bench-secret-that-is-long-enough-for-hs256-0123456789",
        "FOLIO_ALLOWED_HOSTS": "*",
        "FOLIO_CORS_ORIGINS": "",
        "FOLIO_VAR_DIR": var,
        "FOLIO_SMTP_HOST": "127.0.0.1",
        "FOLIO_SMTP_PORT": str(port),
        "FOLIO_SMTP_TLS": "none",
        "FOLIO_WORKER_THREADS": THREADS,
        "FOLIO_LOG_LEVEL": "WARNING",
    }
    settings = load_settings(env, env_file=None)
    broker = make_broker(settings.valkey_url, prefix=settings.valkey_prefix)
    services = bootstrap(settings, publisher=DramatiqPublisher(broker))
    worker = subprocess.Popen(  # noqa: ASYNC220 (once, before the measured part)
        [str(Path(sys.executable).parent / "folio"), "worker", "--processes", "1"],
        env={**os.environ, **env},
        cwd=var,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        async with services.uow() as uow:  # warm-up: the worker is up once this one arrives
            await queue_mail(uow, services.clock, PASSWORD_RESET, "warm@example.com", WARM)
            await uow.commit()
        await wait_for(counter, 1, 120)
        started = time.perf_counter()
        async with services.uow() as uow:
            for i in range(MAILS):
                data = {"username": f"reader{i}", "code": f"{i:06d}"}
                await queue_mail(uow, services.clock, PASSWORD_RESET, f"reader{i}@example.com", data)
            await uow.commit()  # the after-commit relay hands all of them to Valkey
        await wait_for(counter, MAILS + 1, 300)
        elapsed = time.perf_counter() - started
        print(
            f"bench-mail: {MAILS} mails in {elapsed:.2f}s = {MAILS / elapsed:.0f} mails/s "
            f"(commit + relay + 1 worker process x {THREADS} threads + SMTP into aiosmtpd)"
        )
    finally:
        worker.send_signal(signal.SIGTERM)  # to Dramatiq's main process, which stops its children
        worker.wait(60)
        await services.aclose()
        broker.flush_all()
        broker.close()
        smtp.stop()
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main())
