"""The command line as a new operator meets it: `--version`, migrations with only a database URL, bad settings."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import time
from importlib.metadata import version
from pathlib import Path

import msgspec.inspect as types
import pytest
from hypothesis import given
from hypothesis import strategies as st

from entrypoints.settings import FIELD_TYPES, PREFIX, SettingsError, load_settings
from tests.support.databases import drop_postgres_database, empty_postgres_database
from tests.support.processes import FOLIO
from tests.support.settings import POSTGRES_URL


def _bare_env(**folio: str) -> dict[str, str]:
    """This process's environment without any FOLIO_* setting, plus `folio`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOLIO_")}
    return env | {f"{PREFIX}{k.upper()}": v for k, v in folio.items()}


def test_version_names_the_installed_release(tmp_path: Path) -> None:
    result = subprocess.run([FOLIO, "--version"], capture_output=True, text=True, cwd=tmp_path, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"folio {version('folio')}"


@pytest.mark.postgres
def test_db_upgrade_needs_only_the_database_url(tmp_path: Path) -> None:
    """No JWT secret, allowed hosts or CORS origins: migrating is not serving."""
    name = f"folio_cli_upgrade_{os.getpid()}"
    url = empty_postgres_database(POSTGRES_URL, name)
    try:
        env = _bare_env(database_url=url)
        result = subprocess.run(
            [FOLIO, "db", "upgrade"], env=env, capture_output=True, text=True, cwd=tmp_path, check=False
        )
        assert result.returncode == 0, result.stderr
        assert "database is up to date" in result.stdout
        # The same environment is refused by the command that serves, naming what it lacks.
        serve = subprocess.run([FOLIO, "serve"], env=env, capture_output=True, text=True, cwd=tmp_path, check=False)
        assert serve.returncode != 0
        assert "FOLIO_JWT_SECRET" in serve.stderr
    finally:
        drop_postgres_database(POSTGRES_URL, name)


def test_a_bad_port_names_the_variable_and_the_rule(tmp_path: Path) -> None:
    env = _bare_env(var_dir=str(tmp_path), port="80x")
    result = subprocess.run([FOLIO, "serve"], env=env, capture_output=True, text=True, cwd=tmp_path, check=False)
    assert result.returncode == 2
    assert "FOLIO_PORT='80x': Expected `int`, got `str` (from 1 to 65535)" in result.stderr
    assert "invalid literal" not in result.stderr


def _bounds(kind: types.Type) -> tuple[int, int] | None:
    if isinstance(kind, types.Metadata):
        kind = kind.type
    if isinstance(kind, types.IntType) and kind.ge is not None and kind.le is not None:
        return kind.ge, kind.le
    return None


BOUNDED = {name: bounds for name, kind in FIELD_TYPES.items() if (bounds := _bounds(kind)) is not None}


def test_the_whole_number_settings_have_bounds() -> None:
    assert {"port", "smtp_port", "workers", "db_pool_size", "worker_metrics_port", "access_token_ttl"} <= set(BOUNDED)
    unbounded = [name for name, kind in FIELD_TYPES.items() if _bounds(kind) is None and "IntType" in repr(kind)]
    assert unbounded == []


@given(name=st.sampled_from(sorted(BOUNDED)), below=st.booleans(), by=st.integers(1, 10**12), pad=st.booleans())
def test_every_whole_number_outside_its_bounds_is_refused_naming_its_variable(
    name: str, below: bool, by: int, pad: bool
) -> None:
    low, high = BOUNDED[name]
    raw = str(low - by if below else high + by)
    raw = f" {raw} " if pad else raw  # trimmed as before
    with pytest.raises(SettingsError) as refused:
        load_settings({f"{PREFIX}{name.upper()}": raw}, env_file=None)
    message = str(refused.value)
    assert message.startswith(f"{PREFIX}{name.upper()}={raw!r}: Expected `int` ")
    assert (f">= {low}" if below else f"<= {high}") in message
    assert f"(from {low} to {high})" in message


@given(
    name=st.sampled_from(sorted(BOUNDED)),
    raw=st.text(max_size=12).filter(lambda s: s.strip() != "" and not s.strip().lstrip("+-").isdigit()),
)
def test_a_whole_number_setting_that_is_not_a_number_is_refused_naming_its_range(name: str, raw: str) -> None:
    try:
        value = float(raw.strip())
    except ValueError:
        value = None
    low, high = BOUNDED[name]
    if value is not None and value.is_integer() and low <= value <= high:
        return  # "1e3" and "80.0" are whole numbers msgspec takes
    with pytest.raises(SettingsError) as refused:
        load_settings({f"{PREFIX}{name.upper()}": raw}, env_file=None)
    message = str(refused.value)
    assert message.startswith(f"{PREFIX}{name.upper()}={raw!r}: Expected `int")
    assert f"(from {low} to {high})" in message


@pytest.mark.parametrize(
    ("spelling", "value"),
    [("1", True), ("true", True), (" Yes ", True), ("ON", True), ("0", False), ("False", False), ("no", False),
     ("off", False)],
)  # fmt: skip
def test_booleans_take_every_spelling_they_took_before(spelling: str, value: bool) -> None:
    environ = {f"{PREFIX}CATALOG_CACHE": spelling, f"{PREFIX}VAR_DIR": "/tmp/folio-settings-test"}
    assert load_settings(environ, env_file=None).catalog_cache is value
    with pytest.raises(SettingsError, match=r"^FOLIO_CATALOG_CACHE='maybe': Expected `bool`, got `str`"):
        load_settings({f"{PREFIX}CATALOG_CACHE": "maybe"}, env_file=None)


def test_status_watch_refreshes_in_a_terminal_until_interrupted(tmp_path: Path) -> None:
    """In a terminal (a pty here) `folio status --watch` redraws the status; Ctrl-C ends it cleanly."""
    env = _bare_env(var_dir=str(tmp_path)) | {"COLUMNS": "120", "LINES": "60", "TERM": "xterm"}
    assert (
        subprocess.run([FOLIO, "db", "upgrade"], env=env, capture_output=True, cwd=tmp_path, check=False).returncode
        == 0
    )
    controller, terminal = pty.openpty()
    watch = subprocess.Popen(
        [FOLIO, "status", "--watch", "--interval", "0.3"], env=env, cwd=tmp_path,
        stdin=terminal, stdout=terminal, stderr=terminal, start_new_session=True,
    )  # fmt: skip
    os.close(terminal)
    output = b""
    deadline = time.monotonic() + 60
    while output.count(b"Outbox: 0 pending") < 3 and time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 1)
        if ready:
            output += os.read(controller, 65536)
    watch.send_signal(signal.SIGINT)
    assert watch.wait(30) == 0
    os.close(controller)
    assert output.count(b"Outbox: 0 pending") >= 3, output[-2000:]
    assert b"Queues" in output


