"""The deployment files hold together: compose services, health checks, the Dockerfile, `.env.example`."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from entrypoints.settings import FIELD_TYPES, PREFIX, load_settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "compose.yaml"
SETTING_NAMES = {PREFIX + name.upper() for name in FIELD_TYPES}


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def test_compose_runs_postgres_valkey_pgbouncer_api_and_worker_with_health_checks() -> None:
    services = compose()["services"]
    assert {"postgres", "valkey", "pgbouncer", "migrate", "api", "worker"} <= set(services)
    for name, service in services.items():
        if name != "migrate":  # a one-shot job
            assert service["healthcheck"]["test"], name
        for needed, how in service.get("depends_on", {}).items():
            assert needed in services, (name, needed)
            assert how["condition"] in {"service_healthy", "service_completed_successfully"}, (name, needed)
    for name in ("api", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert services[name]["build"]["dockerfile"] == "Dockerfile"
        assert services[name]["environment"]["FOLIO_DATABASE_URL"].split("@")[1].startswith("pgbouncer:")
    assert services["migrate"]["command"] == ["folio", "db", "upgrade"]
    assert (COMPOSE.parent / services["api"]["build"]["context"] / "Dockerfile").is_file()


def test_compose_sets_only_settings_folio_knows() -> None:
    for name, service in compose()["services"].items():
        for variable in service.get("environment", {}):
            if variable.startswith(PREFIX):
                assert variable in SETTING_NAMES, (name, variable)


def test_compose_mounts_files_that_exist() -> None:
    for service in compose()["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (COMPOSE.parent / source).exists(), source


@pytest.mark.skipif(
    shutil.which("docker") is None
    or subprocess.run(["docker", "compose", "version"], capture_output=True, check=False).returncode != 0,
    reason="docker compose is not installed here (the YAML is checked above)",
)
def test_docker_compose_config_validates() -> None:
    result = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE), "config", "--quiet"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_the_image_is_built_from_the_lock_in_two_stages_and_runs_as_a_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, flags=re.M)) == 2
    assert "uv.lock" in dockerfile
    assert "uv sync --frozen --no-dev" in dockerfile
    [user] = re.findall(r"^USER (\S+)", dockerfile, flags=re.M)
    assert not user.startswith(("root", "0"))
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["wheel"]
    for needed in [*packages["packages"], "migrations", "alembic.ini"]:
        assert re.search(rf"^COPY {re.escape(needed)}\b", dockerfile, flags=re.M), needed


def _example() -> dict[str, str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    return dict(m.groups() for line in lines if (m := re.match(r"^#? ?(FOLIO_[A-Z0-9_]+)=(.*)$", line)))


def test_env_example_lists_every_setting() -> None:
    assert set(_example()) == SETTING_NAMES


def test_env_example_shows_each_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A value shown is the one Folio uses when the variable is unset (blank: unset, or computed)."""
    monkeypatch.chdir(tmp_path)  # the embedded default writes its generated secret under ./var
    defaults = load_settings({}, env_file=None)
    for variable, shown in _example().items():
        if shown == "":
            continue
        name = variable.removeprefix(PREFIX).lower()
        assert getattr(load_settings({variable: shown}, env_file=None), name) == getattr(defaults, name), variable
