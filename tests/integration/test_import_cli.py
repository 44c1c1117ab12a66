"""`folio books import FILE` on the embedded default: same rules as the API, a bar and a summary."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from entrypoints.cli import main, upgrade_database


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
