"""`folio worker` (and `folio serve`) as separate processes on PostgreSQL + Valkey, killed at bad moments."""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import httpx
import pytest

from application.mail import PASSWORD_RESET, queue_mail
from domain.identity import Role
from entrypoints.bootstrap import Services
from tests.support.builders import add_user
from tests.support.http import API, PASSWORD
from tests.support.mail import SAMPLES, queue_committed, with_id
from tests.support.processes import FolioProcess, free_port, start_folio
from tests.support.smtp import SmtpServer, await_until
from tests.support.workers import api_fixture, env_fixture  # noqa: F401  # the `api` and `env` fixtures
from tests.support.workers import run_worker as start_worker

pytestmark = [pytest.mark.postgres, pytest.mark.valkey, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def workers(env: dict[str, str], tmp_path: Path) -> Iterator[list[FolioProcess]]:
    started: list[FolioProcess] = []
    yield started
    for process in started:
        process.kill()


def run_worker(env: dict[str, str], tmp_path: Path, started: list[FolioProcess]) -> None:
    start_worker(env, started)


async def test_a_worker_killed_mid_send_then_restarted_delivers_the_mail_exactly_once(
    api: Services, env: dict[str, str], smtp_server: SmtpServer, tmp_path: Path, workers: list[FolioProcess]
) -> None:
    smtp_server.mailbox.hold()  # the first DATA waits: the send is in progress
    run_worker(env, tmp_path, workers)
    message_id = await queue_committed(api, PASSWORD_RESET)
    await await_until(smtp_server.mailbox.holding.is_set, within=90)
    workers[0].kill()  # SIGKILL, mid-send: before the server accepted the mail
    await await_until(lambda: not smtp_server.mailbox.holding.is_set(), within=30)  # it saw the client die
    smtp_server.mailbox.release()
    assert smtp_server.mailbox.received() == []

    run_worker(env, tmp_path, workers)
    [mail] = await await_until(lambda: with_id(smtp_server.mailbox.received(), message_id), within=90)
    assert mail["Subject"] == "Your password reset code"
    await asyncio.sleep(4)  # redeliveries and relay sweeps come and go: still one
    assert len(with_id(smtp_server.mailbox.received(), message_id)) == 1
    stored = await api.mail.get(message_id)
    assert stored is not None
    assert stored.sent_at is not None


CRASHING_API = textwrap.dedent(
    """
    import asyncio, os, signal
    from application.mail import queue_mail
    from entrypoints.bootstrap import bootstrap
    from entrypoints.settings import load_settings

    class DiesBeforeHandingOn:
        async def publish(self, ids):
            os.kill(os.getpid(), signal.SIGKILL)  # right after the commit, before the broker hears of it

    async def main():
        services = bootstrap(load_settings(), publisher=DiesBeforeHandingOn())
        async with services.uow() as uow:
            message_id = await queue_mail(uow, services.clock, "password-reset", "ada@example.com",
                                          {"username": "ada", "code": "314159"})
            print(message_id, flush=True)
            await uow.commit()

    asyncio.run(main())
    """
)


async def test_an_api_killed_right_after_the_commit_still_gets_its_mail_delivered(
    env: dict[str, str], smtp_server: SmtpServer, tmp_path: Path, workers: list[FolioProcess]
) -> None:
    crashing = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CRASHING_API,
        env={**os.environ, **env},
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(crashing.communicate(), 120)
    assert crashing.returncode == -9, stderr.decode()
    message_id = stdout.decode().strip()
    assert message_id

    run_worker(env, tmp_path, workers)
    [mail] = await await_until(lambda: with_id(smtp_server.mailbox.received(), UUID(message_id)), within=90)
    assert "314159" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]


async def test_serve_and_worker_as_separate_processes_deliver_through_smtp(
    api: Services, env: dict[str, str], smtp_server: SmtpServer, tmp_path: Path, workers: list[FolioProcess]
) -> None:
    admin = await add_user(api, role=Role.ADMIN)
    async with api.uow() as uow:  # a dead letter for the admin to send again through the API
        message_id = await queue_mail(uow, api.clock, PASSWORD_RESET, "bob@example.com", SAMPLES[PASSWORD_RESET])
        await uow.outbox.release(message_id, error="550 mailbox unavailable", failed_at=api.clock.now())
        await uow.commit()
    port = free_port()
    workers.append(
        start_folio(["serve", "--port", str(port), "--workers", "1"], os.environ | env, log_name="serve.log")
    )
    run_worker(env, tmp_path, workers)
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        await _until_up(http)
        login = await http.post(f"{API}/auth/login", json={"email": admin.email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        retried = await http.post(f"{API}/admin/mail/failed/{message_id}/retry", headers=headers)
        assert retried.status_code == 202, retried.text
    [mail] = await await_until(lambda: with_id(smtp_server.mailbox.received(), message_id), within=90)
    assert mail["To"] == "bob@example.com"


async def _until_up(http: httpx.AsyncClient) -> None:
    for _ in range(600):
        try:
            if (await http.get("/health")).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("folio serve did not come up")
