from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner

from application.identity.login import Login
from domain.identity import Role
from entrypoints.bootstrap import bootstrap
from entrypoints.cli import main, upgrade_database
from entrypoints.settings import Settings
from tests.support.settings import TEST_SECRET, make_settings


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite+aiosqlite:///{tmp_path}/folio.db"
    upgrade_database(url)
    return {
        "FOLIO_VAR_DIR": str(tmp_path),
        "FOLIO_DATABASE_URL": url,
        "FOLIO_JWT_SECRET": TEST_SECRET,
        "FOLIO_ALLOWED_HOSTS": "*",
        "FOLIO_CORS_ORIGINS": "",
        "FOLIO_ARGON2_MEMORY_KIB": "1024",
        "FOLIO_ARGON2_TIME_COST": "1",
    }


def test_users_create_makes_a_verified_admin_who_can_sign_in(env: dict[str, str], tmp_path: Path) -> None:
    args = ["users", "create", "--email", "Root@Example.com", "--username", "root", "--password", "a-long-enough-pass"]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 0, result.output
    assert "created ADMIN root@example.com" in result.output
    asyncio.run(_signs_in_as_verified_admin(make_settings(tmp_path, database_url=env["FOLIO_DATABASE_URL"])))


async def _signs_in_as_verified_admin(settings: Settings) -> None:
    services = bootstrap(settings)
    try:
        tokens = await services.identity.login(Login("root@example.com", "a-long-enough-pass"))
        principal = await services.identity.authenticate(tokens.access_token)
        assert principal is not None
        assert principal.role is Role.ADMIN
        user = await services.identity.get_user(principal.user_id)
        assert user.is_verified
    finally:
        await services.aclose()


def test_users_create_reports_bad_input_without_a_traceback(env: dict[str, str]) -> None:
    runner = CliRunner()
    weak = runner.invoke(
        main, ["users", "create", "--email", "a@b.io", "--username", "abc", "--password", "short"], env=env
    )
    assert weak.exit_code == 1
    assert "at least 8" in weak.output
    bad = runner.invoke(
        main, ["users", "create", "--email", "nope", "--username", "abc", "--password", "x" * 12], env=env
    )
    assert bad.exit_code == 2
    assert "--email" in bad.output
    ok = [
        "users",
        "create",
        "--email",
        "a@b.io",
        "--username",
        "abc",
        "--password",
        "long-enough-pass",
        "--role",
        "USER",
    ]
    assert runner.invoke(main, ok, env=env).exit_code == 0
    again = runner.invoke(main, ok, env=env)
    assert again.exit_code == 1
    assert "already registered" in again.output


def test_python_m_entrypoints_cli_knows_the_users_commands(env: dict[str, str]) -> None:
    """Run as a module, the command line has every group (the guard comes after the last one)."""
    import os
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", "users", "--help"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "create" in result.stdout
