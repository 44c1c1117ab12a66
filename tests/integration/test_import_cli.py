"""`folio books import FILE`: same rules as the API, a bar and a summary; with Valkey, the servers see it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from litestar.testing import AsyncTestClient

from entrypoints.bootstrap import bootstrap
from entrypoints.cli import main, upgrade_database
from entrypoints.http.app import create_app
from tests.support.http import API
from tests.support.processes import folio_env
from tests.support.settings import make_settings


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    var = tmp_path / "var"
    var.mkdir()
    upgrade_database(f"sqlite+aiosqlite:///{var}/folio.db")
    return {"FOLIO_VAR_DIR": str(var), "FOLIO_VALKEY_URL": ""}


def test_the_command_imports_a_file_and_summarises_it(tmp_path: Path, env: dict[str, str]) -> None:
    path = tmp_path / "books.csv"
    path.write_text("title,author,price\nDune,Frank Herbert,9.99\nBad,,1.00\nEmma,Jane Austen,5.00\n")
    result = CliRunner().invoke(main, ["books", "import", str(path)], env=env)
    assert result.exit_code == 1, result.output
    assert "completed - 3 rows: 2 created, 0 updated, 1 failed" in result.output
    assert "line 3: author: is required" in result.output
    again = CliRunner().invoke(main, ["books", "import", str(path)], env=env)
    assert "0 created" in again.output
    assert "line 2: duplicate" in again.output


def test_a_file_without_the_required_columns_is_refused(tmp_path: Path, env: dict[str, str]) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("name,price\nDune,9.99\n")
    result = CliRunner().invoke(main, ["books", "import", str(path)], env=env)
    assert result.exit_code == 2
    assert "author" in result.output


async def test_books_imported_on_the_command_line_show_in_the_servers_cached_catalog(
    pg_url: str, valkey_url: str, valkey_prefix: str, tmp_path: Path
) -> None:
    overrides = {"database_url": pg_url, "valkey_url": valkey_url, "valkey_prefix": valkey_prefix}
    settings = make_settings(tmp_path / "var", **overrides)
    services = bootstrap(settings)
    path = tmp_path / "books.csv"
    path.write_text("title,author,price\nThe Comet,Ann Author,9.99\n")
    env = folio_env(tmp_path / "var", **overrides)
    async with AsyncTestClient(app=create_app(services)) as client:
        assert (await client.get(f"{API}/books", params={"q": "comet"})).json()["total"] == 0  # now cached
        command = [sys.executable, "-m", "entrypoints.cli", "books", "import", str(path)]
        done = await asyncio.to_thread(subprocess.run, command, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        found = (await client.get(f"{API}/books", params={"q": "comet"})).json()
    await services.aclose()
    assert [item["title"] for item in found["items"]] == ["The Comet"]
