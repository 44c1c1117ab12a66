"""`folio mail failed` and `folio mail retry`: the operator's view of dead letters."""

from __future__ import annotations

import asyncio
from pathlib import Path
from uuid import UUID

from click.testing import CliRunner

from application.mail import ORDER_CONFIRMATION, queue_mail
from entrypoints.bootstrap import bootstrap
from entrypoints.cli import main
from tests.support.mail import SAMPLES
from tests.support.settings import TEST_SECRET, make_settings


def _env(sqlite_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "FOLIO_DATABASE_URL": sqlite_url,
        "FOLIO_VAR_DIR": str(tmp_path / "var"),
        "FOLIO_JWT_SECRET": TEST_SECRET,
        "FOLIO_ALLOWED_HOSTS": "*",
        "FOLIO_CORS_ORIGINS": "",
    }


async def _dead_letter(sqlite_url: str, tmp_path: Path) -> UUID:
    services = bootstrap(make_settings(tmp_path / "var", database_url=sqlite_url))
    try:
        async with services.uow() as uow:
            data = SAMPLES[ORDER_CONFIRMATION]
            message_id = await queue_mail(uow, services.clock, ORDER_CONFIRMATION, "ada@example.com", data)
            await uow.outbox.release(message_id, error="550 5.1.1 no such user", failed_at=services.clock.now())
            await uow.commit()
    finally:
        await services.aclose()
    return message_id


def test_an_operator_lists_failed_mail_and_sends_one_again(sqlite_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    env = _env(sqlite_url, tmp_path)
    empty = runner.invoke(main, ["mail", "failed"], env=env)
    assert empty.exit_code == 0, empty.output
    assert "0 failed mail(s)" in empty.output

    message_id = asyncio.run(_dead_letter(sqlite_url, tmp_path))
    listed = runner.invoke(main, ["mail", "failed"], env=env)
    assert listed.exit_code == 0, listed.output
    assert "1 failed mail(s)" in listed.output
    assert str(message_id) in listed.output
    assert "550 5.1.1 no such user" in listed.output

    retried = runner.invoke(main, ["mail", "retry", str(message_id)], env=env)
    assert retried.exit_code == 0, retried.output
    assert "0 failed mail(s)" in runner.invoke(main, ["mail", "failed"], env=env).output
    again = runner.invoke(main, ["mail", "retry", str(message_id)], env=env)
    assert again.exit_code != 0
    assert "is not a failed mail" in again.output


def test_folio_worker_refuses_to_start_without_valkey(sqlite_url: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["worker"], env=_env(sqlite_url, tmp_path))
    assert result.exit_code != 0
    assert "FOLIO_VALKEY_URL" in result.output
