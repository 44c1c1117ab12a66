"""SIGTERM drains: a request already being served finishes with the pools it started with."""

from __future__ import annotations

import json
import signal
import socket
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.support.http import API
from tests.support.processes import folio_env, running, start_server

pytestmark = [pytest.mark.postgres, pytest.mark.valkey, pytest.mark.slow]


def test_a_request_in_flight_at_sigterm_gets_its_answer(
    pg_url: str, valkey_url: str, valkey_prefix: str, tmp_path: Path
) -> None:
    env = folio_env(tmp_path / "var", database_url=pg_url, valkey_url=valkey_url, valkey_prefix=valkey_prefix)
    with running(start_server(env)) as (server,):
        address = urlparse(server.url)
        body = json.dumps({"email": "nobody@example.com", "password": "not-the-password-1"}).encode()
        head = (
            f"POST {API}/auth/login HTTP/1.1\r\nHost: {address.hostname}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        with socket.create_connection((address.hostname, address.port), timeout=30) as client:
            client.sendall(head + body[:10])  # the request is in the app, waiting for the rest of its body
            time.sleep(0.5)
            server.process.send_signal(signal.SIGTERM)
            time.sleep(1.0)  # the server is shutting down now
            client.sendall(body[10:])
            answer = b""
            while chunk := client.recv(65536):
                answer += chunk
        status_line = answer.split(b"\r\n", 1)[0].decode()
        assert status_line.startswith("HTTP/1.1 401"), answer.decode(errors="replace")
        assert b"/problems/invalid-credentials" in answer
        assert server.process.wait(30) == 0, server.output()
    assert "unhandled error" not in server.output()