def test_a_secret_comes_from_its_file_variant(tmp_path: Path) -> None:
    secret = tmp_path / "jwt"
    secret.write_text("s" * 40 + "\n")  # as `echo` writes it
    smtp = tmp_path / "smtp"
    smtp.write_text("p@ss word")
    settings = load_settings(
        {
            f"{PREFIX}JWT_SECRET_FILE": str(secret),
            f"{PREFIX}SMTP_PASSWORD_FILE": str(smtp),
            f"{PREFIX}VAR_DIR": str(tmp_path),
        },
        env_file=None,
    )
    assert settings.jwt_secret == "s" * 40
    assert settings.smtp_password == "p@ss word"
    log_file = load_settings({f"{PREFIX}LOG_FILE": str(tmp_path / "folio.log")}, env_file=None).log_file
    assert log_file == tmp_path / "folio.log"  # a setting of its own, not the file of FOLIO_LOG


def test_a_secret_file_that_cannot_be_read_or_a_clash_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"^FOLIO_JWT_SECRET_FILE='/nonexistent/jwt': cannot read the file"):
        load_settings({f"{PREFIX}JWT_SECRET_FILE": "/nonexistent/jwt"}, env_file=None)
    secret = tmp_path / "jwt"
    secret.write_text("s" * 40)
    with pytest.raises(SettingsError, match="FOLIO_JWT_SECRET_FILE and FOLIO_JWT_SECRET are both set"):
        load_settings({f"{PREFIX}JWT_SECRET_FILE": str(secret), f"{PREFIX}JWT_SECRET": "t" * 40}, env_file=None)


# A PostgreSQL URL is production mode, refused for the missing JWT secret, which is named: not this rule.
def _checked(kind: types.Type) -> bool:
    """Anything but free text and paths."""
    if isinstance(kind, types.StrType):
        return kind.pattern is not None
    return not isinstance(kind, types.CustomType)


PARSED = sorted(name for name, kind in FIELD_TYPES.items() if _checked(kind) and name != "database_url")


@given(name=st.sampled_from(PARSED), raw=st.text(max_size=30))
def test_any_value_of_any_checked_setting_is_taken_or_refused_by_name(name: str, raw: str) -> None:
    variable = f"{PREFIX}{name.upper()}"
    environ = {variable: raw, f"{PREFIX}VAR_DIR": "/tmp/folio-settings-test"}  # the dev secret goes there
    message = _refusal(environ)
    assert message is None or message.startswith(f"{variable}="), message


def _refusal(environ: dict[str, str]) -> str | None:
    try:
        load_settings(environ, env_file=None)
    except SettingsError as refused:
        return str(refused)
    return None
