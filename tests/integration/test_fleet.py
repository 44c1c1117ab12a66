"""Two `folio serve` processes and two `folio worker` processes on one PostgreSQL and one Valkey act as one
service: mail sent by whichever worker, revocation and import progress seen by every API process."""

from __future__ import annotations

import email
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.support.http import API, PASSWORD
from tests.support.processes import FOLIO, folio_env, running, start_folio, start_server

pytestmark = [pytest.mark.postgres, pytest.mark.valkey, pytest.mark.slow]


def _eventually[T](probe: Callable[[], T | None], *, within: float, what: str) -> T:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = probe()
        if found is not None:
            return found
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def _verification_token(mail_dir: Path) -> str | None:
    for path in mail_dir.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes())
        for part in message.walk():
            if part.get_content_type() == "text/plain":
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)
                found = re.search(r"verify-email\?token=([A-Za-z0-9_-]+)", payload.decode())
                if found:
                    return found.group(1)
    return None


def test_two_api_processes_and_two_workers_behave_as_one_service(
    pg_url: str, valkey_url: str, valkey_prefix: str, tmp_path: Path
) -> None:
    mail_dir = tmp_path / "mail"
    shared = {"database_url": pg_url, "valkey_url": valkey_url, "valkey_prefix": valkey_prefix, "mail_dir": mail_dir}
    envs = {name: folio_env(tmp_path / name, **shared) for name in ("a", "b", "w1", "w2")}
    admin = subprocess.run(
        [FOLIO, "users", "create", "--email", "boss@example.com", "--username", "boss", "--password", PASSWORD],
        env=envs["a"],
        capture_output=True,
        check=False,
    )
    assert admin.returncode == 0, admin.stderr
    workers = [start_folio(["worker", "--processes", "1", "--threads", "2"], envs[w]) for w in ("w1", "w2")]
    with running(*workers, start_server(envs["a"]), start_server(envs["b"])) as (*_, a, b):
        made = httpx.post(
            f"{a.url}{API}/auth/register",
            json={"email": "ada@example.com", "username": "ada", "password": PASSWORD},
            timeout=10,
        )
        assert made.status_code == 201, made.text
        token = _eventually(lambda: _verification_token(mail_dir), within=90, what="the verification mail")
        verified = httpx.post(f"{b.url}{API}/auth/verify-email", json={"token": token}, timeout=10)
        assert verified.status_code == 200, verified.text

        tokens = httpx.post(f"{a.url}{API}/auth/login", json={"email": "ada@example.com", "password": PASSWORD})
        header = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
        assert httpx.get(f"{b.url}{API}/users/me", headers=header).status_code == 200
        assert httpx.post(f"{b.url}{API}/auth/logout", headers=header, json={}).status_code == 204
        assert httpx.get(f"{a.url}{API}/users/me", headers=header).status_code == 401

        boss = httpx.post(f"{b.url}{API}/auth/login", json={"email": "boss@example.com", "password": PASSWORD})
        boss_header = {"Authorization": f"Bearer {boss.json()['access_token']}"}
        csv = b"title,author,price,isbn,stock\nDune,Frank Herbert,9.99,9780441013593,3\nBad,Row,-1,,\n"
        started = httpx.post(
            f"{a.url}{API}/books/import", headers=boss_header, files={"file": ("books.csv", csv, "text/csv")}
        )
        assert started.status_code == 202, started.text

        def finished() -> dict[str, object] | None:
            status = httpx.get(f"{b.url}{started.headers['location']}", headers=boss_header).json()
            return status if status["status"] in {"completed", "failed"} else None

        status = _eventually(finished, within=90, what="the import to finish on a worker")
        assert (status["status"], status["created"], status["failed_rows"]) == ("completed", 1, 1)
        found = httpx.get(f"{a.url}{API}/books", params={"q": "dune"}).json()
        assert [book["isbn"] for book in found["items"]] == ["9780441013593"]
    for process in (*workers, a, b):
        assert process.process.returncode == 0, process.output()[-2000:]
